"""One ONNX-only version (an int8 export, or any export made with
formats=("onnx",)) served by onnxruntime through the same REST and gRPC
API as a SavedModel: one signature per graph, named by its file
(`search`, `encoder`, `decoder`, `model`), taking and returning its
tensors; `serving_default` is search.onnx where there is one (the whole
greedy or beam search), else model.onnx.

A model folder's ONNX-only versions are served when it has no SavedModel
version (serving.repository): a new int8 export never replaces, unasked,
the text signatures of a SavedModel that clients already call.

Requests are checked as a SavedModel's are (names, dtypes, shapes, batch;
serving.feeds) and charged the multiply-adds zoo.json's `onnx_work` gives
each graph (exports.work) before they run; the graphs bound the rest
themselves (beam width, ids within the vocabulary, output length)."""

import re

import numpy as np
import onnxruntime as ort
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2

from serving.errors import invalid
from serving.feeds import Requests, checked_request
from serving.onnx_model import OnnxModel

PREDICT = "tensorflow/serving/predict"
DEFAULTS = ("search", "model")  # serving_default: the first graph of these there is


class OnnxServable(Requests):
    def __init__(self, name, version, path, max_batch, max_work_macs=float("inf")):
        self.name, self.version, self.max_batch = name, version, max_batch
        self.max_work_macs = max_work_macs
        self.model = OnnxModel(path, threads=None)  # checks every file's sha256
        contract = self.model.contract
        graphs = {f.removesuffix(".onnx"): io for f, io in contract["onnx"].items()}
        self.specs = {
            graph: {side: _specs(io[side]) for side in ("inputs", "outputs")}
            for graph, io in graphs.items()
        }
        self.signatures = {graph: graph for graph in graphs}  # signature name -> graph
        default = next((g for g in DEFAULTS if g in graphs), None)
        if default is not None:
            self.specs["serving_default"] = self.specs[default]
            self.signatures["serving_default"] = default
        self.signature_defs = {k: _signature_def(v) for k, v in self.specs.items()}
        work = contract.get("onnx_work") or {}
        self.work = {sig: work.get(f"{graph}.onnx", []) for sig, graph in self.signatures.items()}
        self.warmed = 0

    def predict(self, signature_name, feed, output_filter=()):
        name, arrays, wanted = checked_request(self, signature_name, feed, output_filter)
        graph = self.signatures[name]
        outputs = list(wanted or self.specs[name]["outputs"])
        try:
            values = self.model.sessions[graph].run(outputs, arrays)
        except (ort.capi.onnxruntime_pybind11_state.Fail, RuntimeError, ValueError) as error:
            raise invalid(_ort_message(str(error))) from None
        return dict(zip(outputs, values, strict=True))


def _specs(io):
    return {k: (v["dtype"], list(v["shape"])) for k, v in sorted(io.items())}


def _signature_def(specs):
    definition = meta_graph_pb2.SignatureDef(method_name=PREDICT)
    for side, infos in (("inputs", definition.inputs), ("outputs", definition.outputs)):
        for key, (dtype, shape) in specs[side].items():
            info = infos[key]
            info.name = key
            info.dtype = tf.as_dtype(np.dtype(dtype)).as_datatype_enum
            for size in shape:
                info.tensor_shape.dim.add(size=size)
    return definition


def _ort_message(text):
    """What was wrong, from onnxruntime's error: an in-graph check names
    itself by its node's name (exports.onnx_search), else ORT's status."""
    named = re.search(r"Name:'([^']*)'", text)
    if named and " " in named[1]:
        return named[1]
    status = text.split("Status Message:", 1)[-1] if "Status Message:" in text else text
    return re.sub(r"^\s*\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*\w+\s*:\s*", "", status).strip()
