"""Neural style transfer by optimisation (Gatys et al. 2016).

The image is optimised by Adam to match the content image's features at
one VGG19 layer (content loss, weight alpha) and the painting's Gram
matrices at several layers (style loss, weight beta), plus total
variation. alpha / beta defaults to 1e-3 as in the paper. Steps run in
compiled chunks inside one tf.function; a progress bar advances per chunk.

Status: the optimisation core of the style-transfer issue. The default
weights are not tuned yet (at 128 px the style term dominates), and
FastStyle, multi-scale, L-BFGS and the command line are still to come.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.models import vgg

CONTENT_LAYER = "block5_conv2"
STYLE_LAYERS = {f"block{i}_conv1": 0.2 for i in range(1, 6)}


class StyleTransfer:
    """Gatys style transfer over a frozen VGG19 (see zoo.models.vgg for
    `weights`)."""

    def __init__(
        self,
        weights=None,
        content_layer=CONTENT_LAYER,
        style_layers=None,
        content_style_ratio=1e-3,
        tv_weight=1e-4,
    ):
        self.content_layer = content_layer
        self.style_layers = dict(style_layers or STYLE_LAYERS)
        self.content_style_ratio = content_style_ratio
        self.tv_weight = tv_weight
        names = [content_layer, *self.style_layers]
        self.extractor = vgg.feature_extractor(vgg.vgg19(weights), names)

    def features(self, image):
        outputs = self.extractor(vgg.preprocess(image))
        return outputs[0], outputs[1:]

    def losses(self, image, content_target, style_grams):
        """(total, content, style, tv) for a float RGB 0-255 batch."""
        content, styles = self.features(image)
        c = vgg.content_loss(content, content_target)
        s = sum(
            w * vgg.style_loss(f, g)
            for w, f, g in zip(self.style_layers.values(), styles, style_grams, strict=True)
        )
        tv = vgg.total_variation(image)
        # alpha / beta = ratio, with beta = 1: content loss scaled by the ratio.
        return self.content_style_ratio * c + s + self.tv_weight * tv, c, s, tv

    def targets(self, content_image, style_image):
        content, _ = self.features(content_image)
        _, styles = self.features(style_image)
        return content, [vgg.gram(f) for f in styles]

    def stylize(self, content, style, steps=300, size=512, learning_rate=5.0, init="content",
                seed=0, chunk=10, progress=True):  # fmt: skip
        """uint8 HWC content and style -> (uint8 HWC result at `size` on the
        longer side, loss history: one (total, content, style, tv) row per step)."""
        content_image = _as_batch(resize_longer(content, size))
        style_image = _as_batch(resize_longer(style, size))
        content_target, style_grams = self.targets(content_image, style_image)
        if init == "content":
            start = content_image
        elif init == "noise":
            start = np.random.default_rng(seed).uniform(0, 255, content_image.shape)
        else:
            raise ValueError(f"`init` must be 'content' or 'noise', got {init!r}")
        image = tf.Variable(np.asarray(start, "float32"))
        optimizer = keras.optimizers.Adam(learning_rate)
        run = self._compiled_steps(image, optimizer, content_target, style_grams)
        history = []
        bar = _progress(steps, progress)
        for done in range(0, steps, chunk):
            n = min(chunk, steps - done)
            history.extend(run(tf.constant(n)).numpy().tolist())
            bar.update(n)
        bar.close()
        return np.clip(np.rint(image.numpy()[0]), 0, 255).astype(np.uint8), np.array(history)

    def _compiled_steps(self, image, optimizer, content_target, style_grams):
        @tf.function
        def run(n):
            rows = tf.TensorArray(tf.float32, size=n)
            for i in tf.range(n):
                with tf.GradientTape() as tape:
                    total, c, s, tv = self.losses(image, content_target, style_grams)
                optimizer.apply_gradients([(tape.gradient(total, image), image)])
                image.assign(tf.clip_by_value(image, 0.0, 255.0))
                rows = rows.write(i, tf.stack([total, c, s, tv]))
            return rows.stack()

        return run


def resize_longer(image, size):
    """uint8/float HWC -> float32 HWC with the longer side = size."""
    image = np.asarray(image)
    h, w = image.shape[:2]
    scale = size / max(h, w)
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    return ops.convert_to_numpy(ops.image.resize(image.astype("float32"), shape))


def _as_batch(image):
    return np.asarray(image, "float32")[None]


def _progress(total, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, disable=not enabled, desc="stylize", unit="step")
