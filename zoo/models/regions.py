"""The captioner's image side: any photo squashed to 224 x 224, then VGG19
conv5_4 as 14 x 14 = 196 regions of 512 features (Xu et al. 2015).

The squash is an antialiased bilinear resize (a triangle filter widened by
the shrink factor, as Pillow and tf.image.resize(antialias=True) do),
written as two small matrices so that numpy here, the SavedModel's TF ops
and serving's numpy compute the same pixels.
"""

import keras
import numpy as np

from zoo.models import vgg

SIZE = 224  # Flickr8k's images are already 224 x 224 (squashed by their source)
LAYER = "block5_conv4"
GRID = SIZE // 16  # conv5_4 sits after four 2x2 poolings
REGIONS, DEPTH = GRID * GRID, 512


def resize_matrix(length, size=SIZE):
    """(size, length) weights that resample one axis of `length` pixels to
    `size`: row i is a triangle centred on output pixel i's centre, widened
    by the shrink factor, normalised to sum 1."""
    scale = max(length / size, 1.0)
    centres = (np.arange(size) + 0.5) * (length / size)
    offsets = (np.arange(length) + 0.5)[None, :] - centres[:, None]
    weights = np.maximum(0.0, 1.0 - np.abs(offsets) / scale)
    return (weights / weights.sum(axis=1, keepdims=True)).astype("float32")


def squash(image, size=SIZE):
    """uint8 (H, W, 3) -> float32 (size, size, 3), aspect ratio not kept."""
    image = np.asarray(image, "float32")
    return resample(image, resize_matrix(image.shape[0], size), resize_matrix(image.shape[1], size))


def fit_longer(image, size):
    """uint8/float (H, W, C) -> float32 with the longer side `size`, aspect
    kept, by the same antialiased matrices (identical on every backend)."""
    image = np.asarray(image, "float32")
    scale = size / max(image.shape[:2])
    rows, cols = (resize_matrix(n, max(1, round(n * scale))) for n in image.shape[:2])
    return resample(image, rows, cols)


def resample(image, rows, cols):
    """float32 (H, W, C) -> (R, K, C) = rows (R, H) @ image @ cols (K, W)^T."""
    tall = np.tensordot(rows, image, axes=(1, 0))  # (R, W, C)
    return np.tensordot(cols, tall, axes=(1, 1)).transpose(1, 0, 2)


def encoder(weights=None):
    """RGB 0-255 float (B, 224, 224, 3) -> (B, 196, 512) conv5_4 regions.
    weights: see zoo.models.vgg.vgg19."""
    base = vgg.vgg19(weights)
    conv5_4 = keras.Model(base.input, base.get_layer(LAYER).output, name="vgg19_conv5_4")
    images = keras.Input((SIZE, SIZE, 3), name="image")
    features = conv5_4(vgg.preprocess(images))
    regions = keras.layers.Reshape((REGIONS, DEPTH), name="regions")(features)
    return keras.Model(images, regions, name="vgg19_regions")
