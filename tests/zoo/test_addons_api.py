"""zoo.addons as TF Addons code sees it: TFA's weight names (as Keras 3
paths), the Keras 2 `get_initial_state(inputs=, batch_size=, dtype=)` form,
and TFA's argument semantics where they differ from zoo's defaults."""

import numpy as np
import pytest

import zoo.addons as tfa
from tests.zoo.reference import lstm_reference


def test_layer_norm_lstm_weights_have_tfa_names_and_order():
    cell = tfa.rnn.LayerNormLSTMCell(10, name="layer_norm_lstm_cell")
    cell(np.ones((12, 20), "float32"), cell.get_initial_state(batch_size=12, dtype="float32"))
    # TFA's names were "layer_norm_lstm_cell/kernel:0"...; Keras 3 calls that the path.
    assert [w.path for w in cell.weights] == [
        "layer_norm_lstm_cell/kernel",
        "layer_norm_lstm_cell/recurrent_kernel",
        "layer_norm_lstm_cell/bias",
        "layer_norm_lstm_cell/kernel_norm_gamma",
        "layer_norm_lstm_cell/kernel_norm_beta",
        "layer_norm_lstm_cell/recurrent_norm_gamma",
        "layer_norm_lstm_cell/recurrent_norm_beta",
        "layer_norm_lstm_cell/state_norm_gamma",
        "layer_norm_lstm_cell/state_norm_beta",
    ]


def test_tfa_layer_norm_lstm_carries_the_normalised_state(rng):
    """TFA's LayerNormLSTMCell feeds LN(c_t) to the next step (zoo's own
    LayerNormLSTMCell keeps c_t as the paper does)."""
    cell = tfa.rnn.LayerNormLSTMCell(4)
    x = rng.normal(size=(2, 3)).astype("float32")
    h, c = cell.get_initial_state(inputs=x, dtype="float32")
    out, (h1, c1) = cell(x, [h, c])
    weights = {v.name: np.asarray(v, "float64") for v in cell.weights}
    _, want_h, want_c = lstm_reference(
        x[:, None].astype("float64"), weights, 4, layer_norm_eps=1e-3, normalize_carry=True
    )
    np.testing.assert_allclose(np.asarray(h1), want_h, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c1), want_c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c1).mean(-1), 0.0, atol=1e-5)  # normalised


def test_tfa_peepholes_are_drawn_with_the_kernel_initializer():
    cell = tfa.rnn.PeepholeLSTMCell(3, kernel_initializer="ones")
    cell.build((None, 2))
    for name in ("input_peephole", "forget_peephole", "output_peephole"):
        np.testing.assert_array_equal(np.asarray(getattr(cell, name)), np.ones(3))


@pytest.mark.parametrize("cls", [tfa.rnn.NASCell, tfa.rnn.ESNCell, tfa.rnn.LayerNormSimpleRNNCell])
def test_tfa_configs_round_trip(cls):
    cell = cls(5)
    config = cell.get_config()
    assert config["dtype"] == "float32"  # tf.keras 2's form
    assert cls.from_config(config).get_config() == config
