"""LiteRT (TFLite) flatbuffers of zoo models, for phones: the same
functions as the ONNX graphs (exports.graphs: tensors in and out), one
`.tflite` file per ONNX file, built from LiteRT's builtin ops only, so the
plain LiteRT runtime runs them (no Select TF ops, no custom ops).

Every graph takes one example at a time (batch 1; other dimensions, such
as text length and image size, stay free). LiteRT lowers a Keras
recurrent loop's TensorArrays to builtin ops only when each element's
shape is static, and a phone runs one input at a time anyway.

Bounds checks inside the TensorFlow functions (tf.debugging) do not
survive conversion: an app checks zoo.json's limits before it runs a
graph, as the ONNX apps do.

Post-training quantization (`zoo export NAME --formats litert --quantize
dynamic|int8`, gated on held-out data like ONNX's int8, exports.quantize):
"dynamic" stores weights as int8 and quantizes activations per call;
"int8" also calibrates activation ranges on training photos for the
convolutional graphs (a family's Graphs.CALIBRATED), which then compute
in int8 where LiteRT has int8 kernels (float elsewhere; float input and
output), and is "dynamic" for the rest, as ONNX's int8 is.
"""

import contextlib
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from exports import litert_rnn  # noqa: E402
from exports.litert_rnn import NotFusable  # noqa: E402
from exports.onnx_rnn import LoopFallbackWarning, Registry, native_recurrence  # noqa: E402
from exports.portable import portable  # noqa: E402
from zoo_runtime.litert import SIGNATURE, LiteRTGraph  # noqa: E402

BATCH = 1
SUFFIX = ".tflite"
SCHEMES = ("dynamic", "int8")
KEPT_FLOAT = ["DIV"]  # ops int8 leaves in float32 (see _convert)


class NotBuiltin(ValueError):
    """A converted graph needs ops outside LiteRT's builtins."""


def load(path_or_bytes):
    """A LiteRTGraph (zoo_runtime.litert) of a `.tflite` file or its bytes."""
    from ai_edge_litert.interpreter import Interpreter

    if isinstance(path_or_bytes, bytes | bytearray):
        return LiteRTGraph(Interpreter(model_content=bytes(path_or_bytes)))
    return LiteRTGraph(Interpreter(model_path=str(path_or_bytes)))


def litert_name(onnx_name):
    """encoder.onnx -> encoder.tflite."""
    return onnx_name.rsplit(".", 1)[0] + SUFFIX


def one_at_a_time(signature):
    """`signature` with its batch (leading) dimension fixed at BATCH."""
    fixed = [s.name for s in signature if s.shape.rank and s.shape[0] not in (None, BATCH)]
    if fixed:
        raise ValueError(f"LiteRT graphs take batch 1; inputs {fixed} fix another batch size")
    return [
        tf.TensorSpec((BATCH, *s.shape[1:]) if s.shape.rank else s.shape, s.dtype, s.name)
        for s in signature
    ]


def to_litert(fn, input_signature, model=None, scheme=None, calibration=(), fuse=True):
    """The flatbuffer (bytes) of `fn` (tensors named by `input_signature`,
    a dict out), traced at batch 1 with `model`'s portable recurrent loops,
    its LSTM layers fused (exports.litert_rnn) where LiteRT's op computes
    them and `fuse` allows; quantized by `scheme` (SCHEMES),
    with activation ranges calibrated on `calibration` (feeds of batch 1)
    for "int8". Raises NotBuiltin if it needs any op that is not a LiteRT
    builtin."""
    # Calibration runs the graph before the placeholders are replaced.
    if fuse and model is not None and not (scheme == "int8" and calibration):
        try:
            return _to_litert(fn, input_signature, model, scheme, calibration, fused=True)
        except NotFusable as reason:
            warnings.warn(f"{reason}: the graph keeps LSTM loops", LoopFallbackWarning, 2)
    return _to_litert(fn, input_signature, model, scheme, calibration, fused=False)


