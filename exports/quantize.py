"""int8 ONNX exports (`zoo export NAME --quantize int8`), made with
onnxruntime's quantization tools and published only if the model stays as
good on held-out data.

- Recurrent graphs: dynamic quantization. Weights of MatMul, Gemm, LSTM
  (as DynamicQuantizeLSTM) and Gather (embeddings) are stored as int8;
  activations are quantized per call, as their range depends on the input.
  onnxruntime has no int8 GRU: GRU weights stay float32.
- Convolutional graphs (a family's `Graphs.CALIBRATED` files: the
  captioner's VGG19 encoder, style networks): static QDQ, weights per
  channel, activation ranges calibrated on photos from the training data.
- search.onnx is composed again from the quantized encoder and decoder.

The gate: a `judge` (the family's held-out subset and metrics, given by
the caller: exports knows nothing of training data) measures the Keras
model and the int8 export alike. If any metric is worse by more than its
tolerance (0.5 points; 0.02 nats for a character LM), the export is
refused with the figures and nothing is published; otherwise zoo.json
records the quantization and the measured change.
"""

import tempfile
from pathlib import Path

import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)

SCHEMES = ("int8",)
DYNAMIC_OPS = ["MatMul", "Gemm", "LSTM", "Gather"]
STATIC_OPS = ["Conv", "MatMul", "Gemm"]


class QualityError(ValueError):
    """The int8 model is worse on held-out data than its tolerance allows."""


def quantized(protos, calibration, kept_float=None):
    """{file: int8 ModelProto} of float32 `protos` ({file: ModelProto}):
    static QDQ for the files `calibration` ({file: [feed]}) holds feeds
    for, leaving the nodes `kept_float` ({file: [node name]}) names in
    float32; dynamic for the rest."""
    kept_float = kept_float or {}
    with tempfile.TemporaryDirectory(prefix="zoo-int8-") as scratch:
        return {
            name: _quantized(
                proto, calibration.get(name), kept_float.get(name, []), Path(scratch) / name
            )
            for name, proto in protos.items()
        }


def _quantized(proto, feeds, kept_float, path):
    if feeds:
        quantize_static(
            proto,
            path,
            _Feeds(feeds),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=STATIC_OPS,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=kept_float,
        )
    else:
        quantize_dynamic(proto, path, op_types_to_quantize=DYNAMIC_OPS, weight_type=QuantType.QInt8)
    out = onnx.load(str(path))
    kept = {entry.key for entry in out.metadata_props}
    out.metadata_props.extend(e for e in proto.metadata_props if e.key not in kept)
    return out


class _Feeds(CalibrationDataReader):
    def __init__(self, feeds):
        self.feeds = iter(feeds)

    def get_next(self):
        return next(self.feeds, None)


def method(calibrated, quantized_files, files):
    """zoo.json's description of how each file was made int8."""
    return {
        f: "static QDQ: int8 weights per channel, uint8 activations calibrated"
        if f in calibrated
        else "dynamic: int8 weights, activations quantized per call"
        if f in quantized_files
        else "composed from the int8 graphs"
        for f in files
    }


def gate(judge, reference, candidate):
    """zoo.json's record of the held-out change from `reference` (the Keras
    model) to `candidate` (the int8 export's folder); raises QualityError
    when a metric is worse than its tolerance allows."""
    before = judge.measure(reference)
    try:
        after = judge.measure(candidate)
    except RuntimeError as error:  # a runtime's kernel refused an input (onnxruntime, LiteRT)
        raise QualityError(f"the quantized export fails on {judge.subset}: {error}") from error
    changes = {}
    for name, (higher_is_better, tolerance) in judge.metrics.items():
        change = after[name] - before[name]
        changes[name] = {  # + 0.0: no "-0" in the record
            "float32": round(before[name], 4) + 0.0,
            "int8": round(after[name], 4) + 0.0,
            "change": round(change, 4) + 0.0,
            "tolerance": tolerance,
            "higher_is_better": higher_is_better,
        }
    worse = [
        f"{name} {c['float32']:g} -> {c['int8']:g} ({c['change']:+.4g}; at most "
        f"{c['tolerance']:g} {'lower' if c['higher_is_better'] else 'higher'} allowed)"
        for name, c in changes.items()
        if (-c["change"] if c["higher_is_better"] else c["change"]) > c["tolerance"]
    ]
    if worse:
        raise QualityError(f"int8 refused on {judge.subset}: " + "; ".join(worse))
    return {"held_out": judge.subset, "metrics": changes}
