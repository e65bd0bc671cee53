"""Native ONNX `LSTM` / `GRU` / `RNN` nodes for Keras and zoo recurrent layers.

tf2onnx turns a Keras recurrent layer's `while` loop into an ONNX `Loop`,
which onnxruntime runs op by op (6-10x slower than its fused kernels). While
a model is traced for ONNX, `native_recurrence` swaps the `call` of every
recurrent layer (and cell) that ONNX can express for a placeholder op (a
`PyFunc` whose token names a `Recurrence`); `convert_placeholder`, a tf2onnx
handler, then writes each placeholder as one native node with the layer's
weights rearranged into ONNX's layout:

- LSTM gate blocks go from Keras' i, f, c, o to ONNX's i, o, f, c; peepholes
  become input `P` (i, o, f); CIFG is `input_forget=1` (its absent forget
  block is zeros, which ONNX ignores).
- GRU keeps z, r, h; Keras' reset_after is ONNX's linear_before_reset=1, its
  bias (2, 3H) split into input and recurrent halves.
- Masks of any shape (right or left padding, holes) are exact: a masked
  step leaves the state as it was, so each row's unmasked steps are moved
  to the front, run with `sequence_lens`, and the outputs put back at
  their steps, masked ones filled as Keras fills them (zeros, or the
  output of the nearest unmasked step in the direction of travel).

An echo state cell without leak (leaky=1) is a simple RNN with fixed
weights: an `RNN` node. Cells ONNX has no equation for (layer norm, Greff's
ablations, full gate recurrence, leaky integration, NAS, activations
outside tanh/sigmoid/relu) keep Keras' loop, which tf2onnx writes as a
`Loop`, with a `LoopFallbackWarning` naming the reason.
"""

import contextlib
import dataclasses
import warnings

import keras
import numpy as np
import onnx
import tensorflow as tf

from zoo.layers import ESNCell, GRUCell, LayerNormSimpleRNNCell, LSTMCell, SimpleRNNCell

ACTIVATIONS = {
    keras.activations.tanh: "Tanh",
    keras.activations.sigmoid: "Sigmoid",
    keras.activations.relu: "Relu",
}
# Keras gate blocks -> ONNX order, per op.
ONNX_GATES = {"LSTM": ("i", "o", "f", "c"), "GRU": ("z", "r", "h"), "RNN": ("h",)}
KERAS_GATES = {"LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h"), "RNN": ("h",)}


class LoopFallbackWarning(UserWarning):
    """A recurrent layer is exported as an ONNX Loop, not a native node."""


class NotExpressible(ValueError):
    """ONNX's recurrent ops have no equation for this cell."""


@dataclasses.dataclass
class Recurrence:
    """One native node: its op, attributes and per-direction weights."""

    op: str
    units: int
    attributes: dict
    weights: list  # per direction: {"W", "R", "B"[, "P"]}
    has_lengths: bool = False
    has_initial: bool = False

    @property
    def directions(self):
        return len(self.weights)

    @property
    def state_count(self):
        return 2 if self.op == "LSTM" else 1


# ---- what ONNX can express ---------------------------------------------------
def describe(cell):
    """(op, attributes, weights) of `cell` in ONNX terms; NotExpressible
    says why not."""
    op = _op_of(cell)
    if op == "LSTM" and isinstance(cell, LSTMCell):
        _check_lstm_flags(cell)
    names = []
    if op != "RNN":
        names.append(_activation_name(cell.recurrent_activation, "recurrent_activation"))
    names.append(_activation_name(cell.activation, "activation"))
    if op == "LSTM":
        names.append(names[-1])
    attributes = {"hidden_size": cell.units, "activations": names}
    if op == "LSTM" and getattr(cell, "coupled", False):
        attributes["input_forget"] = 1
    if op == "GRU":
        attributes["linear_before_reset"] = int(cell.reset_after)
    return op, attributes, onnx_weights(cell, op)


