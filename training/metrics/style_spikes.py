"""Looking for the "droplet" behind a style network's blobs (Karras et al.,
StyleGAN2, section 2): a generator that normalises each feature map by its
own mean and variance can learn a strong local spike in some channels, which
then dominates those statistics and so sets the scale of everything else;
in the output the spike shows as one saturated blob.

`spike_share` measures it on the input of each instance normalisation: the
share of a channel's variance held by its top 1% of pixels (about 0.05
for Gaussian noise, near 1 for a droplet). `forward` runs a FastStyle
network layer by layer, recording those inputs and, given `cut`,
flattening the spike pixels of the spiky channels to the channel's median,
before normalising or after: if the spike sets the scale of the rest, the
first changes the whole image; if the blob is the spike's own pixels, the
second removes it.
"""

import keras
import numpy as np
from keras import ops

TOP = 0.01  # the share of pixels a spike is counted over
SPIKY = 0.5  # a channel whose top pixels hold this share of its variance


def spike_share(x, top=TOP):
    """(C,) share of each channel's variance held by its `top` share of
    pixels farthest from the channel mean; x: (H, W, C)."""
    deviation, count = _deviations(x, top)
    largest = np.sort(deviation, axis=0)[-count:]
    return largest.sum(axis=0) / np.maximum(deviation.sum(axis=0), 1e-30)


def spiky_channels(shares, spiky=SPIKY):
    """The channels whose spike share (spike_share) exceeds `spiky`."""
    return np.flatnonzero(shares > spiky)


def spike_mask(x, channels, top=TOP):
    """(H, W) bool: the pixels among the `top` share farthest from the mean
    in any of `channels` of x (H, W, C)."""
    deviation, count = _deviations(np.asarray(x)[..., channels], top)
    threshold = np.sort(deviation, axis=0)[-count]
    return np.any(deviation >= threshold, axis=-1).reshape(x.shape[:2])


def _deviations(x, top):
    """Squared deviations from each channel's mean, (pixels, C), of x
    (H, W, C), and how many pixels the `top` share is."""
    flat = np.asarray(x, np.float64).reshape(-1, x.shape[-1])
    return np.square(flat - flat.mean(axis=0)), max(1, int(round(top * len(flat))))


CUTS = ("before", "after")  # flatten the spike before normalising, or after
NORMALISATIONS = (keras.layers.GroupNormalization, keras.layers.BatchNormalization)


def forward(net, image, cut=None, spiky=SPIKY, only=None):
    """(output uint8 HWC, [(conv name, its output (H, W, C) numpy, spike
    shares)] per conv but the last: what each normalisation normalises) of
    FastStyle `net` on one image. `cut`
    flattens the spike pixels of channels whose share exceeds `spiky` to
    the channel's median: "before" normalising (the channel's statistics
    lose the spike too) or "after" (they keep it: only the spike's own
    values go), after every conv or those named in `only`."""
    if cut not in (None, *CUTS):
        raise ValueError(f"cut must be one of {CUTS} or None, not {cut!r}")
    records = []

    def run(block, x):
        mask = channels = None
        for layer in block:
            normalises = isinstance(layer, NORMALISATIONS)
            if mask is not None and normalises and cut == "before":
                x = _flattened(_first(x), mask, channels)
            x = layer(x)
            if mask is not None and normalises and cut == "after":
                x = _flattened(_first(x), mask, channels)
            if isinstance(layer, keras.layers.Conv2D) and block is not net.to_rgb:
                array = _first(x)
                shares = spike_share(array)
                records.append((layer.name, array, shares))
                channels = spiky_channels(shares, spiky)
                chosen = cut and len(channels) and (only is None or layer.name in only)
                mask = spike_mask(array, channels) if chosen else None
        return x

    out = net.forward(ops.convert_to_tensor(np.asarray(image, np.float32)[None]), run)
    return _first(out).clip(0, 255).round().astype(np.uint8), records


def _first(batch):
    """The first image of a batch tensor, as numpy."""
    return np.asarray(ops.convert_to_numpy(batch)[0])


def _flattened(array, mask, channels):
    """`array` (H, W, C) with `channels` at the `mask` pixels set to each
    channel's median, as a batch of one."""
    flattened = array.copy()
    medians = np.median(array[..., channels], axis=(0, 1))
    flattened[..., channels] = np.where(mask[..., None], medians, array[..., channels])
    return ops.convert_to_tensor(flattened[None])
