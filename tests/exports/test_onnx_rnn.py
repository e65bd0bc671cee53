"""Native ONNX recurrent nodes: every cell ONNX can express exports as one
LSTM / GRU / RNN node (no Loop) and agrees with Keras to 1e-4 under
onnxruntime, with masks, bidirectional layers and initial states; the
others fall back to a Loop with a warning and still agree."""

import warnings

import keras
import numpy as np
import onnxruntime as ort
import pytest
import tensorflow as tf

from exports.onnx_export import op_types, to_onnx
from exports.onnx_rnn import LoopFallbackWarning
from exports.portable import portable
from zoo import layers

RECURRENT_OPS = {"LSTM", "GRU", "RNN", "Loop"}
MASKS = {  # (3 rows, 7 steps); 1 = a real step
    "right-padded": [[1] * 7, [1, 1, 1, 0, 0, 0, 0], [1] * 5 + [0, 0]],
    "left-padded": [[1] * 7, [0, 0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1, 1]],
    "holes": [[1, 0, 1, 1, 0, 1, 0], [0, 1, 1, 0, 0, 1, 1], [1] * 7],
}
PEEP = {"peepholes": True, "peephole_initializer": "random_normal"}
SEQ = {"return_sequences": True, "return_state": True}

CASES = {
    "lstm": (lambda: layers.LSTM(6, **SEQ), "LSTM"),
    "peephole": (lambda: layers.LSTM(6, **PEEP, **SEQ), "LSTM"),
    "cifg": (lambda: layers.LSTM(6, coupled=True, **SEQ), "LSTM"),
    "cifg-peephole": (lambda: layers.LSTM(6, coupled=True, **PEEP, **SEQ), "LSTM"),
    "lstm-no-bias": (lambda: layers.LSTM(6, use_bias=False, **SEQ), "LSTM"),
    "gru": (lambda: layers.GRU(6, bias_initializer="random_normal", **SEQ), "GRU"),
    "gru-reset-before": (
        lambda: layers.GRU(6, reset_after=False, bias_initializer="random_normal", **SEQ),
        "GRU",
    ),
    "simple-rnn": (lambda: layers.SimpleRNN(6, **SEQ), "RNN"),
    "relu-rnn": (lambda: layers.SimpleRNN(6, activation="relu", **SEQ), "RNN"),
    "keras-lstm": (lambda: keras.layers.LSTM(6, **SEQ), "LSTM"),
    "keras-gru": (lambda: keras.layers.GRU(6, **SEQ), "GRU"),
    "last-output": (lambda: layers.LSTM(6), "LSTM"),
    "go-backwards": (lambda: layers.GRU(6, go_backwards=True, return_sequences=True), "GRU"),
    "bidirectional-peephole": (
        lambda: keras.layers.Bidirectional(layers.LSTM(6, **PEEP, **SEQ)),
        "LSTM",
    ),
    "bidirectional-gru": (lambda: keras.layers.Bidirectional(layers.GRU(6, **SEQ)), "GRU"),
    "bidirectional-last": (lambda: keras.layers.Bidirectional(layers.LSTM(6)), "LSTM"),
    "echo-state": (lambda: layers.RNN(layers.ESNCell(6, connectivity=0.5, seed=1), **SEQ), "RNN"),
}


def export_layer(make, mask=False, initial=False):
    """(ONNX model, the function it was made from, its signature)."""
    layer = make()
    model = keras.Sequential([layer])
    model(np.zeros((1, 2, 5), np.float32))
    signature = [tf.TensorSpec((None, None, 5), tf.float32, name="x")]
    if mask:
        signature.append(tf.TensorSpec((None, None), tf.bool, name="mask"))
    cell = layer.forward_layer.cell if hasattr(layer, "forward_layer") else layer.cell
    sizes = cell.state_size if isinstance(cell.state_size, list) else [cell.state_size]
    sizes = sizes * (2 if hasattr(layer, "forward_layer") else 1)
    if initial:
        signature += [
            tf.TensorSpec((None, s), tf.float32, name=f"s{i}") for i, s in enumerate(sizes)
        ]

    def fn(x, *rest):
        rest = list(rest)
        kwargs = {}
        if mask:
            kwargs["mask"] = rest.pop(0)
        if initial:
            kwargs["initial_state"] = rest
        out = layer(x, **kwargs)
        out = list(out) if isinstance(out, list | tuple) else [out]
        return {f"out{i}": o for i, o in enumerate(out)}

    return to_onnx(fn, signature, model), fn, signature, model