def _op_of(cell):
    if isinstance(cell, LayerNormSimpleRNNCell):
        raise NotExpressible("ONNX's RNN has no layer normalisation")
    if isinstance(cell, ESNCell):
        if cell.leaky != 1:
            raise NotExpressible(f"ONNX's RNN has no leaky integration (leaky={cell.leaky})")
        return "RNN"  # with no leak, an echo state cell is a simple RNN with fixed weights
    if isinstance(cell, LSTMCell | keras.layers.LSTMCell):
        return "LSTM"
    if isinstance(cell, GRUCell | keras.layers.GRUCell):
        return "GRU"
    if isinstance(cell, SimpleRNNCell | keras.layers.SimpleRNNCell):
        return "RNN"
    raise NotExpressible(f"{type(cell).__name__} is not an LSTM, GRU or simple RNN cell")


def _check_lstm_flags(cell):
    for flag, why in (
        ("layer_norm", "layer normalisation"),
        ("gate_recurrence", "full gate recurrence"),
    ):
        if getattr(cell, flag):
            raise NotExpressible(f"ONNX's LSTM has no {why}")
    for flag in (
        "input_gate",
        "forget_gate",
        "output_gate",
        "input_activation",
        "output_activation",
    ):
        if not getattr(cell, flag):
            raise NotExpressible(f"ONNX's LSTM cannot drop a gate or activation ({flag}=False)")


def _activation_name(function, what):
    for known, name in ACTIVATIONS.items():
        if function is known:
            return name
    raise NotExpressible(f"{what} {getattr(function, '__name__', function)!r} has no ONNX twin")


def onnx_weights(cell, op):
    """W (G*H, I), R (G*H, H), B (2*G*H,) and, for peepholes, P (3*H,) in
    ONNX's gate order, from Keras' (I, G*H) layout."""
    units = cell.units
    present = getattr(cell, "gate_blocks", None) or KERAS_GATES[op]
    kernel, recurrent = (
        np.asarray(w.numpy(), np.float32) for w in (cell.kernel, cell.recurrent_kernel)
    )
    input_bias, recurrent_bias = _biases(cell, op, len(present) * units)

    def reorder(matrix):
        blocks = dict(zip(present, np.split(matrix, len(present), axis=-1), strict=True))
        zeros = np.zeros(matrix.shape[:-1] + (units,), np.float32)
        return np.concatenate([blocks.get(g, zeros) for g in ONNX_GATES[op]], axis=-1)

    weights = {
        "W": reorder(kernel).T,
        "R": reorder(recurrent).T,
        "B": np.concatenate([reorder(input_bias), reorder(recurrent_bias)]),
    }
    if getattr(cell, "peepholes", False):
        weights["P"] = np.concatenate(
            [_peephole(cell, name) for name in ("input", "output", "forget")]
        )
    return weights


def _biases(cell, op, width):
    zeros = np.zeros(width, np.float32)
    if not cell.use_bias:
        return zeros, zeros
    bias = np.asarray(cell.bias.numpy(), np.float32)
    if op == "GRU" and cell.reset_after:
        return bias[0], bias[1]
    return bias, zeros


def _peephole(cell, gate):
    weight = getattr(cell, f"{gate}_peephole", None)
    return np.zeros(cell.units, np.float32) if weight is None else weight.numpy()


def recurrence_of(cells, registry):
    """A Recurrence over one cell per direction (same configuration), if
    `registry`'s target can write it (else NotExpressible)."""
    described = [describe(cell) for cell in cells]
    op, attributes, _ = described[0]
    attributes = dict(attributes)
    if len(cells) == 2:
        attributes["direction"] = "bidirectional"
        attributes["activations"] = attributes["activations"] * 2
    recurrence = Recurrence(op, cells[0].units, attributes, [d[2] for d in described])
    if registry.check is not None:
        registry.check(recurrence)
    return recurrence


class Registry(dict):
    """token -> Recurrence of each placeholder traced, and what they are
    traced for: `target` names the format in warnings, `check(recurrence)`
    raises NotExpressible where that format has no fused op for it, and
    `one_row` says the graph takes one example, so a masked row is cut to
    its unmasked steps instead of passing their count to the op, and
    `steps` whether a cell called on its own (one step, no loop) becomes a
    placeholder too."""

    def __init__(self, target="ONNX", check=None, one_row=False, steps=True):
        super().__init__()
        self.target, self.check, self.one_row, self.steps = target, check, one_row, steps


