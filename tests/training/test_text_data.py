"""The text pipelines: TFDS' split boundaries, windows that stay inside one
split, reproducible per-epoch shuffling, and length bucketing."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from tensorflow_datasets.datasets.tiny_shakespeare import tiny_shakespeare_dataset_builder

from tests.training.conftest import SHAKESPEARE
from training.data import text_data
from zoo_runtime.chars import CharVocabulary


class _LocalDownloads:
    """Stands in for TFDS' download manager: serves the shared copy."""

    def download(self, url):
        assert url.endswith("tinyshakespeare/input.txt")
        return str(SHAKESPEARE)


def test_splits_are_the_tfds_builders_own(shakespeare):
    generators = tiny_shakespeare_dataset_builder.Builder._split_generators(None, _LocalDownloads())
    tfds_splits = {g.gen_kwargs["split_key"]: g.gen_kwargs["split_text"] for g in generators}
    ours = text_data.load_corpus("file", SHAKESPEARE)
    assert ours == tfds_splits
    assert [len(ours[s]) for s in text_data.SPLITS] == [1003854, 55770, 55770]
    assert "".join(ours[s] for s in text_data.SPLITS) == shakespeare


def test_tfds_source_builds_offline_and_equals_the_file(tmp_path, monkeypatch):
    """The real tensorflow-datasets builder, with its download served locally."""
    monkeypatch.setattr(
        tfds.download.DownloadManager, "download", lambda self, url: str(SHAKESPEARE)
    )
    assert text_data.load_corpus("tfds", tmp_path) == text_data.load_corpus("file", SHAKESPEARE)


def test_tfds_offline_is_a_clear_error(tmp_path, monkeypatch):
    def offline(self, url):
        raise ConnectionError("no route to host")

    monkeypatch.setattr(tfds.download.DownloadManager, "download", offline)
    with pytest.raises(RuntimeError, match="--source file"):
        text_data.load_corpus("tfds", tmp_path)


def test_missing_file_and_unknown_source_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="--data-dir"):
        text_data.load_corpus("file", tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="unknown corpus source"):
        text_data.load_corpus("gutenberg")


def test_windows_shapes_dtypes_and_targets():
    ids = np.arange(1, 1002, dtype=np.int32)  # 1001 ids -> 10 windows of 100 (+1)
    pairs = list(text_data.windows(ids, 100).as_numpy_iterator())
    assert len(pairs) == 10 == text_data.window_count(ids, 100)
    for k, (x, y) in enumerate(pairs):
        assert x.dtype == y.dtype == np.int32 and x.shape == y.shape == (100,)
        np.testing.assert_array_equal(x, ids[k * 100 : k * 100 + 100])
        np.testing.assert_array_equal(y, ids[k * 100 + 1 : k * 100 + 101])


def test_no_window_crosses_the_train_validation_boundary(shakespeare):
    corpus = text_data.load_corpus("file", SHAKESPEARE)
    vocab = CharVocabulary.from_text(corpus["train"])
    seq_len = 100
    train_ids = vocab.encode(corpus["train"])
    pairs = list(text_data.windows(train_ids, seq_len).as_numpy_iterator())
    last_x, last_y = pairs[-1]
    end = len(pairs) * seq_len + 1  # characters the windows span
    assert end <= len(corpus["train"])
    assert (
        vocab.decode(np.concatenate([last_x, last_y[-1:]]))
        == corpus["train"][end - seq_len - 1 : end]
    )
    # Validation windows start at the validation split's first character.
    val_x, _ = next(iter(text_data.windows(vocab.encode(corpus["validation"]), seq_len)))
    assert vocab.decode(val_x.numpy()) == corpus["validation"][:seq_len]