def feeds(signature, mask="right-padded"):
    rng = np.random.default_rng(1)
    values = {
        "x": rng.normal(size=(3, 7, 5)).astype(np.float32),
        "mask": np.array(MASKS[mask], bool),
    }
    for spec in signature[1:]:
        if spec.name.startswith("s"):
            values[spec.name] = rng.normal(size=(3, spec.shape[1])).astype(np.float32)
    return {spec.name: values[spec.name] for spec in signature}


def max_difference(proto, fn, signature, model, mask="right-padded"):
    """Largest difference from Keras over every output and every step,
    padded and masked steps included."""
    feed = feeds(signature, mask)
    session = ort.InferenceSession(proto.SerializeToString())
    names = [o.name for o in session.get_outputs()]
    got = dict(zip(names, session.run(names, feed), strict=True))
    with portable(model):
        want = fn(*[tf.constant(feed[s.name]) for s in signature])
    worst = 0.0
    for name, expected in want.items():
        actual, expected = got[name], expected.numpy()
        assert actual.shape == expected.shape, name
        worst = max(worst, float(np.abs(actual - expected).max()))
    return worst


def recurrent_ops(proto):
    return {op for op in op_types(proto) if op in RECURRENT_OPS}


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_node_matches_keras(case):
    make, op = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoopFallbackWarning)
        exported = export_layer(make)
    assert recurrent_ops(exported[0]) == {op}
    assert max_difference(*exported) <= 1e-4


MASKED_CASES = {
    **{k: CASES[k] for k in ("peephole", "gru", "last-output", "keras-lstm")},
    **{k: CASES[k] for k in ("bidirectional-peephole", "bidirectional-gru", "bidirectional-last")},
    "zero-output": (
        lambda: layers.LSTM(6, return_sequences=True, zero_output_for_mask=True),
        "LSTM",
    ),
    "zero-output-last": (lambda: layers.GRU(6, zero_output_for_mask=True), "GRU"),
}


@pytest.mark.parametrize("case", sorted(MASKED_CASES))
def test_any_mask_is_exact_at_every_step(case):
    """Right and left padding and holes, with masked steps carried forward
    (Keras' default) or zeroed (zero_output_for_mask, Bidirectional)."""
    make, op = MASKED_CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoopFallbackWarning)
        proto, *rest = export_layer(make, mask=True)
    assert recurrent_ops(proto) == {op}
    lstm_like = next(n for n in proto.graph.node if n.op_type == op)
    assert lstm_like.input[4], "sequence_lens input is wired"
    for mask in MASKS:
        assert max_difference(proto, *rest, mask=mask) <= 1e-4, mask


def test_a_masked_go_backwards_layer_falls_back_to_a_loop_and_agrees():
    with pytest.warns(LoopFallbackWarning, match="go_backwards"):
        proto, *rest = export_layer(CASES["go-backwards"][0], mask=True)
    assert "Loop" in recurrent_ops(proto)  # its body may step the cell as a native node
    for mask in MASKS:
        assert max_difference(proto, *rest, mask=mask) <= 1e-4, mask


def test_layers_get_their_call_back_when_conversion_fails():
    model = keras.Sequential([layers.LSTM(4, return_sequences=True), layers.GRU(3)])
    model(np.zeros((1, 2, 5), np.float32))
    x = np.random.default_rng(0).normal(size=(2, 4, 5)).astype(np.float32)
    before = model(x).numpy()

    def broken(x):
        model(x)
        raise RuntimeError("conversion failed half way")

    with pytest.raises(RuntimeError, match="half way"):
        to_onnx(broken, [tf.TensorSpec((None, None, 5), tf.float32, name="x")], model)
    assert all("call" not in layer.__dict__ for layer in model.layers)
    np.testing.assert_allclose(model(x).numpy(), before, atol=1e-6)


