"""Standard cells against keras.layers.LSTM / GRU / SimpleRNN: weights copied
either way, outputs and gradients equal to 1e-5."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.zoo.helpers import WRAPPERS, randomize
from zoo import layers

UNITS, FEATURES, STEPS, BATCH = 8, 5, 12, 4

CASES = {
    "lstm": (
        lambda: layers.LSTMCell(UNITS),
        lambda: keras.layers.LSTM(UNITS, return_sequences=True),
    ),
    "gru reset_after": (
        lambda: layers.GRUCell(UNITS, reset_after=True),
        lambda: keras.layers.GRU(UNITS, reset_after=True, return_sequences=True),
    ),
    "gru reset_before": (
        lambda: layers.GRUCell(UNITS, reset_after=False),
        lambda: keras.layers.GRU(UNITS, reset_after=False, return_sequences=True),
    ),
    "simple rnn": (
        lambda: layers.SimpleRNNCell(UNITS),
        lambda: keras.layers.SimpleRNN(UNITS, return_sequences=True),
    ),
}


def outputs_and_gradients(layer, x):
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        # A loss that weighs every step and unit differently.
        loss = tf.reduce_sum(y * tf.sin(tf.reshape(tf.range(tf.size(y), dtype=y.dtype), y.shape)))
    grads = tape.gradient(loss, [x, *layer.trainable_weights])
    return y.numpy(), [g.numpy() for g in grads]


def copy_weights(src, dst):
    assert [w.name for w in src.weights] == [w.name for w in dst.weights]
    for a, b in zip(src.weights, dst.weights, strict=True):
        assert tuple(a.shape) == tuple(b.shape), a.name
        b.assign(a)


@pytest.mark.parametrize("direction", ["keras->zoo", "zoo->keras"])
@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("case", CASES)
def test_outputs_and_gradients_equal_keras(case, wrapper, direction, rng):
    make_cell, make_keras = CASES[case]
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    ours = WRAPPERS[wrapper](make_cell(), return_sequences=True)
    theirs = make_keras()
    ours.build(x.shape)
    theirs.build(x.shape)
    src, dst = (theirs, ours) if direction == "keras->zoo" else (ours, theirs)
    randomize(src, rng)
    copy_weights(src, dst)
    y_ours, g_ours = outputs_and_gradients(ours, x)
    y_theirs, g_theirs = outputs_and_gradients(theirs, x)
    np.testing.assert_allclose(y_ours, y_theirs, atol=1e-5, rtol=0)
    for a, b in zip(g_ours, g_theirs, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_keras_weight_file_loads_into_zoo_layer(kind, tmp_path, rng):
    """A Keras model's weights file loads unchanged into the same model built
    with the zoo drop-in layer."""
    x = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")

    def model(rnn):
        inputs = keras.Input((STEPS, FEATURES))
        return keras.Model(inputs, keras.layers.Dense(3)(rnn(inputs)))

    theirs = model(getattr(keras.layers, kind)(UNITS))
    ours = model(getattr(layers, kind)(UNITS))
    path = tmp_path / "keras.weights.h5"
    theirs.save_weights(path)
    ours.load_weights(path)
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-6, rtol=0)
    # And array by array, in the same order.
    randomize(theirs, rng)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x), theirs(x), atol=1e-6, rtol=0)
