"""ONNX graphs of zoo models: tf2onnx for the graph, our own handler for
the recurrent layers (see exports.onnx_rnn), opset and IR version that the
pinned onnxruntime accepts, and the model's contract in metadata_props."""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

from exports.onnx_rnn import Registry, convert_placeholder, native_recurrence  # noqa: E402
from exports.portable import portable  # noqa: E402

# tf2onnx supports opsets up to 18; onnxruntime 1.31 loads IR versions <= 11.
OPSET = 18
MAX_IR_VERSION = 11


def to_onnx(fn, input_signature, model, metadata=None):
    """The ONNX model of `fn` (a function of tensors named by
    `input_signature`, returning a dict whose keys name the outputs)."""
    registry = Registry()
    with portable(model), native_recurrence(model, registry):
        function = tf.function(fn, input_signature=input_signature, autograph=False)
        proto, _ = tf2onnx.convert.from_function(
            function,
            input_signature=input_signature,
            opset=OPSET,
            # tf2onnx's handler API: (function, [new op type or None, *args]).
            custom_op_handlers={"PyFuncStateless": (convert_placeholder, [None, registry])},
        )
    proto.ir_version = min(proto.ir_version, MAX_IR_VERSION)
    _fill_output_shapes(proto)
    for key, value in (metadata or {}).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(proto)
    return proto


def _fill_output_shapes(proto):
    """tf2onnx leaves the shapes of outputs computed by native nodes unset
    (TensorFlow saw only placeholders); ONNX's own inference knows them."""
    inferred = onnx.shape_inference.infer_shapes(proto)
    known = {v.name: v.type for v in [*inferred.graph.value_info, *inferred.graph.output]}
    for output in proto.graph.output:
        if not output.type.tensor_type.HasField("shape") and output.name in known:
            output.type.CopyFrom(known[output.name])


def op_types(proto):
    """Every op type in the graph, subgraphs (Loop bodies) included."""
    found = []

    def walk(graph):
        for node in graph.node:
            found.append(node.op_type)
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    walk(attribute.g)

    walk(proto.graph)
    return found
