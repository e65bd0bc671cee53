"""`export(model_or_name, out)`: one versioned directory per export holding
the SavedModel (TF Serving), the ONNX graphs and zoo.json, verified against
Keras before it is published (see exports.layout)."""

import contextlib
import functools
import json
import logging
from pathlib import Path

import keras
import onnx
import tensorflow as tf

import zoo
from exports import layout, litert_export
from exports import quantize as quantization
from exports.graphs import graphs_for
from exports.litert_export import BATCH, litert_name, op_names, to_litert
from exports.onnx_export import to_onnx
from exports.portable import portable
from exports.verify import verify
from exports.warmup import write_warmup
from zoo_runtime.checksums import sha256
from zoo_runtime.layout import SIDECAR, check_name

FORMATS = ("savedmodel", "onnx", "litert")
DEFAULT_FORMATS = ("savedmodel", "onnx")
SIDECAR_VERSION = 1


def export(
    model,
    out="exports",
    formats=DEFAULT_FORMATS,
    name=None,
    check=True,
    models_config=None,
    labels=(),
    limits=None,
    input_signature=None,
    quantize=None,
    judge=None,
):
    """Export a model to `out/<name>/<next version>/`; returns that
    directory. `model` is a zoo model (instance, shipped name or package
    directory) or any built Keras model (tensors in and out under its own
    input and output names; `input_signature`, a list of tf.TensorSpec,
    overrides the inputs it is traced for). With `check`, the export must
    agree with Keras (exports.verify) or nothing is published. `limits`
    overrides exports.graphs.LIMITS (prompt length, pixels, ...), which
    the graphs enforce and zoo.json records. `models_config` (default
    out/models.config) is rewritten for every model under `out` with a
    SavedModel; `labels` (e.g. ["canary"]) name the new version there.

    A version without a SavedModel (formats=("onnx",)) is published under
    `out/<name>/onnx-only/<N>/`, or `litert-only/<N>/` when it holds
    LiteRT graphs alone: every numbered folder TF Serving sees holds a
    SavedModel (exports.layout). "litert" writes one batch-1 `.tflite`
    file beside each ONNX file (exports.litert_export).

    `quantize="int8"` makes an int8 ONNX-only version (exports.quantize),
    published only if `judge` (the family's held-out measure) finds it
    within tolerance of the Keras model; zoo.json records the change."""
    model, name = _resolve(model, name)
    formats = _check_formats(formats)
    _check_quantize(quantize, formats, judge)
    with known_warnings_quiet():
        graphs = graphs_for(model, limits, input_signature)
        out = Path(out)
        examples = graphs.examples()
        servable = "savedmodel" in formats
        with layout.staged_version(out / name, layout.home_for(formats)) as stage:
            contract = {"name": name, "format_version": SIDECAR_VERSION, **graphs.contract()}
            if "savedmodel" in formats:
                write_savedmodel(graphs, stage.path)
                write_warmup(stage.path, name, {s: examples[s] for s in graphs.signatures})
                contract["signatures"] = signature_io(stage.path)
            if "onnx" in formats:
                int8 = quantize and functools.partial(_int8, graphs, judge)
                contract["onnx"] = write_onnx(graphs, stage.path, name, contract, int8)
            if "litert" in formats:
                calibration = _litert_calibration(graphs, quantize, judge)
                contract["litert"] = write_litert(graphs, stage.path, quantize, calibration)
            card = getattr(model, "card", None)
            if quantize:  # judged on held-out data instead of compared with Keras' numbers
                write_sidecar(stage.path, contract, card)  # what the judge's app reads
                contract["quantization"] = {
                    "scheme": quantize,
                    "method": _quantization_method(graphs, formats, quantize, contract),
                    **quantization.gate(judge, model, stage.path),
                }
            elif check:
                contract["verified"] = verify(graphs, stage.path, formats, examples)
            write_sidecar(stage.path, contract, card)
        if servable:
            new_labels = {name: {label: int(stage.final.name) for label in labels}}
            layout.models_config(out, models_config or out / "models.config", labels=new_labels)
        return stage.final


