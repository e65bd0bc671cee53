"""Gate behaviour measured from the outside: one step from a chosen state,
gates read back from the new cell state and output (no internals used)."""

import numpy as np
import pytest

from tests.zoo.reference import sigmoid
from zoo import layers

UNITS, FEATURES, BATCH = 4, 3, 5


def one_step(cell, x, h0, c0):
    """(h1, c1) after one step from (h0, c0)."""
    layer = layers.RNN(cell, return_state=True)
    _, h1, c1 = layer(x[:, None, :], initial_state=[h0, c0])
    return np.asarray(h1, "float64"), np.asarray(c1, "float64")


def set_weights(cell, **values):
    for v in cell.weights:
        v.assign(np.broadcast_to(values.get(v.name, 0.0), v.shape).astype("float32"))


@pytest.fixture
def state(rng):
    x = rng.normal(size=(BATCH, FEATURES)).astype("float32")
    h0 = rng.normal(size=(BATCH, UNITS)).astype("float32")
    return x, h0


def measure_input_and_forget(cell, c_block, state, rng):
    """(i, f) of one step with random weights, except the candidate block
    saturated at +1 so that c1 = f * c0 + i; two c0 one apart give both."""
    x, h0 = state
    one_step(cell, x, h0, np.zeros_like(h0))  # build
    for v in cell.weights:
        v.assign(rng.uniform(-1, 1, v.shape).astype("float32"))
    for name, value in (("bias", 50.0), ("kernel", 0.0), ("recurrent_kernel", 0.0)):
        w = np.asarray(getattr(cell, name)).copy()
        w[..., c_block] = value
        getattr(cell, name).assign(w)
    c_a = rng.normal(size=h0.shape).astype("float32")
    _, c1_a = one_step(cell, x, h0, c_a)
    _, c1_b = one_step(cell, x, h0, c_a + 1.0)
    f = c1_b - c1_a  # (f * (c_a + 1) + i) - (f * c_a + i)
    return c1_a - f * c_a, f


def test_cifg_forget_gate_is_one_minus_input_gate(state, rng):
    # CIFG blocks are i, c, o.
    i, f = measure_input_and_forget(layers.CIFGLSTMCell(UNITS), slice(UNITS, 2 * UNITS), state, rng)
    assert np.all((f > 0.01) & (f < 0.99)), "test needs non-trivial gates"
    np.testing.assert_allclose(f, 1.0 - i, atol=1e-5)


def test_standard_lstm_forget_gate_is_not_coupled(state, rng):
    """The same measurement on a standard LSTM (blocks i, f, c, o) must not
    find f = 1 - i: the CIFG check above can fail."""
    i, f = measure_input_and_forget(layers.LSTMCell(UNITS), slice(2 * UNITS, 3 * UNITS), state, rng)
    assert np.abs(f - (1.0 - i)).max() > 0.05


def peephole_cell(bias, **peepholes):
    """Peephole LSTM with zero W and U: gates depend on bias and peepholes."""
    cell = layers.PeepholeLSTMCell(UNITS)
    one_step(
        cell,
        np.zeros((1, FEATURES), "float32"),
        np.zeros((1, UNITS), "float32"),
        np.zeros((1, UNITS), "float32"),
    )
    set_weights(cell, bias=np.repeat(bias, UNITS), **peepholes)
    return cell


def test_output_peephole_sees_new_cell_state():
    b_i, b_f, b_c, b_o = 0.3, -0.2, 0.8, 0.1
    cell = peephole_cell([b_i, b_f, b_c, b_o], output_peephole=2.0)
    c0 = np.linspace(-2, 2, BATCH * UNITS).reshape(BATCH, UNITS).astype("float32")
    h1, c1 = one_step(
        cell, np.zeros((BATCH, FEATURES), "float32"), np.zeros((BATCH, UNITS), "float32"), c0
    )
    o = h1 / np.tanh(c1)
    np.testing.assert_allclose(o, sigmoid(b_o + 2.0 * c1), atol=1e-5)
    assert np.abs(o - sigmoid(b_o + 2.0 * c0)).max() > 0.05


@pytest.mark.parametrize("gate", ["input", "forget"])
def test_input_and_forget_peepholes_see_previous_cell_state(gate):
    b_i, b_f, b_c, b_o = 0.3, -0.2, 0.8, 0.1
    cell = peephole_cell([b_i, b_f, b_c, b_o], **{f"{gate}_peephole": 1.5})
    c0 = np.linspace(-2, 2, BATCH * UNITS).reshape(BATCH, UNITS).astype("float32")
    _, c1 = one_step(
        cell, np.zeros((BATCH, FEATURES), "float32"), np.zeros((BATCH, UNITS), "float32"), c0
    )
    g = np.tanh(b_c)
    if gate == "input":
        f = sigmoid(b_f)
        seen = (c1 - f * c0) / g  # the input gate's value
        np.testing.assert_allclose(seen, sigmoid(b_i + 1.5 * c0), atol=1e-5)
        assert np.abs(seen - sigmoid(b_i + 1.5 * c1)).max() > 0.05
    else:
        i = sigmoid(b_i)
        seen = (c1 - i * g) / c0  # the forget gate's value
        np.testing.assert_allclose(seen, sigmoid(b_f + 1.5 * c0), atol=1e-4)
        assert np.abs(seen - sigmoid(b_f + 1.5 * c1)).max() > 0.05
