"""Text corpora and tf.data pipelines for language models.

Splits follow tensorflow-datasets' `tiny_shakespeare` boundaries (first 90%
train, next 5% validation, last 5% test) whichever source the text comes
from, so figures from the local file and from TFDS compare. Windows are cut
inside one split, never across a boundary.
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

from training.core.paths import DEFAULT_DATA_DIR, data_dir  # noqa: F401  (its home before paths)

SPLITS = ("train", "validation", "test")


def split_text(text):
    """TFDS tiny_shakespeare's 90/5/5 split of one text."""
    i = int(len(text) * 0.9)
    train, rest = text[:i], text[i:]
    j = int(len(rest) * 0.5)
    return {"train": train, "validation": rest[:j], "test": rest[j:]}


def load_corpus(source="file", path=None):
    """{split: text}. source "file": the UTF-8 text file `path`, split as
    TFDS does; "tfds": tensorflow-datasets' tiny_shakespeare (downloaded
    once into `path`, default TFDS' own data folder)."""
    if source == "file":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"corpus file {path} not found: pass --data-dir (or set ZOO_DATA_DIR) to the "
                "folder holding it, or use --source tfds to download tiny_shakespeare"
            )
        return split_text(path.read_text(encoding="utf-8"))
    if source == "tfds":
        import tensorflow_datasets as tfds

        try:
            splits = tfds.load("tiny_shakespeare", split=list(SPLITS), data_dir=path)
        except Exception as error:  # offline, proxy, disk...: say what to do instead
            raise RuntimeError(
                f"could not load tiny_shakespeare from tensorflow-datasets ({error}); "
                "without internet access use --source file with --data-dir"
            ) from error
        return {
            name: next(iter(ds))["text"].numpy().decode("utf-8")
            for name, ds in zip(SPLITS, splits, strict=True)
        }
    raise ValueError(f"unknown corpus source {source!r}; use 'file' or 'tfds'")


def windows(ids, seq_len):
    """Dataset of (inputs, targets), each (seq_len,) int32: consecutive
    windows of seq_len + 1 ids that overlap by one id, so every transition
    in `ids` is a target exactly once."""
    window, count = _window_fn(ids, seq_len)
    return tf.data.Dataset.range(count).map(window, num_parallel_calls=tf.data.AUTOTUNE)


def window_count(ids, seq_len):
    return (len(ids) - 1) // seq_len


def training_batches(ids, seq_len, batch_size, seed, epochs, start_epoch=0):
    """Shuffled batches of windows for epochs start_epoch..epochs-1."""
    window, count = _window_fn(ids, seq_len)

    def batches_of(order):
        windows = order.map(window, num_parallel_calls=tf.data.AUTOTUNE)
        return windows.batch(batch_size, drop_remainder=True)

    return shuffled_epochs(count, seed, epochs, start_epoch, batches_of)


def shuffled_epochs(count, seed, epochs, start_epoch, batches_of):
    """Epochs start_epoch..epochs-1 back to back. Each epoch's order is a
    stateless permutation of range(count) keyed by (seed, epoch), so a run
    resumed at epoch k sees exactly the batches an uninterrupted one would.
    `batches_of(indices dataset)` turns an epoch's order into batches."""

    def epoch(e):
        keys = tf.random.stateless_uniform([count], seed=tf.stack([tf.cast(seed, tf.int64), e]))
        return batches_of(tf.data.Dataset.from_tensor_slices(tf.argsort(keys)))

    batches = tf.data.Dataset.range(start_epoch, epochs).flat_map(epoch)
    return batches.prefetch(tf.data.AUTOTUNE)


def stream_steps(length, seq_len, batch_size):
    """Batches per epoch of `stream_batches` over `length` ids: the same
    for every stream offset, so every epoch has as many steps."""
    return (length - seq_len) // (batch_size * seq_len)


