"""How well a style network paints held-out photos, measured three ways:

- style distance: Gatys' weighted style loss (block1..5_conv1 Grams) of the
  result to the painting, as a fraction of the unstyled photo's;
- content distance: block4_conv2 features of the result against the photo's,
  ||F(result) - F(photo)||^2 / ||F(photo)||^2;
  (VGG19 sees photo, result and painting at one scale, MEASURE_SIZE px on
  the longer side, so textures compare at the size they were learnt;)
- blobs: the largest 8-connected region of pixels whose colour occurs in
  neither the painting nor the photo, as a fraction of the image.

The measures are fixed here, not taken from a recipe's loss, so networks
trained with different losses are compared on one scale.
"""

from pathlib import Path

import numpy as np
from scipy import ndimage

from zoo.images import read_image
from zoo.models import vgg
from zoo.models.regions import fit_longer

LEVELS = 16  # colour bins per channel: 16^3 = 4,096 colours
MIN_SHARE = 1e-4  # a colour is in a palette if at least this share of pixels has it
STYLE_LAYERS = {f"block{i}_conv1": 0.2 for i in range(1, 6)}
CONTENT_LAYER = "block4_conv2"
MEASURE_SIZE = 256  # longer side of every image VGG19 sees here


def colour_bins(image):
    """uint8 HWC -> HW int bin index in [0, LEVELS^3)."""
    q = image.astype(np.int32) * LEVELS // 256
    return (q[..., 0] * LEVELS + q[..., 1]) * LEVELS + q[..., 2]


def palette(*images):
    """Boolean (LEVELS, LEVELS, LEVELS): the colours each image uses at
    MIN_SHARE or more, widened by one bin every way (shading, JPEG noise)."""
    found = np.zeros(LEVELS**3, bool)
    for image in images:
        counts = np.bincount(colour_bins(image).ravel(), minlength=LEVELS**3)
        found |= counts >= MIN_SHARE * counts.sum()
    cube = found.reshape(LEVELS, LEVELS, LEVELS)
    return ndimage.binary_dilation(cube, structure=np.ones((3, 3, 3), bool))


def blob_mask(result, painting, photo):
    """(H, W) bool: `result`'s largest 8-connected region of colours found
    in neither `painting` nor `photo` (uint8 HWC each); empty if none."""
    known = palette(painting, photo).ravel()
    novel = ~known[colour_bins(result)]
    labels, count = ndimage.label(novel, structure=np.ones((3, 3), bool))
    if count == 0:
        return np.zeros(novel.shape, bool)
    return labels == 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))


def largest_blob(result, painting, photo):
    """Share of `result`'s area in its largest blob (`blob_mask`)."""
    return float(blob_mask(result, painting, photo).mean())


class Judge:
    """The three measures for one painting, VGG19 loaded once."""

    def __init__(self, painting, vgg_weights):
        self.painting = painting
        self.loss = vgg.Perceptual(vgg_weights, CONTENT_LAYER, STYLE_LAYERS, 1.0, 1.0, 0.0)
        self.grams = [
            np.asarray(g) for g in self.loss.style_target(fit_longer(painting, MEASURE_SIZE)[None])
        ]

    def measure(self, photo, result):
        """{'style', 'content', 'blob'} for one photo and its stylised result."""
        batch = np.stack([fit_longer(photo, MEASURE_SIZE), fit_longer(result, MEASURE_SIZE)])
        content, styles = self.loss.features(batch)
        content = np.asarray(content)
        style = [
            float(self.loss.style_of([s[i : i + 1] for s in styles], self.grams)) for i in (0, 1)
        ]
        change = np.sum(np.square(content[1] - content[0])) / np.sum(np.square(content[0]))
        return {
            "style": style[1] / style[0],
            "content": float(change),
            "blob": largest_blob(result, self.painting, photo),
        }


def evaluate(stylize, painting, photos, vgg_weights):
    """Per-photo measures of `stylize` (uint8 HWC -> uint8 HWC) over `photos`
    (paths), and their summary: mean and worst of each."""
    judge = Judge(painting, vgg_weights)
    rows = {}
    for path in photos:
        photo = read_image(path)
        rows[Path(path).name] = judge.measure(photo, stylize(photo))
    return rows, summarise(rows)


def summarise(rows):
    values = {k: [row[k] for row in rows.values()] for k in ("style", "content", "blob")}
    return {
        "photos": len(rows),
        **{f"mean_{k}": float(np.mean(v)) for k, v in values.items()},
        **{f"max_{k}": float(np.max(v)) for k, v in values.items()},
    }
