"""Graph-side checks and helpers every family's graphs share: bounds
asserted before the work they guard, and image sizes read from headers."""

import numpy as np
import tensorflow as tf

from zoo_runtime.images import PNG_MAGIC


def declared_pixels(data):
    """Width x height from a JPEG's or PNG's header, without decoding;
    anything else is refused."""

    def png():
        header = tf.cast(tf.io.decode_raw(tf.strings.substr(data, 16, 8), tf.uint8), tf.int64)
        width = tf.reduce_sum(header[:4] * [1 << 24, 1 << 16, 1 << 8, 1])
        height = tf.reduce_sum(header[4:] * [1 << 24, 1 << 16, 1 << 8, 1])
        return width * height

    def jpeg():
        shape = tf.cast(tf.io.extract_jpeg_shape(data), tf.int64)
        return shape[0] * shape[1]

    is_png = tf.equal(tf.strings.substr(data, 0, 8), PNG_MAGIC) & (tf.strings.length(data) >= 24)
    known = tf.io.is_jpeg(data) | is_png
    with tf.control_dependencies([tf.debugging.Assert(known, ["image_bytes must be JPEG or PNG"])]):
        return tf.cond(is_png, png, jpeg)


def re_class(characters):
    """Characters as the inside of an RE2 character class."""
    return "".join(f"\\x{ord(c):02x}" for c in characters)


def strings(texts):
    return np.array([t.encode() for t in texts], object)


def checked_bytes(texts, most_chars, name):
    """`texts`, once each is checked to hold at most 4 * most_chars bytes
    (UTF-8's most per character): a bound before anything is decoded."""
    return checked(tf.strings.length(texts), 0, 4 * most_chars, name, texts)


def checked_text(texts, most_chars, name):
    """`texts` as valid UTF-8 (bad bytes become U+FFFD), once each is
    checked to hold at most `most_chars` characters: first its bytes (a
    bound before decoding), then its characters. `name` ("text", "word")
    names the input in the errors."""
    texts = checked_bytes(texts, most_chars, f"{name} bytes")
    texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace")
    chars = tf.strings.length(texts, unit="UTF8_CHAR")
    return checked(chars, 0, most_chars, f"{name} characters", texts)


def checked(values, low, high, name, then=None):
    """`then` (default `values`), once a graph assertion has checked that
    each of `values` lies in [low, high]."""
    ok = tf.reduce_all((values >= low) & (values <= high))
    with tf.control_dependencies(
        [tf.debugging.Assert(ok, [f"{name} must lie in [{low}, {high}]"])]
    ):
        return tf.identity(values if then is None else then)
