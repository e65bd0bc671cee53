"""Small helpers shared by the cell and model tests."""

import keras
import numpy as np

from zoo import layers

WRAPPERS = {"keras.layers.RNN": keras.layers.RNN, "zoo.layers.RNN": layers.RNN}


def run_rnn(cell, x, wrapper=keras.layers.RNN, **kwargs):
    """Build `wrapper(cell)` on x and return (layer, outputs as numpy)."""
    layer = wrapper(cell, return_sequences=True, **kwargs)
    return layer, np.asarray(layer(x))


def randomize(layer, rng, scale=0.5):
    """Give every weight uniform values in [-scale, scale] (layer-norm
    scales around 1) so that no gate is trivially saturated or constant."""
    for v in layer.weights:
        values = rng.uniform(-scale, scale, v.shape)
        if v.name.endswith("norm_gamma"):
            values += 1.0
        v.assign(values.astype("float32"))


def weights_by_name(cell):
    return {v.name: np.asarray(v, dtype="float64") for v in cell.weights}


def random_captioner(vocabulary, seed, scale=0.8, **sizes):
    """A built Captioner with N(0, scale) weights, large enough that its
    captions depend on the image, and no scheduled sampling."""
    from zoo.models.captioner import Captioner

    model = Captioner(vocabulary, seed=0, **sizes)
    model.build()
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.normal(0, scale, np.shape(w)).astype("float32") for w in model.get_weights()]
    )
    model.sampling_probability.assign(0.0)
    return model