def _to_litert(fn, input_signature, model, scheme, calibration, fused):
    # A cell's single step stays plain ops: nothing to loop over, and the
    # fused op's kernel is slower there than XNNPACK's FULLY_CONNECTED.
    registry = Registry("LiteRT", litert_rnn.check, one_row=True, steps=False)
    with contextlib.ExitStack() as stack:
        if model is not None:
            stack.enter_context(portable(model))
        if fused:
            stack.enter_context(native_recurrence(model, registry))
        function = tf.function(fn, input_signature=one_at_a_time(input_signature))
        concrete = function.get_concrete_function()
        # No trackable object: the converter freezes the variables into the
        # file (with one, it kept those a recurrent loop reads as resource
        # variables without values), but writes no signature: added below.
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        converter.allow_custom_ops = bool(registry)  # the placeholders, replaced below
        try:
            with warnings.catch_warnings():
                # A uint8 image input is cast to float inside the graph; it
                # needs no input statistics, which the converter expects.
                warnings.filterwarnings("ignore", "Statistics for quantized inputs")
                # The quantization debugger runs TensorFlow's own interpreter.
                warnings.filterwarnings("ignore", ".*tf.lite.Interpreter is deprecated")
                flatbuffer = _convert(converter, input_signature, scheme, calibration)
        except Exception as error:  # the converter raises its own ConverterError
            raise NotBuiltin(f"LiteRT conversion failed: {_last_line(error)}") from error
    if registry:
        flatbuffer = litert_rnn.fuse(flatbuffer, registry, hybrid=scheme is not None)
    foreign = sorted({name for name, custom in _ops(flatbuffer) if custom})
    if foreign:
        raise NotBuiltin(f"the LiteRT graph needs non-builtin ops {foreign}")
    names = sorted(concrete.structured_outputs)  # a dict flattens in its sorted keys' order
    return with_signature(flatbuffer, [s.name for s in input_signature], names)


def with_signature(flatbuffer, input_names, output_names):
    """The flatbuffer with a `serving_default` signature naming its main
    graph's inputs and outputs, in order: what an app's signature runner
    (Interpreter.get_signature_runner, Android's runSignature) reads."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = _model(flatbuffer)
    graph = model.subgraphs[0]
    if len(graph.inputs) != len(input_names) or len(graph.outputs) != len(output_names):
        raise NotBuiltin(
            f"the LiteRT graph has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs, "
            f"the function {len(input_names)} and {len(output_names)}"
        )

    def tensors(names, indices):
        return [_tensor_map(schema, n, i) for n, i in zip(names, indices, strict=True)]

    signature = schema.SignatureDefT()
    signature.signatureKey = SIGNATURE
    signature.subgraphIndex = 0
    signature.inputs = tensors(input_names, graph.inputs)
    signature.outputs = tensors(output_names, graph.outputs)
    model.signatureDefs = [signature]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _tensor_map(schema, name, index):
    entry = schema.TensorMapT()
    entry.name, entry.tensorIndex = name, int(index)
    return entry


def _convert(converter, input_signature, scheme, calibration):
    """The converter's flatbuffer, quantized by `scheme`."""
    if scheme is None:
        return converter.convert()
    if scheme not in SCHEMES:
        raise ValueError(f"LiteRT quantization must be one of {SCHEMES}, got {scheme!r}")
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if scheme != "int8" or not calibration:
        return converter.convert()
    feeds = list(calibration)

    def dataset():
        return ([feed[s.name] for s in input_signature] for feed in feeds)

    converter.representative_dataset = dataset
    # Divisions stay float: an int8 divisor that rounds to zero stops the
    # kernel (the captioner's resize weights did, on a held-out photo).
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=KEPT_FLOAT)
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=dataset, debug_options=options
    )
    return debugger.get_nondebug_quantized_model()


def method(scheme, calibrated):
    """zoo.json's description of how one file was quantized."""
    if scheme == "int8" and calibrated:
        return (
            "int8 weights and activations, ranges calibrated on training photos "
            "(float where LiteRT has no int8 kernel); float input and output"
        )
    return "dynamic range: int8 weights, activations quantized per call"


def _last_line(error):
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def op_names(flatbuffer):
    """The sorted names of the ops in a flatbuffer, every subgraph (loop
    bodies) included: builtins by their enum name (WHILE, FULLY_CONNECTED),
    custom ops (Flex*, ...) by their custom code."""
    return sorted({name for name, _ in _ops(flatbuffer)})


def stateful(flatbuffer):
    """Whether the graph keeps state in variable tensors (fused recurrent
    ops do), which persist between runs: an app resets them before each
    (`Interpreter.reset_all_variables()`)."""
    model = _model(flatbuffer)
    return any(t.isVariable for graph in model.subgraphs for t in graph.tensors)


def _model(flatbuffer):
    """The flatbuffer as the schema's object tree (ModelT)."""
    from tensorflow.lite.tools import flatbuffer_utils

    return flatbuffer_utils.read_model_from_bytearray(bytearray(flatbuffer))


def _ops(flatbuffer):
    """(name, is custom) of every op."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = _model(flatbuffer)
    builtin = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            code = model.operatorCodes[op.opcodeIndex]
            kind = max(code.builtinCode, code.deprecatedBuiltinCode)
            if kind == schema.BuiltinOperator.CUSTOM:
                yield code.customCode.decode(), True
            else:
                yield builtin[kind], False
