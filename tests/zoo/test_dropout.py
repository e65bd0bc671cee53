"""Variational dropout: one mask per sequence on the inputs and on the
recurrent state (Gal & Ghahramani), a fresh one per batch, none at inference.

A linear SimpleRNN with identity weights makes the masks visible: with
W = I, U = 0 the output is the dropped input; with W = U = I and an input
only at t = 0 the output is the product of the recurrent masks so far."""

import numpy as np
import pytest

from tests.zoo.helpers import WRAPPERS
from zoo import layers

D, T, B = 32, 6, 8


def identity_rnn(wrapper, recurrent, **dropout):
    cell = layers.SimpleRNNCell(D, activation="linear", **dropout)
    layer = WRAPPERS[wrapper](cell, return_sequences=True)
    layer.build((B, T, D))
    cell.kernel.assign(np.eye(D, dtype="float32"))
    cell.recurrent_kernel.assign(np.eye(D, dtype="float32") * recurrent)
    cell.bias.assign(np.zeros(D, "float32"))
    return layer


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_input_mask_is_the_same_at_every_step(wrapper):
    layer = identity_rnn(wrapper, recurrent=0.0, dropout=0.5)
    x = np.ones((B, T, D), "float32")
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out)) <= {0.0, 2.0}  # kept units scaled by 1/(1-0.5)
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))
    assert 0.3 < (out == 0).mean() < 0.7
    assert len({row.tobytes() for row in out[:, 0]}) == B, "samples share a mask"
    again = np.asarray(layer(x, training=True))
    assert not np.array_equal(again, out), "the mask must be fresh per batch"
    np.testing.assert_array_equal(layer(x, training=False), x)


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_recurrent_mask_is_the_same_at_every_step(wrapper):
    layer = identity_rnn(wrapper, recurrent=1.0, recurrent_dropout=0.5)
    x = np.zeros((B, T, D), "float32")
    x[:, 0] = 1.0
    out = np.asarray(layer(x, training=True))
    kept = out[:, 1] != 0
    # h_t = m^t with one mask m in {0, 2}: the same units stay alive.
    for t in range(1, T):
        np.testing.assert_array_equal(out[:, t] != 0, kept)
        np.testing.assert_allclose(out[:, t][kept], 2.0**t)
    assert 0.3 < kept.mean() < 0.7
    np.testing.assert_array_equal(layer(x, training=False), np.cumsum(x, axis=1))