# ---- the placeholder op in the traced TensorFlow graph --------------------------
def _never_run(*_):
    raise RuntimeError("a native-RNN placeholder ran: it exists only to be converted to ONNX")


def placeholder(recurrence, registry, x, lengths=None, initial=None):
    """Y (B, T, D*H) and the final states [h, (c)] per direction, as a
    PyFunc that `convert_placeholder` replaces by the native node."""
    recurrence = dataclasses.replace(
        recurrence, has_lengths=lengths is not None, has_initial=initial is not None
    )
    inputs = [x]
    if lengths is not None:
        inputs.append(lengths)
    if initial is not None:
        inputs += [tf.convert_to_tensor(s, tf.float32) for s in initial]
    count = 1 + recurrence.directions * recurrence.state_count
    outputs = tf.numpy_function(_never_run, inputs, [tf.float32] * count, stateful=False)
    batch_time = [None, None]
    outputs[0].set_shape(batch_time + [recurrence.directions * recurrence.units])
    for state in outputs[1:]:
        state.set_shape([None, recurrence.units])
    registry[outputs[0].op.get_attr("token").decode()] = recurrence
    finals = outputs[1:]
    per_direction = [
        finals[d * recurrence.state_count : (d + 1) * recurrence.state_count]
        for d in range(recurrence.directions)
    ]
    return outputs[0], per_direction


def convert_placeholder(ctx, node, name, args):
    """tf2onnx handler: the PyFunc `node` becomes one native ONNX node."""
    registry = args[0]
    rec = registry[node.get_attr_value("token").decode()]
    prefix = node.name
    const = lambda suffix, value: ctx.make_const(f"{prefix}/{suffix}", value).output[0]  # noqa: E731
    x = ctx.make_node("Transpose", [node.input[0]], attr={"perm": [1, 0, 2]}).output[0]
    stacked = {k: np.stack([w[k] for w in rec.weights]) for k in rec.weights[0]}
    inputs = [x, const("W", stacked["W"]), const("R", stacked["R"]), const("B", stacked["B"])]
    rest = list(node.input[1:])
    lengths = ""
    if rec.has_lengths:
        lengths = ctx.make_node("Cast", [rest.pop(0)], attr={"to": 6}).output[0]  # int32
    initial = ["", ""][: rec.state_count]
    if rec.has_initial:
        axis0 = const("axis0", np.array([0], np.int64))
        for k in range(rec.state_count):
            per_direction = [
                ctx.make_node("Unsqueeze", [rest[d * rec.state_count + k], axis0]).output[0]
                for d in range(rec.directions)
            ]
            initial[k] = ctx.make_node("Concat", per_direction, attr={"axis": 0}).output[0]
    inputs += [lengths, *initial]
    if "P" in stacked:
        inputs.append(const("P", stacked["P"]))  # LSTM only: after initial_h, initial_c
    while inputs[-1] == "":
        inputs.pop()
    native = ctx.make_node(rec.op, inputs, attr=rec.attributes, output_count=1 + rec.state_count)
    # Y (T, D, B, H) -> (B, T, D*H): directions side by side, as Keras concatenates.
    y = ctx.make_node("Transpose", [native.output[0]], attr={"perm": [2, 0, 1, 3]}).output[0]
    y = ctx.make_node("Reshape", [y, const("shape", np.array([0, 0, -1], np.int64))]).output[0]
    outputs = [y]
    for d in range(rec.directions):
        index = const(f"direction{d}", np.array(d, np.int64))
        for k in range(rec.state_count):
            gathered = ctx.make_node("Gather", [native.output[1 + k], index], attr={"axis": 0})
            outputs.append(gathered.output[0])
    shapes = [[-1, -1, rec.directions * rec.units]] + [[-1, rec.units]] * (len(outputs) - 1)
    for old, new, shape in zip(list(node.output), outputs, shapes, strict=True):
        ctx.set_dtype(new, onnx.TensorProto.FLOAT)
        ctx.set_shape(new, shape)
        ctx.replace_all_inputs(old, new)


