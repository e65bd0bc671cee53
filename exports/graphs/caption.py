"""What a captioner (zoo.models.Captioner) exports.

ONNX `encoder.onnx`: image uint8 (B, H, W, 3), any size -> the 224 x 224
squash (zoo.models.regions' matrices), VGG19 to conv5_4, the projection:
memory (B, 196, m), keys (B, 196, a) and the decoder's first state_k.
`decoder.onnx`: one step, (token_ids (B,), state_k, memory, keys) ->
logits (B, V), attention (B, 196), next_state_k, for an app that streams
words. `search.onnx`: the image and beam width in, the whole greedy or
beam search's ids out (exports.onnx_search; serving.OnnxModel and zoo.mjs
run it and join the words).

SavedModel: `serving_default` image uint8 (B, H, W, 3) -> caption, log_prob
(greedy); `encoded` image_bytes (JPEG or PNG) -> the same, each image
decoded as zoo.images reads files: greyscale expanded, alpha composited on
white. Pixels are bounded (from the header, before decoding) and each side
must be at least zoo.images.MIN_SIDE.
"""

import functools

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import spec
from exports.graphs.checks import checked, declared_pixels, strings
from exports.graphs.encoder_decoder import EncoderDecoderGraphs
from zoo import images as zoo_images
from zoo.models import regions
from zoo.models.encoder_decoder import Encoded
from zoo_runtime.chars import END, START
from zoo_runtime.words import OOV, PAD


class CaptionGraphs(EncoderDecoderGraphs):
    LIMITS = ("max_image_pixels",)
    CALIBRATED = ("encoder.onnx",)

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        self.vgg = model.image_encoder()
        self.words = tf.constant(model.vocabulary)

    @property
    def cell(self):
        return self.model.cell

    @property
    def banned(self):
        return (self.model.pad, self.model.oov, self.model.start)

    @property
    def max_length(self):
        return self.model.max_length

    # ---- ONNX ------------------------------------------------------------------
    @property
    def onnx(self):
        memory = spec((None, None, self.model.memory_dim), tf.float32, "memory")
        token_ids = spec((None,), tf.int32, "token_ids")
        decoder = [token_ids, *self.state_specs(), memory, *self.keys_specs()]
        return {
            "encoder.onnx": (self.encoder, [spec((None, None, None, 3), tf.uint8, "image")]),
            "decoder.onnx": (self.decoder, decoder),
        }

    def features(self, image):
        """uint8 (B, H, W, 3) -> VGG19 regions (B, 196, 512), sizes checked."""
        shape = tf.shape(image, out_type=tf.int64)
        most = self.limits["max_image_pixels"]
        image = checked(shape[1] * shape[2], 0, most, "image pixels", image)
        side = tf.minimum(shape[1], shape[2])
        image = checked(side, zoo_images.MIN_SIDE, 1 << 30, "image sides (px)", image)
        return self.vgg(squash(image))

    def encoder(self, image):
        encoded, states = self.model.encode(self.features(image))
        out = {"memory": encoded.memory, **dict(zip(self.state_names, states, strict=True))}
        return {**out, "keys": encoded.keys} if self.has_keys else out

    def context(self, memory, *keys):
        return Encoded(memory, keys[0] if keys else None)

    def decode_inputs(self, encoder_feed):
        return self.features(tf.constant(encoder_feed["image"]))

    # ---- SavedModel ------------------------------------------------------------
    @property
    def signatures(self):
        return {
            "serving_default": (self.caption, [spec((None, None, None, 3), tf.uint8, "image")]),
            "encoded": (self.caption_encoded, [spec((None,), tf.string, "image_bytes")]),
        }

    def caption(self, image):
        return self._captions(self.features(image))

    @functools.cached_property
    def image_macs(self):
        return work.image_macs(self.features)  # VGG19 at 224 x 224, resizing

    @property
    def step_macs(self):
        return work.weight_macs(self.model, [self.model.embedding])

    def encoder_work(self):
        per_image, per_pixel = self.image_macs
        return [work.term("image", "pixel", per_pixel), work.term("image", "row", per_image)]

    def work(self):
        per_image, per_pixel = self.image_macs
        return work.image_signatures(per_image + self.max_length * self.step_macs, per_pixel)

    def caption_encoded(self, image_bytes):
        most = self.limits["max_image_pixels"]

        def one(data):
            data = checked(declared_pixels(data), 0, most, "image pixels", data)
            return self.features(decode_rgb(data)[None])[0]

        regions_ = tf.map_fn(one, image_bytes, fn_output_signature=tf.float32)
        return self._captions(tf.ensure_shape(regions_, (None, regions.REGIONS, regions.DEPTH)))

    def _captions(self, features):
        m = self.model
        blocking = m.DECODING["no_repeat_ngram_size"]  # caption()'s default
        tokens, log_prob, _ = m.search.greedy(*m.search_inputs(features), m.max_length, blocking)
        words = tf.ragged.boolean_mask(tf.gather(self.words, tokens), self.kept(tokens))
        return {
            "caption": tf.strings.reduce_join(words, axis=1, separator=" "),
            "log_prob": log_prob,
        }

    def reference(self, signature, feed):
        if signature == "serving_default":
            return {"caption": strings(self.model.caption(list(feed["image"]), beam_width=1))}
        pictures = [zoo_images.decode_image(b) for b in feed["image_bytes"]]
        return {"caption": strings(self.model.caption(pictures, beam_width=1))}

    def examples(self):
        square, wide = example_images()
        image = np.stack([square, square[::-1]])
        encoder = {"image": image}
        encoded = {k: v.numpy() for k, v in self.encoder(tf.constant(image)).items()}
        start = np.full(len(image), self.model.start, np.int32)
        return {
            "encoder.onnx": [encoder, {"image": wide[None]}],
            "decoder.onnx": [{"token_ids": start, **encoded}],
            "serving_default": [encoder, {"image": wide[None]}],
            # PNG only: Pillow (the reference) and TensorFlow decode JPEG a
            # level apart here and there, and a caption is an exact string.
            "encoded": [{"image_bytes": np.array([_png(square), _png(_with_alpha(wide))], object)}],
        }

    def contract(self):
        m = self.model
        return {
            **super().contract(),
            "vocabulary": m.vocabulary,
            "special_tokens": {
                "pad": [PAD, m.pad],
                "oov": [OOV, m.oov],
                "start": [START, m.start],
                "end": [END, m.end],
            },
            "max_length": m.max_length,
            "tokenisation": {
                "kind": "words",
                "rule": "captions are lower-case zoo.words tokens "
                "(the vocabulary's words); a caption is its words joined by single "
                "spaces",
            },
            "min_image_side": zoo_images.MIN_SIDE,
            "image_input": "uint8 RGB (B, H, W, 3), any size: encoder.onnx squashes it to "
            "224 x 224 itself. Greyscale: repeat the channel; RGBA: composite on white as "
            "(rgb * a + 255 * (255 - a) + 127) // 255; 16-bit: (v * 255 + 32767) // 65535",
            "decoding": "search.onnx runs the whole search in one call (see 'search'); "
            "to step it yourself: run encoder.onnx once; start decoder.onnx from "
            "token_ids = start and the encoder's state_k; each step feed back "
            "next_state_k and the chosen id "
            "(never pad, oov or start); stop at end or max_length; the caption is the "
            "words joined by single spaces",
        }


