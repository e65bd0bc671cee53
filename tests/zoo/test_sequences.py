"""Masking, Bidirectional and stateful use (backend-neutral: also run on JAX)."""

import keras
import numpy as np
import pytest

from tests.zoo.cells import CELLS, UNITS
from tests.zoo.helpers import WRAPPERS, randomize

FEATURES = 3
LENGTHS = [9, 5, 1]


def padded_batch(rng):
    x = rng.normal(size=(len(LENGTHS), max(LENGTHS), FEATURES)).astype("float32")
    mask = np.arange(max(LENGTHS))[None, :] < np.array(LENGTHS)[:, None]
    return np.where(mask[..., None], x, 0.0).astype("float32"), mask


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("cell", CELLS)
def test_masked_sequence_equals_unpadded(cell, wrapper, rng):
    x, mask = padded_batch(rng)
    layer = WRAPPERS[wrapper](CELLS[cell](), return_sequences=True, return_state=True)
    layer.build(x.shape)
    randomize(layer, rng)
    seq, *states = layer(x, mask=mask)
    for b, length in enumerate(LENGTHS):
        alone_seq, *alone_states = layer(x[b : b + 1, :length])
        np.testing.assert_allclose(seq[b, :length], alone_seq[0], atol=1e-6)
        for s, alone in zip(states, alone_states, strict=True):
            np.testing.assert_allclose(s[b], alone[0], atol=1e-6)
        # Padded steps carry the state through: outputs repeat the last one.
        np.testing.assert_allclose(
            seq[b, length:], np.broadcast_to(alone_seq[0, -1], seq[b, length:].shape), atol=1e-6
        )


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole"])
def test_bidirectional_with_mask_equals_unpadded(cell, wrapper, rng):
    x, mask = padded_batch(rng)
    bi = keras.layers.Bidirectional(WRAPPERS[wrapper](CELLS[cell]()))
    bi.build(x.shape)
    randomize(bi, rng)
    out = np.asarray(bi(x, mask=mask))
    assert out.shape == (len(LENGTHS), 2 * UNITS)
    for b, length in enumerate(LENGTHS):
        np.testing.assert_allclose(out[b], bi(x[b : b + 1, :length])[0], atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "full-gate-recurrence", "gru"])
def test_stateful_halves_equal_whole_sequence(cell, rng):
    from zoo import layers

    x = rng.normal(size=(2, 10, FEATURES)).astype("float32")
    whole = layers.RNN(CELLS[cell](), return_sequences=True)
    whole.build(x.shape)
    randomize(whole, rng)
    stateful = layers.RNN(CELLS[cell](), return_sequences=True, stateful=True)
    stateful.build(x.shape)
    stateful.set_weights(whole.get_weights())
    halves = np.concatenate([stateful(x[:, :4]), stateful(x[:, 4:])], axis=1)
    np.testing.assert_allclose(halves, whole(x), atol=1e-6)
    stateful.reset_state()
    np.testing.assert_allclose(stateful(x[:, :4]), whole(x[:, :4]), atol=1e-6)