# ---- swapping layer calls while tracing ---------------------------------------
@contextlib.contextmanager
def native_recurrence(model, registry):
    """Within the block, the recurrent layers and cells of `model` that ONNX
    can express emit placeholders; the others warn and keep their loop.
    Every layer is given back its own `call` however the block ends."""
    patched = []
    owned = _cells_of_layers(model)
    try:
        for layer in _recurrent_parts(model):
            if isinstance(layer, _CELL_TYPES) and not registry.steps:
                continue
            # A layer's own cell is reported by its layer: one warning each.
            call = _native_call(layer, registry, quiet=id(layer) in owned)
            if call is not None:
                patched.append((layer, layer.__dict__.get("call", _ABSENT)))
                layer.call = call
        yield registry
    finally:
        for layer, previous in reversed(patched):
            if previous is _ABSENT:
                del layer.call
            else:
                layer.call = previous


_ABSENT = object()


def _recurrent_parts(model):
    layers = model._flatten_layers(include_self=True, recursive=True)
    inside_bidirectional = set()
    for layer in layers:
        if isinstance(layer, keras.layers.Bidirectional):
            inside_bidirectional |= {id(layer.forward_layer), id(layer.backward_layer)}
    kinds = (keras.layers.Bidirectional, keras.layers.RNN, *_CELL_TYPES)
    return [
        layer
        for layer in layers
        if isinstance(layer, kinds) and id(layer) not in inside_bidirectional
    ]


def _cells_of_layers(model):
    layers = model._flatten_layers(include_self=True, recursive=True)
    return {id(layer.cell) for layer in layers if isinstance(layer, keras.layers.RNN)}


_CELL_TYPES = (
    LSTMCell,
    GRUCell,
    SimpleRNNCell,
    ESNCell,
    keras.layers.LSTMCell,
    keras.layers.GRUCell,
    keras.layers.SimpleRNNCell,
)


def _native_call(layer, registry, quiet=False):
    try:
        if isinstance(layer, keras.layers.Bidirectional):
            return _bidirectional_call(layer, registry)
        if isinstance(layer, keras.layers.RNN):
            return _rnn_call(layer, registry)
        return _cell_call(layer, registry)
    except NotExpressible as reason:
        if not quiet:
            _warn_loop(layer, reason, registry.target)
        return None


def _warn_loop(layer, reason, target):
    warnings.warn(
        f"{layer.name}: {reason}; exported as {target}'s loop of small ops, which runs "
        "several times slower than a native recurrent op",
        LoopFallbackWarning,
        stacklevel=4,
    )


def _compacted(sequences, mask):
    """Each row's unmasked steps moved to the front, in order (a stable
    sort of the mask), and how many there are."""
    mask = tf.cast(mask, tf.bool)
    order = tf.argsort(tf.cast(tf.logical_not(mask), tf.int32), axis=1, stable=True)
    return tf.gather(sequences, order, batch_dims=1), tf.reduce_sum(tf.cast(mask, tf.int32), 1)


def _spread(y, mask, lengths, zero_output, directions):
    """Outputs of compacted steps (B, T, D*H) back at their own steps. A
    masked step gets zeros (zero_output) or, as Keras carries it, the output
    of the last unmasked step before it (forward) or after it (backward)."""
    valid = tf.cast(mask, tf.int32)
    before = tf.cumsum(valid, axis=1, exclusive=True)  # = compact index of an unmasked step
    last = tf.shape(y)[1] - 1

    def at(index, ok):
        picked = tf.gather(y, tf.clip_by_value(index, 0, last), batch_dims=1)
        return tf.where(ok[..., None], picked, tf.zeros_like(picked))

    if zero_output:
        return at(before, tf.cast(mask, tf.bool))
    forward = at(before + valid - 1, before + valid - 1 >= 0)
    if directions == 1:
        return forward
    backward = at(before, before < lengths[:, None])
    # Features [forward | backward] side by side; selected, not concatenated
    # (tf2onnx needs static shapes for a Concat after the native node).
    is_backward = tf.range(tf.shape(y)[2]) >= tf.shape(y)[2] // 2
    return tf.where(is_backward, backward, forward)


