"""VGG19 features and the losses of neural style transfer (Gatys et al.
2016), written with keras.ops.

Weights: `weights="imagenet"` uses Keras' own download (checksum-verified);
a file path, or $ZOO_VGG19_WEIGHTS, reads a Keras weights file of
VGG19(include_top=False) such as ../shared/data/vgg19_notop.weights.h5.
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
    None for $ZOO_VGG19_WEIGHTS."""
    source = weights or os.environ.get(WEIGHTS_ENV)
    if not source:
        raise ValueError(
            "VGG19 weights are needed: pass weights='imagenet' (downloads from Keras, needs "
            f"internet), a path to a VGG19 notop weights file, or set ${WEIGHTS_ENV} to one"
        )
    if source == "imagenet":
        model = keras.applications.VGG19(include_top=False, weights="imagenet")
    else:
        if not Path(source).is_file():
            raise FileNotFoundError(f"VGG19 weights file {source} not found")
        model = keras.applications.VGG19(include_top=False, weights=None)
        model.load_weights(source)
    model.trainable = False
    return model


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
    return ops.mean(ops.square(features - target))


def style_loss(features, target_gram):
    return ops.mean(ops.square(gram(features) - target_gram))


def total_variation(images):
    """Mean squared difference of neighbouring pixels, down and across."""
    down = images[:, 1:, :, :] - images[:, :-1, :, :]
    across = images[:, :, 1:, :] - images[:, :, :-1, :]
    return ops.mean(ops.square(down)) + ops.mean(ops.square(across))
