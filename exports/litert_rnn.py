"""Fused LiteRT LSTMs: every LSTM layer that LiteRT's
`UNIDIRECTIONAL_SEQUENCE_LSTM` computes becomes that one op instead of a
WHILE loop of small ops. (A cell called on its own, one step, has no loop
and stays plain ops; exports.litert_export traces it so.)

The layers are traced as placeholders (exports.onnx_rnn's
`native_recurrence`, as for ONNX), which the converter keeps as custom
ops (`allow_custom_ops`); `fuse` then rewrites the flatbuffer, replacing
each placeholder by the fused op with the layer's weights in LiteRT's
layout, and fails (NotFusable) where it cannot, so the caller converts
again with loops.

- Gate blocks: one weight matrix per gate, (units, inputs); the input and
  recurrent biases summed. Peepholes are the op's cell_to_* weights.
- CIFG: LiteRT couples the other way round (its input gate is 1 - forget
  gate; zoo's forget gate is 1 - input gate). Since sigmoid(-z) =
  1 - sigmoid(z), zoo's input-gate weights, negated, are LiteRT's forget
  gate.
- A bidirectional layer is two ops, the backward one between two
  REVERSE_V2s, its outputs concatenated after the forward ones.
- The op keeps its state in *variable* tensors, updated in place, and
  outputs the sequence alone. A zero initial state becomes fresh
  variables; an initial state fed as a graph input becomes that input,
  marked variable, where every other reader of it runs before the op.
  The final h is the output's last step, the final c its variable read
  through a term tied to the op's output (`_finals`). Variables persist
  between invocations, so an app resets them before each run
  (`Interpreter.reset_all_variables()`; zoo_runtime.litert does): the
  LiteRT convention for stateful graphs.
"""

import dataclasses

import numpy as np
from flatbuffers import flexbuffers
from tensorflow.lite.python import schema_py_generated as schema

from exports.onnx_rnn import NotExpressible

PLACEHOLDER = "PyFuncStateless"
_OP = schema.BuiltinOperator
_OPTIONS = schema.BuiltinOptions


class NotFusable(ValueError):
    """A placeholder cannot become a fused op where it stands."""


def check(recurrence):
    """NotExpressible unless LiteRT's fused LSTM computes `recurrence`. A
    simple RNN is not fused either: LiteRT's UNIDIRECTIONAL_SEQUENCE_RNN
    ran the shipped char-rnn at 0.4-0.7x of its loop's speed on this CPU."""
    if recurrence.op != "LSTM":
        raise NotExpressible(f"LiteRT has no fused {recurrence.op} op faster than its loop")
    activations = recurrence.attributes["activations"][:3]
    if activations != ["Sigmoid", "Tanh", "Tanh"]:
        raise NotExpressible(f"LiteRT's fused LSTM has sigmoid gates and tanh, not {activations}")


