"""Feed-forward style transfer (Johnson et al. 2016): one network per
painting, trained with the VGG perceptual loss, that stylises a photo in
one forward pass.

Layout, as Johnson et al.: a 9x9 conv, two stride-2 3x3 convs, residual
blocks, two nearest-neighbour upsampling 3x3 convs, a 9x9 conv to RGB.
Every conv is reflection-padded and followed by a normalisation and ReLU,
except the last. `norm` picks it: "instance" (GroupNormalization with one
group per channel, Johnson et al. after Ulyanov et al.); "batch"
(statistics of the training batch, fixed averages at inference);
"demodulated", no normalisation of the maps at all: each conv's kernel is
divided by its norm per output channel (StyleGAN2's demodulation without a
style); "centred", demodulated kernels and each map's mean subtracted,
with no division by its spread; or "pixel", each pixel's channels
normalised on their own (positional normalisation, Li et al. 2019), so no
statistic spans the map. Instance normalisation lets a network grow a
local spike that sets each map's scale, which shows as one saturated blob
(Karras et al. 2020, section 2; docs/style.md); batch statistics,
demodulation and per-pixel normalisation give it no per-image statistic
to game, and centring only a mean that a spike shifts additively.
Its output maps to 0-255 by `activation`: "tanh", (tanh(x) + 1) * 127.5, as
Johnson et al.; "linear", x * 127.5 + 127.5, clipped only when an image
is made; or "residual", the photo plus x * 127.5, likewise clipped: a
network that outputs nothing returns the photo, so training cannot settle
on one flat colour (where the networks without map statistics fell).
tanh saturates: a pixel pushed to a corner of the colour cube gets no
gradient back (docs/style.md).
Upsampled maps are cropped to the size of the encoder level they mirror,
so any input size, odd ones included, comes back at its own size. Input
and output: RGB, float 0-255, NHWC.
"""

import keras
import numpy as np
from keras import layers, ops

from zoo.images import MIN_SIDE, ImageError
from zoo_runtime import limits

ACTIVATIONS = ("tanh", "linear", "residual")
NORMS = ("instance", "batch", "demodulated", "centred", "pixel")
RELU_GAIN = float(np.sqrt(2.0))  # He et al.: keeps a demodulated map's scale through ReLU