def _run(rec, registry, rnn, sequences, mask, initial_state, return_sequences):
    """(outputs (B, T, D*H) as Keras gives them, final states per direction);
    `rnn` is the (forward) recurrent layer, whose zero_output_for_mask counts."""
    if mask is None:
        return placeholder(rec, registry, sequences, None, _as_list(initial_state))
    compact, lengths = _compacted(sequences, mask)
    initial = _as_list(initial_state)
    if registry.one_row:
        y, finals = _one_row(rec, registry, compact, lengths[0], initial)
    else:
        y, finals = placeholder(rec, registry, compact, lengths, initial)
    if return_sequences:
        zero = bool(getattr(rnn, "zero_output_for_mask", False))
        y = _spread(y, mask, lengths, zero, rec.directions)
    return y, finals


def _one_row(rec, registry, compact, length, initial):
    """The placeholder over one row's unmasked steps, all there is to run.
    A fully masked row runs one step and keeps its initial state, as Keras
    does (an op over no steps has no last step)."""
    y, finals = placeholder(rec, registry, compact[:, : tf.maximum(length, 1)], None, initial)
    starts = initial or [tf.zeros_like(s) for d in finals for s in d]
    count = rec.state_count
    kept = [
        [tf.where(length > 0, s, starts[d * count + k]) for k, s in enumerate(states)]
        for d, states in enumerate(finals)
    ]
    return y, kept


def _as_list(states):
    if states is None:
        return None
    return list(states) if isinstance(states, list | tuple) else [states]


def _rnn_call(layer, registry):
    if getattr(layer, "stateful", False):
        raise NotExpressible("a stateful layer carries state between calls")
    if not isinstance(layer.cell, _CELL_TYPES):
        raise NotExpressible(f"{type(layer.cell).__name__} is not an LSTM, GRU or RNN cell")
    rec = recurrence_of([layer.cell], registry)
    if layer.go_backwards:
        rec.attributes["direction"] = "reverse"

    def call(sequences, initial_state=None, mask=None, training=False):
        if mask is not None and layer.go_backwards:
            # Known only now that a mask shows up: Keras' own loop then.
            _warn_loop(
                layer, "a go_backwards layer with a mask keeps Keras' step order", registry.target
            )
            return type(layer).call(
                layer, sequences, initial_state=initial_state, mask=mask, training=training
            )
        y, (states,) = _run(
            rec, registry, layer, sequences, mask, initial_state, layer.return_sequences
        )
        if layer.go_backwards:
            y = tf.reverse(y, [1])  # Keras returns a backward layer's outputs in its order
        output = y if layer.return_sequences else _last(layer, states[0], mask)
        return [output, *states] if layer.return_state else output

    return call


def _last(layer, h, mask):
    """The output Keras returns without return_sequences: the final h, or
    zeros where zero_output_for_mask and the last step is masked."""
    if mask is None or not getattr(layer, "zero_output_for_mask", False):
        return h
    return tf.where(tf.cast(mask, tf.bool)[:, -1:], h, tf.zeros_like(h))


def _bidirectional_call(layer, registry):
    if layer.merge_mode != "concat":
        raise NotExpressible(f"merge_mode={layer.merge_mode!r} (only 'concat' is native)")
    forward, backward = layer.forward_layer, layer.backward_layer
    for part in (forward, backward):
        if not isinstance(part, keras.layers.RNN) or not isinstance(part.cell, _CELL_TYPES):
            raise NotExpressible(
                f"{type(part).__name__} is not a recurrent layer over a known cell"
            )
    rec = recurrence_of([forward.cell, backward.cell], registry)

    def call(sequences, initial_state=None, mask=None, training=None):
        y, (fw, bw) = _run(
            rec, registry, forward, sequences, mask, initial_state, layer.return_sequences
        )
        output = y if layer.return_sequences else tf.concat([fw[0], bw[0]], axis=-1)
        return [output, *fw, *bw] if layer.return_state else output

    return call


def _cell_call(cell, registry):
    rec = recurrence_of([cell], registry)

    def call(inputs, states, training=False):
        _, (new_states,) = placeholder(
            rec, registry, tf.expand_dims(inputs, 1), initial=_as_list(states)
        )
        return new_states[0], list(new_states)

    return call
