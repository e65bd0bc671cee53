"""Augmented training crops for style networks, in numpy and Pillow only, so
that a host with JAX but no TensorFlow trains on the same data.

Crop k of a run is a pure function of (seed, k): a Philox generator keyed
by both picks the photo, the scale of its shorter side (crop to max_zoom x
crop), the window, a left-right flip and a colour jitter (brightness,
contrast, saturation, each within +-jitter). The resize is an antialiased
triangle filter written as two matrices (zoo.models.regions), evaluated
only for the rows and columns the window keeps. image_data feeds the same
function to tf.data, so both backends see identical crops, and a run
resumed at step s sees the crops it would have seen.
"""

import glob
import math
import threading
from pathlib import Path

import numpy as np

from zoo.images import read_image
from zoo.models.regions import resample, resize_matrix, squash

GREY = np.array([0.299, 0.587, 0.114], "float32")  # ITU-R 601 luma


def expand(patterns, data_dir, aspects=None):
    """Recipe content entries (paths or globs under data_dir) -> sorted
    [(path, aspect)]: aspect multiplies the width before cropping, undoing
    a source's squash (Flickr8k's 224 x 224 copies of mostly 4:3 photos)."""
    aspects = aspects or {}
    photos = []
    for pattern in patterns:
        path = Path(data_dir) / pattern  # a file's own name, even with [ or *, is itself
        found = [str(path)] if path.is_file() else sorted(glob.glob(str(path)))
        if not found:
            raise ValueError(f"content {pattern!r} matches no file under {data_dir}")
        photos += [(Path(p), float(aspects.get(pattern, 1.0))) for p in found]
    return photos


class Crops:
    """crop(k) -> float32 (crop, crop, 3) in 0-255; batch(step) stacks
    batch_size of them. photos: [(path, aspect)] or paths."""

    def __init__(self, photos, crop, batch_size, seed, max_zoom=2.0, jitter=0.1):
        self.photos = [p if isinstance(p, tuple) else (Path(p), 1.0) for p in photos]
        if not self.photos:
            raise ValueError("no content images given")
        self.crop, self.batch_size, self.seed = crop, batch_size, seed
        self.max_zoom, self.jitter = max_zoom, jitter
        self._cache, self._lock = {}, threading.Lock()  # decoded photos, uint8

    def photo(self, index):
        with self._lock:
            image = self._cache.get(index)
        if image is None:
            image = read_image(self.photos[index][0])
            with self._lock:
                self._cache[index] = image
        return image

    def crop_at(self, k):
        rng = np.random.Generator(np.random.Philox(key=[self.seed, int(k)]))
        index = int(rng.integers(len(self.photos)))
        image = self.photo(index)
        height, width = image.shape[0], image.shape[1] * self.photos[index][1]
        shorter = rng.uniform(self.crop, self.max_zoom * self.crop)
        scale = shorter / min(height, width)
        size = [max(self.crop, math.ceil(n * scale)) for n in (height, width)]
        top, left = (int(rng.integers(n - self.crop + 1)) for n in size)
        rows = resize_matrix(image.shape[0], size[0])[top : top + self.crop]
        cols = resize_matrix(image.shape[1], size[1])[left : left + self.crop]
        patch = resample(image.astype("float32"), rows, cols)
        flip, (brightness, contrast, saturation) = rng.random() < 0.5, rng.uniform(-1, 1, 3)
        if flip:
            patch = patch[:, ::-1]
        if self.jitter:
            patch = patch + 255 * self.jitter * brightness
            mean = patch.mean(axis=(0, 1))
            patch = mean + (patch - mean) * (1 + self.jitter * contrast)
            grey = (patch @ GREY)[..., None]
            patch = grey + (patch - grey) * (1 + self.jitter * saturation)
        return np.clip(patch, 0.0, 255.0).astype("float32")

    def batch(self, step):
        first = step * self.batch_size
        return np.stack([self.crop_at(k) for k in range(first, first + self.batch_size)])

    def batches(self, start_step=0):
        """Endless (batch, batch) pairs (input and content target) from
        start_step on: what Keras' fit takes on any backend."""
        step = start_step
        while True:
            images = self.batch(step)
            yield images, images
            step += 1


def whole(paths, size):
    """Each photo resized whole to size x size (no crop): a fixed
    validation batch, float32."""
    return np.stack([squash(read_image(p), size) for p in paths])