def stream_batches(ids, seq_len, batch_size, seed=0, epochs=1, start_epoch=0, offset=True):
    """Truncated-BPTT batches: ((inputs (B, seq_len), fresh (B,)), targets).

    Each of the batch_size rows is one contiguous stretch of the text, and
    window k + 1 of a row continues window k, so a model that carries its
    state from batch to batch (training.core.streaming) reads the text as
    batch_size streams. `fresh` is 1 on an epoch's first window (the carried
    state restarts there), else 0. Each epoch starts the streams at an
    offset in [0, seq_len) keyed by (seed, epoch), so the windows' edges
    move between epochs and a resumed run sees the same batches as an
    uninterrupted one; `offset=False` starts every epoch at 0 (evaluation)."""
    ids = tf.constant(np.asarray(ids, np.int32))
    steps = stream_steps(int(ids.shape[0]), seq_len, batch_size)
    if steps < 1:
        raise ValueError(
            f"a text of {ids.shape[0]} characters holds fewer than one batch of "
            f"{batch_size} streams of {seq_len}: use a longer text or a smaller batch_size"
        )
    span = steps * seq_len  # the characters each stream reads in an epoch

    def epoch(e):
        start = tf.constant(0, tf.int64)
        if offset:
            key = tf.stack([tf.cast(seed, tf.int64), e])
            start = tf.random.stateless_uniform([], key, maxval=seq_len, dtype=tf.int64)

        def rows(shift):  # (batch_size, span): stream r starts at start + r * span
            return tf.reshape(ids[start + shift : start + shift + batch_size * span], (-1, span))

        inputs, targets = rows(0), rows(1)

        def window(k):
            fresh = tf.fill([batch_size], tf.cast(tf.equal(k, 0), tf.float32))
            cut = lambda rows: rows[:, k * seq_len : (k + 1) * seq_len]  # noqa: E731
            return (cut(inputs), fresh), cut(targets)

        return tf.data.Dataset.range(steps).map(window)

    batches = tf.data.Dataset.range(start_epoch, epochs).flat_map(epoch)
    # flat_map hides the length; Keras needs it to end an evaluation quietly.
    batches = batches.apply(tf.data.experimental.assert_cardinality((epochs - start_epoch) * steps))
    return batches.prefetch(tf.data.AUTOTUNE)


def _window_fn(ids, seq_len):
    ids = tf.constant(np.asarray(ids, np.int32))
    count = window_count(ids, seq_len)
    if count < 1:
        raise ValueError(f"text of {ids.shape[0]} characters is too short for seq_len={seq_len}")

    def window(i):
        i = tf.cast(i, tf.int32)
        chunk = ids[i * seq_len : (i + 1) * seq_len + 1]
        return chunk[:-1], chunk[1:]

    return window, count


def evaluation_batches(ids, seq_len, batch_size):
    return windows(ids, seq_len).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def bucket_by_sequence_length(dataset, boundaries, batch_sizes, pad_id=0, length_fn=None):
    """Batches of similar-length sequences, padded with `pad_id` to the
    longest in the batch: less padding than one global length. `dataset`
    yields a tensor or a tuple of tensors whose first dimension is time;
    `length_fn` gives an element's length (default: the first tensor's).
    len(batch_sizes) must be len(boundaries) + 1."""
    if len(batch_sizes) != len(boundaries) + 1:
        raise ValueError(
            f"need one batch size per bucket: {len(boundaries) + 1} for "
            f"{len(boundaries)} boundaries, got {len(batch_sizes)}"
        )
    if list(boundaries) != sorted(set(boundaries)) or (boundaries and boundaries[0] < 1):
        raise ValueError(f"boundaries must be increasing positive ints, got {boundaries}")

    def first_length(*element):
        return tf.shape(element[0])[0]

    return dataset.bucket_by_sequence_length(
        element_length_func=length_fn or first_length,
        bucket_boundaries=list(boundaries),
        bucket_batch_sizes=list(batch_sizes),
        padding_values=_padding_like(dataset.element_spec, pad_id),
    )


def _padding_like(spec, pad_id):
    return tf.nest.map_structure(lambda s: tf.constant(pad_id, s.dtype), spec)