@pytest.mark.parametrize("case", ["cifg-peephole", "gru-reset-before", "bidirectional-gru"])
def test_initial_states(case):
    make, op = CASES[case]
    proto, *rest = export_layer(make, initial=True)
    assert recurrent_ops(proto) == {op}
    assert max_difference(*[proto, *rest]) <= 1e-4


def test_single_steps_of_a_cell_are_native():
    cell = layers.PeepholeLSTMCell(4, peephole_initializer="random_normal")
    model = keras.Sequential([keras.layers.RNN(cell)])
    model(np.zeros((1, 1, 3), np.float32))
    signature = [tf.TensorSpec((None, 3), tf.float32, name="x")] + [
        tf.TensorSpec((None, 4), tf.float32, name=n) for n in ("s0", "s1")
    ]

    def fn(x, h, c):
        out, (h, c) = cell(x, [h, c])
        return {"out": out, "h": h, "c": c}

    proto = to_onnx(fn, signature, model)
    assert recurrent_ops(proto) == {"LSTM"}
    rng = np.random.default_rng(2)
    feed = {s.name: rng.normal(size=(2, s.shape[1])).astype(np.float32) for s in signature}
    got = ort.InferenceSession(proto.SerializeToString()).run(["out", "h", "c"], feed)
    want = fn(*[tf.constant(feed[s.name]) for s in signature])
    for actual, name in zip(got, ["out", "h", "c"], strict=True):
        np.testing.assert_allclose(actual, want[name].numpy(), atol=1e-4)


@pytest.mark.parametrize(
    "options, reason",
    [
        ({"layer_norm": True}, "layer normalisation"),
        ({"output_gate": False}, "output_gate=False"),
        ({"gate_recurrence": True}, "full gate recurrence"),
        ({"activation": "softsign"}, "softsign"),
    ],
)
def test_inexpressible_cells_fall_back_to_a_loop_with_a_warning(options, reason):
    with pytest.warns(LoopFallbackWarning, match=reason) as caught:
        exported = export_layer(lambda: layers.LSTM(6, return_sequences=True, **options))
    fallbacks = [w for w in caught if issubclass(w.category, LoopFallbackWarning)]
    assert len(fallbacks) == 1, "one warning per layer, not one for the layer and its cell"
    assert recurrent_ops(exported[0]) == {"Loop"}
    assert max_difference(*exported) <= 1e-4


@pytest.mark.parametrize(
    "cell, reason",
    [
        (lambda: layers.NASCell(6, projection=4), "NASCell is not"),
        (lambda: layers.ESNCell(6, leaky=0.5, seed=1), "leaky integration"),
        (lambda: layers.LayerNormSimpleRNNCell(6), "layer normalisation"),
    ],
    ids=["nas", "leaky-echo-state", "layer-norm-rnn"],
)
def test_research_cells_fall_back_to_a_loop_and_agree(cell, reason):
    """No ONNX op computes these; a layer-normalised RNN must not pass for
    the plain RNN it subclasses (its norm would be dropped silently)."""
    with pytest.warns(LoopFallbackWarning, match=reason):
        exported = export_layer(lambda: layers.RNN(cell(), **SEQ))
    assert recurrent_ops(exported[0]) == {"Loop"}
    assert max_difference(*exported) <= 1e-4


def test_portable_turns_cudnn_off_and_restores_it():
    model = keras.Sequential([layers.LSTM(4), keras.layers.Reshape((4, 1)), keras.layers.GRU(2)])
    model(np.zeros((1, 3, 2), np.float32))
    recurrent = [model.layers[0], model.layers[2]]
    with portable(model):
        assert [layer.use_cudnn for layer in recurrent] == [False, False]
    assert [layer.use_cudnn for layer in recurrent] == ["auto", "auto"]