def squash(image):
    """uint8 (B, H, W, 3) -> float32 (B, 224, 224, 3): regions.squash in TF ops."""
    shape = tf.shape(image)
    rows, cols = resize_matrix(shape[1]), resize_matrix(shape[2])
    channels_first = tf.transpose(tf.cast(image, tf.float32), (0, 3, 1, 2))  # (B, 3, H, W)
    out = tf.matmul(tf.matmul(rows, channels_first), cols, transpose_b=True)
    return tf.transpose(out, (0, 2, 3, 1))


def resize_matrix(length, size=regions.SIZE):
    """regions.resize_matrix for a length known only at run time."""
    length = tf.cast(length, tf.float32)
    scale = tf.maximum(length / size, 1.0)
    centres = (tf.range(size, dtype=tf.float32) + 0.5) * (length / size)
    offsets = (tf.range(length) + 0.5)[None, :] - centres[:, None]
    weights = tf.maximum(0.0, 1.0 - tf.abs(offsets) / scale)
    return weights / tf.reduce_sum(weights, axis=1, keepdims=True)


def decode_rgb(data):
    """JPEG or PNG bytes -> uint8 (H, W, 3) as zoo.images.read_image gives
    it: PNG alpha (palette transparency too) composited on white."""

    def png():
        rgba = tf.cast(tf.io.decode_png(data, channels=4), tf.int32)
        alpha = rgba[..., 3:]
        return tf.cast((rgba[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255, tf.uint8)

    def jpeg():
        return tf.io.decode_jpeg(data, channels=3)

    is_png = tf.equal(tf.strings.substr(data, 0, 8), b"\x89PNG\r\n\x1a\n")
    return tf.ensure_shape(tf.cond(is_png, png, jpeg), (None, None, 3))


def example_images():
    """Two smooth synthetic photos (a 224 x 224 one and a 300 x 200 one):
    no data files needed, and no near-ties that noise would bring."""
    y, x = np.mgrid[0:224, 0:224] / 224.0
    square = np.stack([200 * x, 120 + 80 * y, 60 + 100 * x * y], -1)
    square[60:160, 80:150] = (30, 30, 30)
    y, x = np.mgrid[0:200, 0:300] / 200.0
    wide = np.stack([40 + 60 * y, 150 + 50 * x / 1.5, 220 - 80 * y], -1)
    wide[120:, :] = (60, 140, 50)
    return square.astype(np.uint8), wide.astype(np.uint8)


def _png(image):
    return tf.io.encode_png(image).numpy()


def _with_alpha(image):
    """RGBA: opacity rising left to right, so compositing on white is checked too."""
    alpha = np.linspace(40, 255, image.shape[1]).astype(np.uint8)
    return np.dstack([image, np.broadcast_to(alpha, image.shape[:2])])


GRAPHS = CaptionGraphs