def test_training_batches_shuffle_reproducibly_per_epoch():
    ids = np.arange(2001, dtype=np.int32)  # 200 windows of 10

    def epochs(start, seed=0):
        ds = text_data.training_batches(ids, 10, 20, seed=seed, epochs=3, start_epoch=start)
        batches = [x[:, 0] // 10 for x, _ in ds.as_numpy_iterator()]  # window indices
        return [np.concatenate(batches[i : i + 10]) for i in range(0, len(batches), 10)]

    full = epochs(0)
    assert len(full) == 3
    for order in full:  # each epoch: every window exactly once
        np.testing.assert_array_equal(np.sort(order), np.arange(200))
    assert not np.array_equal(full[0], full[1])
    resumed = epochs(1)  # a run resumed at epoch 1 sees epochs 1 and 2 unchanged
    np.testing.assert_array_equal(resumed[0], full[1])
    np.testing.assert_array_equal(resumed[1], full[2])
    assert not np.array_equal(epochs(0, seed=1)[0], full[0])


def test_streams_continue_across_windows_and_resume_alike():
    ids = np.arange(5003, dtype=np.int32)  # each id its own position
    seq_len, rows = 10, 4

    def epochs(start, seed=0):
        ds = text_data.stream_batches(ids, seq_len, rows, seed=seed, epochs=3, start_epoch=start)
        batches = list(ds.as_numpy_iterator())
        steps = text_data.stream_steps(len(ids), seq_len, rows)
        return [batches[i : i + steps] for i in range(0, len(batches), steps)]

    full = epochs(0)
    assert [len(epoch) for epoch in full] == [124] * 3  # (5003 - 10) // 40 in every epoch
    starts = []
    for epoch in full:
        streams = np.concatenate([x for (x, _), _ in epoch], axis=1)  # (rows, span)
        targets = np.concatenate([y for _, y in epoch], axis=1)
        # Row r reads one contiguous stretch, window after window, and its
        # targets are the characters after its inputs.
        np.testing.assert_array_equal(np.diff(streams, axis=1), 1)
        np.testing.assert_array_equal(targets, streams + 1)
        # The rows are disjoint stretches that follow one another.
        np.testing.assert_array_equal(streams[1:, 0], streams[:-1, -1] + 1)
        fresh = np.stack([f for (_, f), _ in epoch])
        assert fresh[0].tolist() == [1.0] * rows and not fresh[1:].any()
        starts.append(streams[0, 0])
    assert all(0 <= s < seq_len for s in starts) and len(set(starts)) > 1  # edges move
    resumed = epochs(1)  # a run resumed at epoch 1 sees epochs 1 and 2 unchanged
    for a, b in zip(resumed, full[1:], strict=True):
        for ((xa, fa), ya), ((xb, fb), yb) in zip(a, b, strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(fa, fb)
            np.testing.assert_array_equal(ya, yb)
    evaluation = text_data.stream_batches(ids, seq_len, rows, offset=False, epochs=2)
    assert [x[0, 0] for (x, _), _ in evaluation.as_numpy_iterator()][::124] == [0, 0]
    with pytest.raises(ValueError, match="fewer than one batch"):
        text_data.stream_batches(ids[:45], seq_len, rows)


def test_too_short_text_is_a_clear_error():
    with pytest.raises(ValueError, match="too short"):
        text_data.windows(np.arange(5), 10)


def test_bucket_by_sequence_length_groups_and_pads():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=300)
    seqs = [np.full(n, n, np.int32) for n in lengths]  # every value = its length
    ds = tf.data.Dataset.from_generator(
        lambda: iter(seqs), output_signature=tf.TensorSpec([None], tf.int32)
    )
    batches = list(
        text_data.bucket_by_sequence_length(ds, [10, 20], [8, 4, 2], pad_id=-1).as_numpy_iterator()
    )
    seen = []
    for batch in batches:
        real = np.where(batch == -1, 0, batch).max(axis=1)  # each row's length
        bucket = np.digitize(real, [10, 20])
        assert len(set(bucket)) == 1  # one bucket per batch
        assert len(batch) <= [8, 4, 2][bucket[0]]
        assert batch.shape[1] == real.max()  # padded to the batch's longest only
        for row, n in zip(batch, real, strict=True):
            assert (row[:n] == n).all() and (row[n:] == -1).all()
        seen.extend(real)
    assert sorted(seen) == sorted(lengths)


def test_bucket_by_sequence_length_pads_tuples_too():
    pairs = [(np.ones(n, np.int32), np.ones(n + 1, np.int32)) for n in (3, 5, 12, 15)]
    ds = tf.data.Dataset.from_generator(
        lambda: iter(pairs),
        output_signature=(tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.int32)),
    )
    batches = list(text_data.bucket_by_sequence_length(ds, [10], [2, 2]).as_numpy_iterator())
    shapes = sorted((x.shape, y.shape) for x, y in batches)
    assert shapes == [((2, 5), (2, 6)), ((2, 15), (2, 16))]


def test_bucket_arguments_are_checked():
    ds = tf.data.Dataset.range(3)
    with pytest.raises(ValueError, match="one batch size per bucket"):
        text_data.bucket_by_sequence_length(ds, [5], [4])
    with pytest.raises(ValueError, match="increasing"):
        text_data.bucket_by_sequence_length(ds, [5, 3], [1, 1, 1])
