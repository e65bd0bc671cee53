"""`.keras` round trips are exact, configs complete."""

import json

import keras
import numpy as np
import pytest

from tests.zoo.cells import CELLS
from tests.zoo.helpers import WRAPPERS, randomize
from zoo import layers

X_SHAPE = (2, 6, 3)


def roundtrip(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    return keras.saving.load_model(path)


def assert_same_model(model, tmp_path, rng):
    randomize(model, rng)
    x = rng.normal(size=X_SHAPE).astype("float32")
    loaded = roundtrip(model, tmp_path)
    np.testing.assert_array_equal(loaded(x), model(x))
    # JSON turns tuples into lists; compare in that form.
    assert json.loads(json.dumps(loaded.get_config())) == json.loads(json.dumps(model.get_config()))


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("cell", CELLS)
def test_keras_file_roundtrip_is_exact(cell, wrapper, tmp_path, rng):
    model = keras.Sequential(
        [
            keras.Input(X_SHAPE[1:]),
            WRAPPERS[wrapper](CELLS[cell](), return_sequences=True),
        ]
    )
    assert_same_model(model, tmp_path, rng)


def test_drop_in_layers_and_bidirectional_roundtrip(tmp_path, rng):
    model = keras.Sequential(
        [
            keras.Input(X_SHAPE[1:]),
            keras.layers.Bidirectional(
                layers.LSTM(5, peepholes=True, coupled=True, return_sequences=True)
            ),
            layers.GRU(4, reset_after=False, return_sequences=True, use_cudnn=False),
            layers.SimpleRNN(3),
        ]
    )
    assert_same_model(model, tmp_path, rng)


def test_every_constructor_argument_survives_config():
    cell = layers.LSTMCell(
        7,
        activation="relu",
        recurrent_activation="hard_sigmoid",
        use_bias=False,
        unit_forget_bias=False,
        peepholes=True,
        coupled=True,
        output_gate=False,
        input_activation=False,
        gate_recurrence=True,
        layer_norm=True,
        norm_epsilon=1e-4,
        kernel_regularizer="l2",
        recurrent_constraint="non_neg",
        dropout=0.1,
        recurrent_dropout=0.2,
        seed=3,
        kernel_initializer="he_normal",
    )
    clone = layers.LSTMCell.from_config(cell.get_config())
    assert clone.get_config() == cell.get_config()
    for name in (
        "peepholes",
        "coupled",
        "output_gate",
        "input_activation",
        "gate_recurrence",
        "layer_norm",
        "unit_forget_bias",
        "use_bias",
    ):
        assert getattr(clone, name) == getattr(cell, name), name
    assert clone.norm_epsilon == 1e-4 and clone.dropout == 0.1 and clone.seed == 3
    assert clone.activation is keras.activations.relu
    layer = layers.GRU(4, reset_after=False, recurrent_dropout=0.3, go_backwards=True)
    clone = layers.GRU.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.cell.reset_after is False and clone.go_backwards
