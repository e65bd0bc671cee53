"""Which path runs: standard LSTM/GRU are handed to the backend's fused
kernel (cuDNN on a GPU) with exactly what keras.layers.LSTM/GRU hand it;
variants never are, and they compile with XLA.

No GPU here, so the fused kernel is replaced by a recorder; the real one
raises NotImplementedError on a CPU, and the layer falls back."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.zoo.cells import CELLS
from tests.zoo.helpers import randomize
from zoo import layers
from zoo.compat import backend

X = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        raise NotImplementedError  # what the CPU backend says


def assert_same_call(ours, theirs):
    """Two recorded (args, kwargs) calls hold equal tensors and settings."""
    (a_args, a_kw), (b_args, b_kw) = ours, theirs
    for a, b in zip(a_args, b_args, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert a_kw.keys() == b_kw.keys()
    for key in a_kw:
        a, b = a_kw[key], b_kw[key]
        if hasattr(a, "shape"):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=key)
        else:
            assert a == b, key


def record_kernels(monkeypatch, prefix=""):
    """Replace backend.<prefix>lstm / gru by recorders: {'lstm': .., 'gru': ..}."""
    recorders = {"lstm": Recorder(), "gru": Recorder()}
    for kind, recorder in recorders.items():
        monkeypatch.setattr(backend, prefix + kind, recorder)
    return recorders


@pytest.fixture
def fused(monkeypatch):
    return record_kernels(monkeypatch)


@pytest.mark.parametrize(
    "make,kind",
    [
        (lambda: layers.RNN(layers.LSTMCell(4)), "lstm"),
        (lambda: layers.LSTM(4), "lstm"),
        (lambda: layers.RNN(layers.GRUCell(4)), "gru"),
        (lambda: layers.GRU(4), "gru"),
    ],
)
def test_standard_configurations_are_offered_to_the_fused_kernel(make, kind, fused):
    layer = make()
    out = layer(X)  # falls back to the portable loop after NotImplementedError
    assert len(fused[kind].calls) == 1 and out.shape == (2, 4)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.RNN(layers.PeepholeLSTMCell(4)),
        lambda: layers.RNN(layers.CIFGLSTMCell(4)),
        lambda: layers.RNN(layers.LayerNormLSTMCell(4)),
        lambda: layers.LSTM(4, gate_recurrence=True),
        lambda: layers.LSTM(4, activation="relu"),
        lambda: layers.LSTM(4, use_bias=False),
        lambda: layers.GRU(4, reset_after=False),
        lambda: layers.LSTM(4, use_cudnn=False),
        lambda: layers.GRU(4, use_cudnn=False),
        lambda: layers.LSTM(4, unroll=True),
        lambda: keras.layers.RNN(layers.LSTMCell(4)),
    ],
)
def test_variants_and_opt_outs_never_reach_the_fused_kernel(make, fused):
    make()(X)
    assert not fused["lstm"].calls and not fused["gru"].calls


def test_recurrent_dropout_in_training_takes_the_portable_path(fused):
    layer = layers.LSTM(4, recurrent_dropout=0.5)
    layer(X, training=True)
    assert not fused["lstm"].calls
    layer(X, training=False)
    assert len(fused["lstm"].calls) == 1


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_fused_call_matches_what_keras_passes(kind, fused):
    """Same inputs, weights and settings as keras.layers.LSTM/GRU give their
    fused kernel, so on a GPU both run the identical cuDNN computation."""
    ours, theirs = getattr(layers, kind)(4), getattr(keras.layers, kind)(4)
    ours.build(X.shape)
    theirs.build(X.shape)
    randomize(theirs, np.random.default_rng(1))
    ours.set_weights(theirs.get_weights())
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    ours(X, mask=mask)
    theirs(X, mask=mask)
    assert_same_call(*fused[kind.lower()].calls)


def test_use_cudnn_true_without_fused_kernel_is_a_clear_error():
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(4, use_cudnn=True)(X)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(4, peepholes=True, use_cudnn=True)(X)


@pytest.mark.parametrize("cell", CELLS)
def test_cells_compile_with_xla(cell, rng):
    layer = layers.RNN(CELLS[cell](), return_sequences=True)
    layer.build(X.shape)
    randomize(layer, rng)

    def loss_and_grads(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(x) ** 2)
        return loss, tape.gradient(loss, layer.trainable_weights)

    eager_loss, eager_grads = loss_and_grads(X)
    xla_loss, xla_grads = tf.function(loss_and_grads, jit_compile=True)(X)
    np.testing.assert_allclose(xla_loss, eager_loss, rtol=1e-5)
    for a, b in zip(xla_grads, eager_grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)


@pytest.fixture
def fused_bidirectional(monkeypatch):
    return record_kernels(monkeypatch, "bidirectional_")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_bidirectional_hands_standard_drop_ins_to_its_fused_kernel(kind, fused_bidirectional):
    """keras.layers.Bidirectional offers both directions of a standard
    zoo LSTM/GRU to one fused kernel, with exactly what it gives Keras'."""
    ours = keras.layers.Bidirectional(getattr(layers, kind)(4, return_sequences=True))
    theirs = keras.layers.Bidirectional(getattr(keras.layers, kind)(4, return_sequences=True))
    ours.build(X.shape)
    theirs.build(X.shape)
    randomize(theirs, np.random.default_rng(1))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(X), theirs(X), atol=1e-6)  # both fall back here
    assert_same_call(*fused_bidirectional[kind.lower()].calls)


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.LSTM(4, peepholes=True),
        lambda: layers.LSTM(4, coupled=True),
        lambda: layers.LSTM(4, layer_norm=True),
        lambda: layers.LSTM(4, output_activation=False),
        lambda: layers.LSTM(4, use_cudnn=False),
        lambda: layers.GRU(4, reset_after=False),
        lambda: layers.SimpleRNN(4),
        lambda: layers.RNN(layers.LSTMCell(4)),  # as keras.layers.RNN(LSTMCell)
    ],
)
def test_bidirectional_never_fuses_variants(make, fused_bidirectional):
    """The fused kernel would drop peepholes or layer norm (and shape-fail
    on CIFG's three gate blocks): variants read use_cudnn=False."""
    keras.layers.Bidirectional(make())(X)
    assert not fused_bidirectional["lstm"].calls and not fused_bidirectional["gru"].calls


def test_use_cudnn_reads_false_for_variants_and_keeps_the_request():
    standard, variant = layers.LSTM(4), layers.LSTM(4, peepholes=True)
    assert standard.use_cudnn == "auto" and variant.use_cudnn is False
    assert variant.get_config()["use_cudnn"] == "auto"
    with pytest.raises(ValueError, match="no fused kernel computes"):
        layers.LSTM(4, peepholes=True, use_cudnn=True)
