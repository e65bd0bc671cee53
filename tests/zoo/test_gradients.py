"""Gradients through long sequences (TensorFlow's GradientTape, in a
tf.function: eager runs each of the 500 steps op by op, 6x slower)."""

import numpy as np
import pytest
import tensorflow as tf

from tests.zoo.cells import CELLS
from tests.zoo.helpers import WRAPPERS

FEATURES = 3


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("cell", CELLS)
def test_gradients_finite_over_500_steps(cell, wrapper, rng):
    x = tf.constant(rng.normal(size=(2, 500, FEATURES)).astype("float32"))
    layer = WRAPPERS[wrapper](CELLS[cell]())
    layer.build(x.shape)

    @tf.function
    def gradients(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [x, *layer.trainable_weights])

    grads = gradients(x)
    for g in grads:
        assert np.all(np.isfinite(g)), "non-finite gradient"
    assert all(np.abs(g).max() > 0 for g in grads[1:]), "a weight gets no gradient"
