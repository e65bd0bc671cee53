"""zoo.losses.sequence_loss against numpy cross-entropy, SequenceLoss in a
Keras 3 fit with per-step weights, and zoo.decoding.gather_tree /
tile_batch against a plain-Python backtrack."""

import keras
import numpy as np
import pytest

from zoo import decoding, losses


def numpy_crossentropy(logits, targets):
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]


@pytest.fixture
def batch(rng):
    logits = rng.normal(size=(3, 4, 6)).astype("float32")
    targets = rng.integers(0, 6, size=(3, 4)).astype("int32")
    weights = np.array([[1, 1, 1, 0], [1, 1, 0, 0], [0.5, 1, 1, 1]], "float32")
    return logits, targets, weights


REDUCTIONS = {
    "weighted mean": (dict(), lambda ce, w: (ce * w).sum() / w.sum()),
    "per step": (
        dict(average_across_timesteps=False),
        lambda ce, w: (ce * w).sum(0) / w.sum(0),
    ),
    "per example": (
        dict(average_across_batch=False),
        lambda ce, w: (ce * w).sum(1) / w.sum(1),
    ),
    "sum over non-zero": (
        dict(
            average_across_timesteps=False,
            average_across_batch=False,
            sum_over_timesteps=True,
            sum_over_batch=True,
        ),
        lambda ce, w: (ce * w).sum() / np.count_nonzero(w),
    ),
    "none": (
        dict(average_across_timesteps=False, average_across_batch=False),
        lambda ce, w: ce * w,
    ),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sequence_loss_matches_numpy(reduction, batch):
    logits, targets, weights = batch
    flags, reference = REDUCTIONS[reduction]
    got = np.asarray(losses.sequence_loss(logits, targets, weights, **flags))
    want = reference(numpy_crossentropy(logits.astype("float64"), targets), weights)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_one_hot_targets_give_the_same_loss(batch):
    logits, targets, weights = batch
    one_hot = np.eye(6, dtype="float32")[targets]
    np.testing.assert_allclose(
        np.asarray(losses.sequence_loss(logits, one_hot, weights)),
        np.asarray(losses.sequence_loss(logits, targets, weights)),
        rtol=1e-6,
    )


def test_ambiguous_reductions_are_refused():
    with pytest.raises(ValueError, match="ambiguous order"):
        losses.SequenceLoss(
            average_across_batch=True, sum_over_timesteps=True, sum_over_batch=False
        )


def test_sequence_loss_drives_a_keras_fit_with_step_weights(batch):
    """What TFA's test_keras_compatibility checks, in Keras 3 terms (no
    sample_weight_mode): fit reports the weighted loss of fixed logits."""
    logits, targets, weights = batch
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Lambda(lambda x: x[..., None] * 0 + logits)]
    )
    model.compile(optimizer="sgd", loss=losses.SequenceLoss())
    history = model.fit(
        np.zeros((3, 4), "float32"),
        targets,
        sample_weight=weights,
        batch_size=3,
        shuffle=False,
        verbose=0,
    )
    ce = numpy_crossentropy(logits.astype("float64"), targets)
    np.testing.assert_allclose(
        history.history["loss"][0], (ce * weights).sum() / np.count_nonzero(weights), rtol=1e-5
    )


def backtrack(step_ids, parent_ids, lengths, end):
    """Plain Python: follow each beam's parents back from its last step."""
    steps, batch, beams = step_ids.shape
    out = np.full_like(step_ids, end)
    for b in range(batch):
        for k in range(beams):
            parent = k
            for t in reversed(range(min(lengths[b], steps))):
                out[t, b, k] = step_ids[t, b, parent]
                parent = parent_ids[t, b, parent]
            ended = False
            for t in range(steps):
                ended = ended or out[t, b, k] == end
                out[t, b, k] = end if ended else out[t, b, k]
    return out


def test_gather_tree_matches_a_plain_backtrack(rng):
    steps, batch, beams, end = 7, 4, 5, 3
    step_ids = rng.integers(0, 9, size=(steps, batch, beams)).astype("int32")
    parent_ids = rng.integers(0, beams, size=(steps, batch, beams)).astype("int32")
    lengths = np.array([7, 4, 0, 9], "int32")
    got = np.asarray(decoding.gather_tree(step_ids, parent_ids, np.minimum(lengths, steps), end))
    np.testing.assert_array_equal(got, backtrack(step_ids, parent_ids, lengths, end))


def test_tile_batch_keeps_each_examples_beams_together():
    x = np.arange(6).reshape(3, 2)
    np.testing.assert_array_equal(np.asarray(decoding.tile_batch(x, 2))[:, 0], [0, 0, 2, 2, 4, 4])