def fuse(flatbuffer, registry, hybrid=False):
    """The flatbuffer with each placeholder of `registry` (token ->
    Recurrence) replaced by fused LSTM ops; `hybrid` stores their weights
    as int8 (one symmetric scale per matrix, as LiteRT's dynamic-range
    quantization does), which the op multiplies with int8-quantized
    activations."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))
    editor = _Editor(model, hybrid)
    for index, graph in enumerate(model.subgraphs):
        for position in reversed(range(len(graph.operators))):
            op = graph.operators[position]
            if editor.is_placeholder(op):
                if index != 0:
                    raise NotFusable("a recurrent layer inside a loop body")
                token = flexbuffers.Loads(bytes(op.customOptions))["token"]
                editor.replace(graph, position, registry[token])
    editor.drop_placeholder_code()
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


@dataclasses.dataclass
class _Editor:
    model: object
    hybrid: bool = False

    def is_placeholder(self, op):
        return _is_placeholder(self.model.operatorCodes[op.opcodeIndex])

    # ---- tensors and codes ----------------------------------------------------
    def constant(self, graph, name, array, quantized=False):
        """A constant tensor of `array`; `quantized`: int8 with a scale."""
        array = np.ascontiguousarray(array)
        scale = None
        if quantized:
            scale = max(float(np.abs(array).max()), 1e-12) / 127.0
            array = np.clip(np.round(array / scale), -127, 127).astype(np.int8)
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(array.tobytes(), np.uint8)
        self.model.buffers.append(buffer)
        index = self.tensor(graph, name, array.shape, array.dtype, len(self.model.buffers) - 1)
        if scale is not None:
            parameters = schema.QuantizationParametersT()
            parameters.scale, parameters.zeroPoint = [scale], [0]
            graph.tensors[index].quantization = parameters
        return index

    def tensor(self, graph, name, shape, dtype=np.float32, buffer=0, signature=None):
        tensor = schema.TensorT()
        tensor.name = name.encode()
        tensor.shape = np.array(shape, np.int32)
        if signature is not None:
            tensor.shapeSignature = np.array(signature, np.int32)
        tensor.type = {
            np.dtype(np.float32): schema.TensorType.FLOAT32,
            np.dtype(np.int8): schema.TensorType.INT8,
            np.dtype(np.int32): schema.TensorType.INT32,
        }[np.dtype(dtype)]
        tensor.buffer = buffer
        graph.tensors.append(tensor)
        return len(graph.tensors) - 1

    def code(self, builtin):
        for index, code in enumerate(self.model.operatorCodes):
            if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
                return index
        code = schema.OperatorCodeT()
        code.builtinCode = builtin
        code.deprecatedBuiltinCode = min(builtin, _OP.PLACEHOLDER_FOR_GREATER_OP_CODES)
        code.version = 1
        self.model.operatorCodes.append(code)
        return len(self.model.operatorCodes) - 1

    def operator(self, builtin, inputs, outputs, options_type, options):
        op = schema.OperatorT()
        op.opcodeIndex = self.code(builtin)
        op.inputs = np.array(inputs, np.int32)
        op.outputs = np.array(outputs, np.int32)
        op.builtinOptionsType, op.builtinOptions = options_type, options
        return op

    def drop_placeholder_code(self):
        codes = self.model.operatorCodes
        kept = [i for i, code in enumerate(codes) if not _is_placeholder(code)]
        renumber = {old: new for new, old in enumerate(kept)}
        self.model.operatorCodes = [codes[i] for i in kept]
        for graph in self.model.subgraphs:
            for op in graph.operators:
                op.opcodeIndex = renumber[op.opcodeIndex]

    # ---- one placeholder -----------------------------------------------------------
    def replace(self, graph, position, recurrence):
        """Fused ops for the placeholder at `position`: inputs x (1, T, F)
        and the initial [h, c] per direction, if given; outputs y (1, T,
        D*H) and the final [h, c] per direction."""
        placeholder = graph.operators[position]
        if recurrence.has_lengths:
            raise NotFusable("sequence lengths (a batch of one cuts its row instead)")
        x, *initial = (int(i) for i in placeholder.inputs)
        y, *finals = (int(i) for i in placeholder.outputs)
        units, directions = recurrence.units, recurrence.directions
        ops, outputs, final_states = [], [], []
        for d in range(directions):
            reverse = d == 1 or recurrence.attributes.get("direction") == "reverse"
            h, c = self._states(graph, position, initial[2 * d : 2 * d + 2], units)
            source = self._reversed(graph, ops, x) if reverse else x
            out = y if directions == 1 and not reverse else self._sequence(graph, units)
            weights = self._weights(graph, recurrence.weights[d], recurrence, f"lstm{d}")
            ops.append(self._lstm([source, *weights, h, c, -1, -1, -1, -1], out))  # no layer norm
            outputs.append(self._reversed(graph, ops, out) if reverse else out)
            final_states += self._finals(graph, ops, out, c, units)
        if outputs != [y]:
            ops.append(self._concatenate(outputs, y))
        graph.tensors[y].shape = np.array([1, 1, directions * units], np.int32)
        graph.tensors[y].shapeSignature = np.array([1, -1, directions * units], np.int32)
        graph.operators[position : position + 1] = ops
        self._rewire(graph, dict(zip(finals, final_states, strict=True)))

    def _states(self, graph, position, initial, units):
        """The op's two variable state tensors (h, c): the graph inputs that
        feed the initial state, or fresh zero-initialised ones."""
        if not initial:
            return [
                self._variable(self.tensor(graph, f"lstm_state_{k}", (1, units)), graph)
                for k in range(2)
            ]
        before = _ancestors(graph, position)
        for tensor in initial:
            if tensor not in graph.inputs or tensor in graph.outputs:
                raise NotFusable("an initial state that is not a graph input alone")
            readers = {i for i, op in enumerate(graph.operators) if tensor in op.inputs}
            if (
                readers - before != {position}
                or list(graph.operators[position].inputs).count(tensor) > 1
            ):
                # The op overwrites it in place: every other reader must run first.
                raise NotFusable("the initial state is read where the layer may have updated it")
            self._variable(tensor, graph)
        return list(initial)

    def _finals(self, graph, ops, sequence, cell, units):
        """The final [h, c]: h is the last step of the op's output; c is
        read from its variable after the op, as c + 0 * h, a term whose
        input comes from the op, so that no runtime (or delegate that
        partitions the graph) can read the variable before the op runs."""
        h = self.tensor(graph, "final_h", (1, units))
        begin, end, strides = (
            self.constant(graph, name, np.array(value, np.int32))
            for name, value in (("begin", [0, -1, 0]), ("end", [0, 0, 0]), ("strides", [1, 1, 1]))
        )
        options = schema.StridedSliceOptionsT()
        options.beginMask, options.endMask, options.shrinkAxisMask = 0b101, 0b111, 0b010
        ops.append(
            self.operator(
                _OP.STRIDED_SLICE,
                [sequence, begin, end, strides],
                [h],
                _OPTIONS.StridedSliceOptions,
                options,
            )
        )
        zero = self.constant(graph, "zero", np.zeros((), np.float32))
        tied, c_final = (
            self.tensor(graph, "zero_h", (1, units)),
            self.tensor(graph, "final_c", (1, units)),
        )
        ops.append(
            self.operator(_OP.MUL, [h, zero], [tied], _OPTIONS.MulOptions, schema.MulOptionsT())
        )
        ops.append(
            self.operator(
                _OP.ADD, [cell, tied], [c_final], _OPTIONS.AddOptions, schema.AddOptionsT()
            )
        )
        return [h, c_final]

    @staticmethod
    def _variable(tensor, graph):
        graph.tensors[tensor].isVariable = True
        return tensor

    def _sequence(self, graph, units):
        return self.tensor(graph, "sequence", (1, 1, units), signature=(1, -1, units))

    def _weights(self, graph, weights, recurrence, prefix):
        """The op's inputs 1-17 (input, recurrent and peephole weights,
        biases, projection) as constant tensors; -1 where absent."""
        cifg = recurrence.attributes.get("input_forget") == 1
        blocks = {
            part: dict(zip("iofc", np.split(weights[part], 4), strict=True)) for part in ("W", "R")
        }
        bias = sum(np.split(weights["B"], 2))
        blocks["B"] = dict(zip("iofc", np.split(bias, 4), strict=True))
        if "P" in weights:
            blocks["P"] = dict(zip("iof", np.split(weights["P"], 3), strict=True))
        if cifg:  # LiteRT's forget gate is zoo's input gate, negated (see above)
            for part in blocks.values():
                part["f"] = -part.pop("i")

        def const(part, gate, what):
            if gate not in blocks.get(part, {}):
                return -1
            value = np.asarray(blocks[part][gate], np.float32)
            quantized = self.hybrid and part != "B"  # biases stay float in the hybrid kernel
            return self.constant(graph, f"{prefix}/{what}_{gate}", value, quantized)

        gates = "ifco"
        return [
            *(const("W", g, "input_to") for g in gates),
            *(const("R", g, "recurrent_to") for g in gates),
            *(const("P", g, "cell_to") for g in "ifo"),
            *(const("B", g, "bias") for g in gates),
            -1,
            -1,
        ]

    def _lstm(self, inputs, output):
        options = schema.UnidirectionalSequenceLSTMOptionsT()
        options.fusedActivationFunction = schema.ActivationFunctionType.TANH
        options.cellClip = options.projClip = 0.0
        options.timeMajor = False
        options.asymmetricQuantizeInputs = self.hybrid  # as LiteRT's dynamic range does
        return self.operator(
            _OP.UNIDIRECTIONAL_SEQUENCE_LSTM,
            inputs,
            [output],
            _OPTIONS.UnidirectionalSequenceLSTMOptions,
            options,
        )

    def _reversed(self, graph, ops, sequence):
        axis = self.constant(graph, "time_axis", np.array([1], np.int32))
        shape = graph.tensors[sequence]
        out = self.tensor(graph, "reversed", shape.shape, signature=(1, -1, int(shape.shape[-1])))
        ops.append(
            self.operator(
                _OP.REVERSE_V2,
                [sequence, axis],
                [out],
                _OPTIONS.ReverseV2Options,
                schema.ReverseV2OptionsT(),
            )
        )
        return out

    def _concatenate(self, parts, out):
        options = schema.ConcatenationOptionsT()
        options.axis = 2
        return self.operator(
            _OP.CONCATENATION, parts, [out], _OPTIONS.ConcatenationOptions, options
        )

    def _rewire(self, graph, renamed):
        for op in graph.operators:
            op.inputs = np.array([renamed.get(int(i), int(i)) for i in op.inputs], np.int32)
        graph.outputs = np.array([renamed.get(int(i), int(i)) for i in graph.outputs], np.int32)


def _ancestors(graph, position):
    """Indices of the ops whose outputs the op at `position` needs."""
    producer = {int(t): i for i, op in enumerate(graph.operators) for t in op.outputs}
    found, pending = set(), [int(t) for t in graph.operators[position].inputs]
    while pending:
        index = producer.get(pending.pop())
        if index is not None and index not in found:
            found.add(index)
            pending += [int(t) for t in graph.operators[index].inputs]
    return found


def _is_placeholder(code):
    return code.customCode is not None and code.customCode.decode() == PLACEHOLDER