@keras.saving.register_keras_serializable(package="zoo")
class DemodulatedConv2D(layers.Conv2D):
    """A Conv2D whose kernel is divided by its L2 norm over each output
    channel's taps, times `gain`: the output keeps the input's scale
    whatever the data, with no statistics of the map itself."""

    def __init__(self, *args, gain=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.gain = gain

    def convolution_op(self, inputs, kernel):
        norm = ops.sqrt(ops.sum(ops.square(kernel), axis=(0, 1, 2), keepdims=True) + 1e-8)
        return super().convolution_op(inputs, kernel * (self.gain / norm))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


@keras.saving.register_keras_serializable(package="zoo")
class CentreMaps(layers.Layer):
    """Subtracts each map's own spatial mean, per image and channel, and
    divides by nothing: a spike moves the rest of its map by its share of
    the mean, about 1/(H W) of its height, instead of rescaling it."""

    def call(self, x):
        return x - ops.mean(x, axis=(1, 2), keepdims=True)


@keras.saving.register_keras_serializable(package="zoo")
class ReflectionPad(layers.Layer):
    """Pads height and width by `pad` pixels, mirroring the border."""

    def __init__(self, pad, **kwargs):
        super().__init__(**kwargs)
        self.pad = pad

    def call(self, x):
        p = self.pad
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def get_config(self):
        return {**super().get_config(), "pad": self.pad}


@keras.saving.register_keras_serializable(package="zoo")
class CropLike(layers.Layer):
    """Crops x (N, H', W', C) to the height and width of `like` (H <= H')."""

    def call(self, x, like):
        shape = ops.shape(like)
        return x[:, : shape[1], : shape[2], :]


@keras.saving.register_keras_serializable(package="zoo")
class FastStyle(keras.Model):
    """A feed-forward style network (Johnson et al. 2016): uint8-range
    images in, stylised images of the same size out, in one pass.

    Args:
        filters: widths of the three encoder levels (the decoder mirrors them).
        residual_blocks: residual blocks at the lowest level.
        style: the painting's name, for cards and the command line.
        activation: the output's squashing, one of `ACTIVATIONS`.
        norm: what follows each conv but the last, one of `NORMS`.
        up_norm: the upsampling path's, where not `norm` (None: `norm`).
        **kwargs: `keras.Model` arguments.

    Example:

    >>> import numpy as np
    >>> net = FastStyle(filters=(4, 8, 16), residual_blocks=1)
    >>> net.stylize(np.zeros((40, 30, 3), np.uint8)).shape
    (40, 30, 3)
    """

    task = "fast-style"  # the card's task: picks each stage's module for this family

    def __init__(
        self,
        filters: tuple[int, int, int] = (32, 64, 128),
        residual_blocks: int = 5,
        style: str | None = None,
        activation: str = "tanh",
        norm: str = "instance",
        up_norm: str | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, not {activation!r}")
        for value in (norm, up_norm or norm):
            if value not in NORMS:
                raise ValueError(f"norm must be one of {NORMS}, not {value!r}")
        self.activation, self.norm, self.up_norm = activation, norm, up_norm
        self.filters = tuple(filters)
        self.residual_blocks = residual_blocks
        self.style = style  # the painting's name, for cards and the CLI
        f1, f2, f3 = self.filters
        self.scale = layers.Rescaling(1 / 127.5, offset=-1.0)
        self.down = [_conv(f1, 9, 1, norm), _conv(f2, 3, 2, norm), _conv(f3, 3, 2, norm)]
        self.blocks = [
            [_conv(f3, 3, 1, norm), _conv(f3, 3, 1, norm, relu=False)]
            for _ in range(residual_blocks)
        ]
        self.up = [_conv(f2, 3, 1, up_norm or norm), _conv(f1, 3, 1, up_norm or norm)]
        self.upsample = [layers.UpSampling2D(2) for _ in self.up]
        self.crop = CropLike()
        self.to_rgb = _conv(3, 9, 1, None, relu=False)

    def build(self, input_shape=(None, None, None, 3)):
        # Layer shapes depend only on the channels: trace a small blank image.
        self.call(ops.zeros((1, 16, 16, input_shape[-1])))
        self.built = True

    def call(self, images):
        return self.forward(images)

    def forward(self, images, run=None):
        """The network's pass, each block (a list of layers) run by
        `run(block, x)`: its layers in order unless an inspection
        (training.metrics.style_spikes) looks inside."""
        run = run or _run
        x = self.scale(images)
        skips = []
        for block in self.down:
            skips.append(x)
            x = run(block, x)
        for conv, conv_linear in self.blocks:
            x = x + run(conv_linear, run(conv, x))
        for block, upsample, skip in zip(self.up, self.upsample, reversed(skips[1:]), strict=True):
            x = run(block, self.crop(upsample(x), skip))
        x = run(self.to_rgb, x)
        if self.activation == "residual":
            return images + x * 127.5
        return (ops.tanh(x) if self.activation == "tanh" else x) * 127.5 + 127.5

    def stylize(self, image):
        """uint8/float HWC RGB image (or NHWC batch), values 0-255 -> uint8
        of the same shape. At most limits.MAX_IMAGE_PIXELS pixels an image
        (about 0.9 KB of memory a pixel), as the exports allow."""
        batch = checked_images(image)
        single = batch.ndim == 3
        out = self.predict_on_batch(batch[None] if single else batch)
        out = ops.convert_to_numpy(out)
        out = out[0] if single else out
        return out.clip(0, 255).round().astype("uint8")

    def get_config(self):
        return {
            **super().get_config(),
            "filters": list(self.filters),
            "residual_blocks": self.residual_blocks,
            "style": self.style,
            "activation": self.activation,
            "norm": self.norm,
            "up_norm": self.up_norm,
        }


def checked_images(image):
    """`image` as float32 (H, W, 3) or (N, H, W, 3), or ImageError saying
    what is wrong: shape, size, or values that are not finite."""
    array = np.asarray(image)
    if array.dtype.kind not in "uif":
        raise ImageError(f"the image has dtype {array.dtype}; give uint8 or float RGB pixels")
    if array.ndim not in (3, 4) or array.shape[-1] != 3:
        hint = " (convert RGBA or greyscale with zoo.images.as_rgb)" if array.ndim in (2, 3) else ""
        raise ImageError(
            f"the image has shape {array.shape}; expected (H, W, 3) or (N, H, W, 3) RGB{hint}"
        )
    height, width = array.shape[-3:-1]
    if min(height, width) < MIN_SIDE or (array.ndim == 4 and not len(array)):
        raise ImageError(f"the image is {width}x{height}; at least {MIN_SIDE} px a side")
    if height * width > limits.MAX_IMAGE_PIXELS:
        raise ImageError(
            f"the image is {width}x{height} ({height * width:,} pixels); the most one call "
            f"stylizes is {limits.MAX_IMAGE_PIXELS:,}: resize it first (zoo stylize --size)"
        )
    array = array.astype("float32", copy=False)
    if not np.isfinite(array).all():
        raise ImageError("the image holds NaN or infinite values")
    return array


def _conv(filters, kernel, strides, norm, relu=True):
    """[reflection pad, conv, its normalisation (`norm`: one of NORMS, or
    None), ReLU] as a list of layers."""
    block = [ReflectionPad(kernel // 2)]
    if norm in ("demodulated", "centred"):
        gain = RELU_GAIN if relu else 1.0
        block.append(DemodulatedConv2D(filters, kernel, strides, gain=gain))
    else:
        block.append(layers.Conv2D(filters, kernel, strides, use_bias=norm is None))
    if norm == "instance":
        block.append(layers.GroupNormalization(groups=-1, epsilon=1e-5))
    elif norm == "batch":
        block.append(layers.BatchNormalization(epsilon=1e-5))
    elif norm == "centred":
        block.append(CentreMaps())
    elif norm == "pixel":
        block.append(layers.LayerNormalization(axis=-1, epsilon=1e-5))
    if relu:
        block.append(layers.ReLU())
    return block


def _run(block, x):
    for layer in block:
        x = layer(x)
    return x
