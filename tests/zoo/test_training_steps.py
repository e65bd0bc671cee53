"""Bidirectional and stacked models built from zoo cells train."""

import keras
import numpy as np
import pytest

from tests.zoo.cells import CELLS
from zoo import layers


def fit_one_epoch(model, rng):
    x = rng.normal(size=(16, 7, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    before = [np.array(w) for w in model.trainable_weights]
    loss = model.fit(x, y, batch_size=8, epochs=1, verbose=0).history["loss"][0]
    assert np.isfinite(loss)
    changed = [
        not np.array_equal(a, np.asarray(b))
        for a, b in zip(before, model.trainable_weights, strict=True)
    ]
    assert all(changed), "some weights did not move"


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_two_layer_stack_trains(cell, rng):
    model = keras.Sequential(
        [
            keras.Input((7, 3)),
            keras.layers.Bidirectional(layers.RNN(CELLS[cell](), return_sequences=True)),
            layers.RNN(CELLS[cell]()),
            keras.layers.Dense(1),
        ]
    )
    fit_one_epoch(model, rng)


def test_stacked_cells_in_keras_rnn_train(rng):
    model = keras.Sequential(
        [
            keras.Input((7, 3)),
            keras.layers.RNN([CELLS["peephole"](), CELLS["gru"](), CELLS["layer-norm"]()]),
            keras.layers.Dense(1),
        ]
    )
    fit_one_epoch(model, rng)


def test_drop_in_layers_with_dropout_train(rng):
    model = keras.Sequential(
        [
            keras.Input((7, 3)),
            layers.LSTM(8, coupled=True, dropout=0.2, recurrent_dropout=0.2, return_sequences=True),
            layers.GRU(8, dropout=0.2),
            keras.layers.Dense(1),
        ]
    )
    fit_one_epoch(model, rng)


@pytest.mark.parametrize("cell", ["lstm", "layer-norm", "full-gate-recurrence", "gru-reset-before"])
def test_mixed_precision_policy(cell, rng):
    """float16 compute with float32 weights (the GPU mixed-precision switch)."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = layers.RNN(CELLS[cell]())
        y = layer(rng.normal(size=(2, 5, 3)).astype("float32"))
        assert y.dtype == "float16" and all(w.dtype == "float32" for w in layer.weights)
        assert np.all(np.isfinite(np.asarray(y, "float32")))
    finally:
        keras.mixed_precision.set_global_policy("float32")
