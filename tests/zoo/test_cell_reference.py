"""Every cell variant against the numpy equations (tests/zoo/reference.py):
random weights, 20 steps, agreement to 1e-5."""

import numpy as np
import pytest

from tests.zoo.helpers import WRAPPERS, randomize, run_rnn, weights_by_name
from tests.zoo.reference import gru_reference, lstm_reference, simple_rnn_reference
from zoo import layers

UNITS, FEATURES, STEPS, BATCH = 6, 5, 20, 3

LSTM_VARIANTS = {
    "vanilla": {},
    "peepholes": {"peepholes": True},
    "coupled (CIFG)": {"coupled": True},
    "coupled + peepholes": {"coupled": True, "peepholes": True},
    "no input gate": {"input_gate": False},
    "no forget gate": {"forget_gate": False},
    "no output gate": {"output_gate": False},
    "no input activation": {"input_activation": False},
    "no output activation": {"output_activation": False},
    "full gate recurrence": {"gate_recurrence": True},
    "full gate recurrence + peepholes + CIFG": {
        "gate_recurrence": True,
        "peepholes": True,
        "coupled": True,
    },
    "no gates but forget": {"input_gate": False, "output_gate": False},
    "no bias": {"use_bias": False},
}


@pytest.fixture
def x(rng):
    return rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("flags", LSTM_VARIANTS.values(), ids=LSTM_VARIANTS.keys())
def test_lstm_variant_matches_equations(flags, wrapper, x, rng):
    cell = layers.LSTMCell(UNITS, **flags)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    got = np.asarray(layer(x))
    ref_flags = {k: v for k, v in flags.items() if k != "use_bias"}
    want, _, _ = lstm_reference(x.astype("float64"), weights_by_name(cell), UNITS, **ref_flags)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_layer_norm_lstm_matches_equations(wrapper, x, rng):
    cell = layers.LayerNormLSTMCell(UNITS, norm_epsilon=1e-3)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    got = np.asarray(layer(x))
    want, _, _ = lstm_reference(
        x.astype("float64"), weights_by_name(cell), UNITS, layer_norm_eps=1e-3
    )
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)


@pytest.mark.parametrize(
    "preset,flags",
    [
        (layers.PeepholeLSTMCell, {"peepholes": True}),
        (layers.CIFGLSTMCell, {"coupled": True}),
    ],
)
def test_presets_match_their_equations(preset, flags, x, rng):
    cell = preset(UNITS)
    layer, _ = run_rnn(cell, x)
    randomize(layer, rng)
    want, _, _ = lstm_reference(x.astype("float64"), weights_by_name(cell), UNITS, **flags)
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_equations(reset_after, wrapper, x, rng):
    cell = layers.GRUCell(UNITS, reset_after=reset_after)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    want, _ = gru_reference(
        x.astype("float64"), weights_by_name(cell), UNITS, reset_after=reset_after
    )
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_simple_rnn_matches_equations(wrapper, x, rng):
    cell = layers.SimpleRNNCell(UNITS)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    want, _ = simple_rnn_reference(x.astype("float64"), weights_by_name(cell), UNITS)
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


def test_weight_layout_follows_design():
    """Names and shapes from DESIGN.md's 'Cell weight layout'."""

    def shapes(cell):
        keras_layer = run_rnn(cell, np.zeros((1, 2, FEATURES), "float32"))[0]
        return {v.name: tuple(v.shape) for v in keras_layer.weights}

    g4, g3 = 4 * UNITS, 3 * UNITS
    assert shapes(layers.LSTMCell(UNITS)) == {
        "kernel": (FEATURES, g4),
        "recurrent_kernel": (UNITS, g4),
        "bias": (g4,),
    }
    assert shapes(layers.PeepholeLSTMCell(UNITS)) == {
        "kernel": (FEATURES, g4),
        "recurrent_kernel": (UNITS, g4),
        "bias": (g4,),
        "input_peephole": (UNITS,),
        "forget_peephole": (UNITS,),
        "output_peephole": (UNITS,),
    }
    assert shapes(layers.CIFGLSTMCell(UNITS)) == {
        "kernel": (FEATURES, g3),
        "recurrent_kernel": (UNITS, g3),
        "bias": (g3,),
    }
    assert shapes(layers.GRUCell(UNITS))["bias"] == (2, g3)
    assert shapes(layers.GRUCell(UNITS, reset_after=False))["bias"] == (g3,)


def test_forget_bias_starts_at_one():
    cell = layers.LSTMCell(UNITS)
    run_rnn(cell, np.zeros((1, 2, FEATURES), "float32"))
    bias = np.asarray(cell.bias)
    np.testing.assert_array_equal(bias[UNITS : 2 * UNITS], 1.0)
    np.testing.assert_array_equal(np.delete(bias, np.s_[UNITS : 2 * UNITS]), 0.0)
    off = layers.LSTMCell(UNITS, unit_forget_bias=False)
    run_rnn(off, np.zeros((1, 2, FEATURES), "float32"))
    np.testing.assert_array_equal(np.asarray(off.bias), 0.0)
