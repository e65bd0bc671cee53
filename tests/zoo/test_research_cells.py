"""NAS, ESN and the layer-normalised simple RNN against numpy written from
their papers (tests/zoo/reference.py), and TF Addons' carried-norm LSTM;
then what makes an ESN an ESN: a sparse, fixed reservoir scaled to its
spectral radius."""

import keras
import numpy as np
import pytest

from tests.zoo.helpers import WRAPPERS, randomize, run_rnn, weights_by_name
from tests.zoo.reference import (
    esn_reference,
    layer_norm_simple_rnn_reference,
    lstm_reference,
    nas_reference,
)
from zoo import layers

UNITS, FEATURES, STEPS, BATCH = 6, 5, 12, 3


@pytest.fixture
def x(rng):
    return rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("projection,use_bias", [(None, False), (4, True)])
def test_nas_matches_the_paper(projection, use_bias, wrapper, x, rng):
    cell = layers.NASCell(UNITS, projection=projection, use_bias=use_bias)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    want, _, _ = nas_reference(x.astype("float64"), weights_by_name(cell), UNITS, projection)
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("leaky", [1.0, 0.3])
def test_esn_matches_the_paper(leaky, x, rng):
    cell = layers.ESNCell(UNITS, leaky=leaky, connectivity=0.5, seed=3)
    layer, _ = run_rnn(cell, x)
    want, _ = esn_reference(x.astype("float64"), weights_by_name(cell), leaky)
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


@pytest.mark.parametrize("use_norm2", [False, True])
def test_esn_reservoir_is_sparse_fixed_and_scaled(use_norm2):
    cell = layers.ESNCell(200, connectivity=0.2, spectral_radius=0.8, use_norm2=use_norm2, seed=1)
    cell.build((None, 4))
    reservoir = np.asarray(cell.recurrent_kernel, dtype="float64")
    assert abs(np.count_nonzero(reservoir) / reservoir.size - 0.2) < 0.02
    radius = np.max(np.abs(np.linalg.eigvals(reservoir)))
    if use_norm2:  # the Frobenius norm bounds the radius from above
        assert radius < 0.8
        np.testing.assert_allclose(np.linalg.norm(reservoir), 0.8, rtol=1e-5)
    else:
        np.testing.assert_allclose(radius, 0.8, rtol=1e-4)
    assert not cell.trainable_weights and len(cell.non_trainable_weights) == 3


@pytest.mark.parametrize("wrapper", WRAPPERS)
def test_layer_norm_simple_rnn_matches_the_paper(wrapper, x, rng):
    cell = layers.LayerNormSimpleRNNCell(UNITS, layernorm_epsilon=1e-5)
    layer, _ = run_rnn(cell, x, WRAPPERS[wrapper])
    randomize(layer, rng)
    want, _ = layer_norm_simple_rnn_reference(x.astype("float64"), weights_by_name(cell), 1e-5)
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


def test_carried_norm_lstm_matches_its_equations(x, rng):
    cell = layers.LSTMCell(UNITS, layer_norm=True, normalize_carry=True)
    layer, _ = run_rnn(cell, x)
    randomize(layer, rng)
    want, _, _ = lstm_reference(
        x.astype("float64"), weights_by_name(cell), UNITS, layer_norm_eps=1e-3, normalize_carry=True
    )
    np.testing.assert_allclose(np.asarray(layer(x)), want, atol=1e-5, rtol=0)


def test_carried_norm_needs_layer_norm():
    with pytest.raises(ValueError, match="layer_norm"):
        layers.LSTMCell(4, normalize_carry=True)


@pytest.mark.parametrize(
    "cell",
    [
        lambda: layers.NASCell(5, projection=3, use_bias=True),
        lambda: layers.ESNCell(5, leaky=0.5, seed=2),
        lambda: layers.LayerNormSimpleRNNCell(5, layernorm_epsilon=1e-4),
    ],
    ids=["nas", "esn", "layer-norm-rnn"],
)
def test_new_cells_round_trip_through_a_keras_file(cell, x, tmp_path):
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), keras.layers.RNN(cell())])
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), atol=1e-6)
