"""Neural style transfer by optimisation (Gatys et al. 2016).

The image is optimised by Adam to match the content image's features at
one VGG19 layer (content loss, weight alpha) and the painting's Gram
matrices at several layers (style loss, weight beta), plus total
variation; the losses are normalised as in the paper, so its alpha / beta
= 1e-3 is the default. Steps run in compiled chunks inside one
tf.function (TF backend); a progress bar advances per chunk. `scales`
optimises coarse to fine. The feed-forward alternative is FastStyle.
"""

import keras
import numpy as np
from keras import ops

from zoo.models import vgg

# Content on conv4_2 as in Gatys et al.'s figures; style on conv1_1..conv5_1,
# equally weighted. TV_WEIGHT keeps Adam's pixel noise down.
CONTENT_LAYER = "block4_conv2"
STYLE_LAYERS = {f"block{i}_conv1": 0.2 for i in range(1, 6)}
TV_WEIGHT = 1e-4
MIN_SIDE = 32


@keras.saving.register_keras_serializable(package="zoo")
class StyleTransfer:
    """Gatys et al.'s style transfer: an optimisation of the image itself
    against a frozen VGG19's content and style (Gram) losses.

    Args:
        weights: VGG19's notop weights: a file path, "imagenet" (downloads),
            or None for $ZOO_VGG19_WEIGHTS (see zoo.models.vgg.vgg19). They
            load on first use, so a package loads offline.
        content_layer: the VGG19 layer whose activations are the content.
        style_layers: {layer: weight} of the style (Gram) losses.
        content_style_ratio: alpha / beta, the content weight against style's 1.
        tv_weight: the total-variation weight (smoothness).

    Example:

    >>> model = StyleTransfer("vgg19_notop.weights.h5")  # doctest: +SKIP
    >>> image, history = model.stylize(photo, painting, steps=200, size=256)  # doctest: +SKIP
    """

    task = "style-transfer"  # the card's task: picks each stage's module for this family

    def __init__(
        self,
        weights: str | None = None,
        content_layer: str = CONTENT_LAYER,
        style_layers: dict[str, float] | None = None,
        content_style_ratio: float = 1e-3,
        tv_weight: float = TV_WEIGHT,
    ):
        self.weights = weights
        self.content_layer = content_layer
        self.style_layers = dict(style_layers or STYLE_LAYERS)
        self.content_style_ratio = content_style_ratio
        self.tv_weight = tv_weight
        self._loss = self._loss_key = None

    @property
    def loss(self):
        """The vgg.Perceptual loss: alpha = ratio, beta = 1. Built again
        whenever the weights or a loss setting changed since the last use."""
        key = (
            str(self.weights),
            self.content_layer,
            tuple(sorted(self.style_layers.items())),
            float(self.content_style_ratio),
            float(self.tv_weight),
        )
        if key != self._loss_key:
            self._loss = vgg.Perceptual(
                self.weights,
                self.content_layer,
                self.style_layers,
                self.content_style_ratio,
                1.0,
                self.tv_weight,
            )
            self._loss_key = key
        return self._loss

    def stylize(
        self,
        content,
        style,
        steps=300,
        size=512,
        learning_rate=5.0,
        init="content",
        scales=1,
        seed=0,
        chunk=10,
        progress=True,
    ):
        """uint8 HWC content and style -> (uint8 HWC result at `size` on the
        longer side, loss history: one (total, content, style, tv) row per
        step). scales > 1 optimises coarse to fine: the steps are split
        over sizes halving from `size`, each start upsampled from the last."""
        if init not in ("content", "noise"):
            raise ValueError(f"`init` must be 'content' or 'noise', got {init!r}")
        sizes = scale_sizes(np.shape(content)[:2], size, scales)
        image, history = None, []
        bar = _progress(steps, progress)
        for i, scale_size in enumerate(sizes):
            scale_steps = steps // len(sizes) + (i < steps % len(sizes))
            content_image = _as_batch(resize_longer(content, scale_size))
            if image is None:
                image = content_image if init == "content" else _noise(content_image.shape, seed)
            else:
                image = _as_batch(resize_to(image[0], content_image.shape[1:3]))
            style_image = _as_batch(resize_longer(style, scale_size))
            image, rows = self._optimise(
                image, content_image, style_image, scale_steps, learning_rate, chunk, bar
            )
            history.extend(rows)
        bar.close()
        return np.clip(np.rint(image[0]), 0, 255).astype(np.uint8), np.array(history)

    def _optimise(self, start, content_image, style_image, steps, learning_rate, chunk, bar):
        import tensorflow as tf  # Gatys' loop is a tf.function; the rest is keras.ops

        content_target = self.loss.content_target(content_image)
        style_grams = self.loss.style_target(style_image)
        image = tf.Variable(np.asarray(start, "float32"))
        optimizer = keras.optimizers.Adam(learning_rate)
        run = self._compiled_steps(image, optimizer, content_target, style_grams)
        rows = []
        for done in range(0, steps, chunk):
            n = min(chunk, steps - done)
            rows.extend(run(tf.constant(n)).numpy().tolist())
            bar.update(n)
        return image.numpy(), rows

    def _compiled_steps(self, image, optimizer, content_target, style_grams):
        import tensorflow as tf

        @tf.function
        def run(n):
            rows = tf.TensorArray(tf.float32, size=n)
            for i in tf.range(n):
                with tf.GradientTape() as tape:
                    losses = self.loss(image, content_target, style_grams)
                optimizer.apply_gradients([(tape.gradient(losses[0], image), image)])
                image.assign(tf.clip_by_value(image, 0.0, 255.0))
                rows = rows.write(i, tf.stack(losses))
            return rows.stack()

        return run

    def get_config(self):
        """The constructor's arguments but the weights (a package stores
        the recipe; VGG19's weights come from Keras, a file or the env)."""
        return {
            "content_layer": self.content_layer,
            "style_layers": self.style_layers,
            "content_style_ratio": self.content_style_ratio,
            "tv_weight": self.tv_weight,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def scale_sizes(shape, size, scales):
    """Longer-side sizes, coarse to fine, halving from `size`; scales whose
    shorter side would fall under MIN_SIDE (VGG19 pools it 4 times) are dropped."""
    aspect = min(shape) / max(shape)
    if round(size * aspect) < MIN_SIDE:
        raise ValueError(f"size {size} makes the shorter side under {MIN_SIDE} px")
    sizes = [size >> k for k in reversed(range(max(1, scales)))]
    return [s for s in sizes if round(s * aspect) >= MIN_SIDE]


def resize_longer(image, size):
    """uint8/float HWC -> float32 HWC with the longer side = size."""
    h, w = np.shape(image)[:2]
    scale = size / max(h, w)
    return resize_to(image, (max(1, round(h * scale)), max(1, round(w * scale))))


def resize_to(image, shape):
    """uint8/float HWC -> float32 HWC of (height, width) = shape, bilinear."""
    resized = ops.image.resize(np.asarray(image, "float32"), tuple(shape), antialias=True)
    return ops.convert_to_numpy(resized)


def _noise(shape, seed):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def _as_batch(image):
    return np.asarray(image, "float32")[None]


def _progress(total, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="stylize", unit="step")