@contextlib.contextmanager
def known_warnings_quiet():
    """TensorFlow's and tf2onnx's Python loggers at ERROR while exporting:
    their warnings here are known and harmless (a lookup table's initializer
    it cannot list in a MetaGraph collection, shapes tf2onnx leaves to
    onnxruntime, the LiteRT converter's advice to pass a trackable object,
    which exports.litert_export leaves out on purpose); failures still raise."""
    loggers = [logging.getLogger(name) for name in ("tensorflow", "tf2onnx", "absl")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _resolve(model, name):
    """(model, the folder name it is exported under)."""
    if isinstance(model, keras.Model):
        card = getattr(model, "card", None) or {}
        return model, check_name(name or card.get("name") or model.name)
    loaded = zoo.registry.load_name_or_path(model)
    return loaded, check_name(name or loaded.card["name"])


def _check_formats(formats):
    formats = tuple(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown or not formats:
        raise ValueError(f"formats must be some of {FORMATS}, got {formats}")
    return formats


# The quantized exports there are: ONNX int8, LiteRT dynamic-range and int8.
QUANTIZED = {("onnx",): quantization.SCHEMES, ("litert",): litert_export.SCHEMES}


def _check_quantize(quantize, formats, judge):
    if quantize is None:
        return
    if formats not in QUANTIZED:
        raise ValueError(
            f"a quantized export holds one format: pass formats=('onnx',) or ('litert',), "
            f"not {formats}"
        )
    if quantize not in QUANTIZED[formats]:
        raise ValueError(
            f"{formats[0]} quantization must be one of {QUANTIZED[formats]}, got {quantize!r}"
        )
    if judge is None:
        raise ValueError(f"a {quantize} export needs a judge: its held-out data and metrics")


def _quantization_method(graphs, formats, quantize, contract):
    if "onnx" in formats:
        return quantization.method(graphs.CALIBRATED, graphs.onnx, contract["onnx"])
    return {
        litert_name(f): litert_export.method(quantize, f in graphs.CALIBRATED) for f in graphs.onnx
    }


def _litert_calibration(graphs, quantize, judge):
    """{ONNX file: batch-1 feeds} for LiteRT int8's calibrated graphs."""
    if quantize != "int8":
        return {}
    return graphs.calibration_feeds(judge.calibration)


def _int8(graphs, judge, protos):
    feeds = graphs.calibration_feeds(judge.calibration)
    kept = {f: graphs.kept_float(f, protos[f]) for f in feeds}
    return quantization.quantized(protos, feeds, kept)


def write_savedmodel(graphs, directory):
    """The Keras ExportArchive, one signature per entry of graphs.signatures,
    traced with the portable (non-cuDNN) recurrent loops; graph resources
    (lookup tables) tracked."""
    archive = keras.export.ExportArchive()
    with portable(graphs.model):
        # The model is not tracked: its endpoints capture every variable they
        # use, and a tracked model's variables were saved a second time.
        signatures = graphs.signatures
        for resource in graphs.resources():
            archive.track(resource)
        for signature_name, (fn, signature) in signatures.items():
            archive.add_endpoint(signature_name, fn, signature)
        archive.write_out(str(directory), verbose=False)


def signature_io(directory):
    loaded = tf.saved_model.load(str(directory))
    return {
        name: {
            "inputs": _specs(fn.structured_input_signature[1]),
            "outputs": _specs(fn.structured_outputs),
        }
        for name, fn in loaded.signatures.items()
    }


def _specs(structure):
    return {
        key: {"dtype": value.dtype.name, "shape": [d if d is not None else -1 for d in value.shape]}
        for key, value in sorted(structure.items())
    }


def write_onnx(graphs, directory, name, contract, transform=None):
    """The ONNX graphs, tf2onnx's (passed through `transform`, e.g. int8
    quantization, if given) and those composed from them."""
    io, metadata = {}, _metadata(name, contract)
    protos = {
        filename: to_onnx(fn, signature, graphs.model, metadata=metadata)
        for filename, (fn, signature) in graphs.onnx.items()
    }
    protos = transform(protos) if transform else protos
    for filename, proto in {**protos, **graphs.composed(protos)}.items():
        onnx.save(proto, str(Path(directory) / filename))
        io[filename] = {
            "inputs": _onnx_io(proto.graph.input),
            "outputs": _onnx_io(proto.graph.output),
        }
    return io


def write_litert(graphs, directory, quantize=None, calibration=None):
    """One LiteRT flatbuffer per ONNX graph, quantized by `quantize` (with
    `calibration`, {ONNX file: feeds}, for int8); {file: its inputs,
    outputs and ops} for zoo.json."""
    io = {}
    for filename, (fn, signature) in graphs.onnx.items():
        feeds = (calibration or {}).get(filename, ())
        flatbuffer = to_litert(fn, signature, graphs.model, quantize, feeds)
        target = litert_name(filename)
        (Path(directory) / target).write_bytes(flatbuffer)
        io[target] = {
            **litert_export.load(flatbuffer).io,
            "batch": BATCH,
            "ops": op_names(flatbuffer),
            "stateful": litert_export.stateful(flatbuffer),
        }
    return io


def _metadata(name, contract):
    keep = {k: v for k, v in contract.items() if k not in ("signatures", "onnx")}
    return {"zoo": json.dumps(keep, ensure_ascii=False), "name": name}


def _onnx_io(values):
    return {v.name: _onnx_type(v.type.tensor_type) for v in values}


def _onnx_type(tensor):
    dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tensor.shape.dim]
    return {"dtype": onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name, "shape": dims}


def write_sidecar(directory, contract, card):
    directory = Path(directory)
    files = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())
    sidecar = {**contract, "card": card, "sha256": {f: sha256(directory / f) for f in files}}
    (directory / SIDECAR).write_text(json.dumps(sidecar, indent=1, ensure_ascii=False) + "\n")
