"""VGG19 features and the losses of neural style transfer (Gatys et al.
2016), written with keras.ops.

Weights: a file path, or $ZOO_VGG19_WEIGHTS, reads a Keras weights file of
VGG19(include_top=False) such as ../shared/data/vgg19_notop.weights.h5;
otherwise Keras' own copy (`weights="imagenet"`): its cache, or its
checksum-verified download when online.
"""

import os
from pathlib import Path

import keras
import numpy as np
from keras import ops

WEIGHTS_ENV = "ZOO_VGG19_WEIGHTS"
# Caffe preprocessing, as keras.applications.vgg19.preprocess_input: BGR
# channel order, ImageNet channel means subtracted, 0-255 scale.
BGR_MEANS = np.array([103.939, 116.779, 123.68], "float32")


def vgg19(weights=None):
    """Frozen VGG19 convolutional base. weights: "imagenet", a file path, or
    None: $ZOO_VGG19_WEIGHTS, else Keras' earlier download, else Keras'
    download (checksum-verified; needs the internet once)."""
    source = weights or os.environ.get(WEIGHTS_ENV) or "imagenet"
    if source == "imagenet":
        model = _keras_download()
    else:
        if not Path(source).is_file():
            raise FileNotFoundError(f"VGG19 weights file {source} not found")
        model = keras.applications.VGG19(include_top=False, weights=None)
        model.load_weights(source)
    model.trainable = False
    return model


def _keras_download():
    """VGG19 with ImageNet weights from Keras' cache, fetching them first
    when they are not there; offline, an error that names the other ways."""
    try:
        return keras.applications.VGG19(include_top=False, weights="imagenet")
    except Exception as error:  # urllib's, socket's and Keras' own download errors
        raise ValueError(
            f"VGG19 weights are needed and Keras could not download them ({error}): "
            f"pass a path to a VGG19 notop weights file (--vgg-weights) or set "
            f"${WEIGHTS_ENV} to one"
        ) from error


def feature_extractor(vgg, layer_names):
    """A model from an RGB 0-255 image batch to the named layers' outputs."""
    missing = [n for n in layer_names if n not in {layer.name for layer in vgg.layers}]
    if missing:
        raise ValueError(f"VGG19 has no layers {missing}")
    return keras.Model(vgg.input, [vgg.get_layer(n).output for n in layer_names])


def preprocess(images):
    """RGB 0-255 float images -> VGG's input (differentiable, no copies)."""
    return ops.flip(images, axis=-1) - BGR_MEANS


def gram(features):
    """Normalised Gram matrices: (B, H, W, C) -> (B, C, C) = F^T F / (H W)."""
    shape = ops.shape(features)
    flat = ops.reshape(features, (shape[0], -1, shape[-1]))
    return ops.einsum("bnc,bnd->bcd", flat, flat) / ops.cast(shape[1] * shape[2], flat.dtype)


def content_loss(features, target):
    """Gatys et al.'s 1/2 sum (F - P)^2 over one image's features (batch mean)."""
    per_image = ops.sum(ops.square(features - target), axis=(1, 2, 3))
    return 0.5 * ops.mean(per_image)


def style_loss(features, target_gram):
    """Gatys et al.'s E_l = sum (G - A)^2 / (4 N^2 M^2) with unnormalised
    Grams, i.e. the mean over the N^2 entries of the normalised Grams' squared
    difference, over 4 (batch mean)."""
    return ops.mean(ops.square(gram(features) - target_gram)) / 4.0


class Perceptual:
    """The weighted content + style + total-variation loss over one VGG19
    pass. style_layers: {layer name: weight}."""

    def __init__(
        self, weights, content_layer, style_layers, content_weight, style_weight, tv_weight
    ):
        self.content_layer = content_layer
        self.style_layers = dict(style_layers)
        self.content_weight, self.style_weight = content_weight, style_weight
        self.tv_weight = tv_weight
        names = [content_layer, *self.style_layers]
        self.extractor = feature_extractor(vgg19(weights), names)

    def features(self, images):
        """RGB 0-255 batch -> (content-layer features, [style-layer features])."""
        outputs = self.extractor(preprocess(images))
        return outputs[0], outputs[1:]

    def content_target(self, images):
        return self.features(images)[0]

    def style_target(self, images):
        return [gram(f) for f in self.features(images)[1]]

    def style_distance(self, images, style_grams):
        """The weighted style loss alone."""
        return self.style_of(self.features(images)[1], style_grams)

    def __call__(self, images, content_target, style_grams):
        """(total, content, style, tv); content and style unweighted."""
        content, styles = self.features(images)
        c = content_loss(content, content_target)
        s = self.style_of(styles, style_grams)
        tv = total_variation(images)
        total = self.content_weight * c + self.style_weight * s + self.tv_weight * tv
        return total, c, s, tv

    def style_of(self, styles, grams):
        """The weighted style loss of style-layer features (batch mean)."""
        pairs = zip(self.style_layers.values(), styles, grams, strict=True)
        return sum(w * style_loss(f, g) for w, f, g in pairs)


def total_variation(images):
    """Mean squared difference of neighbouring pixels, down and across."""
    down = images[:, 1:, :, :] - images[:, :-1, :, :]
    across = images[:, :, 1:, :] - images[:, :, :-1, :]
    return ops.mean(ops.square(down)) + ops.mean(ops.square(across))
