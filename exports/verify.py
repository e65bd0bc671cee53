"""Parity of an export with Keras, run at the end of every export:
onnxruntime on each ONNX graph vs the same function run by TensorFlow on
the Keras model, and the reloaded SavedModel's signatures vs the zoo API
(`generate`, `translate`, `stylize`) on the same inputs.

Floats must agree to TOLERANCE times the output's largest magnitude (at
least 1: deep convolutional stacks such as VGG19 round differently in
float32 at large values); token ids and strings exactly; uint8 images
to one level (the rounding of values that agree to TOLERANCE)."""

import functools
from pathlib import Path

import numpy as np
import onnxruntime as ort
import tensorflow as tf

from exports import litert_export
from exports.litert_export import litert_name
from exports.onnx_search import FILE as SEARCH_FILE
from exports.portable import portable

TOLERANCE = 1e-4


class VerificationError(Exception):
    """An exported graph disagrees with the Keras model. Not an
    AssertionError: it is raised however Python runs (-O included), and
    callers can tell it from a bug in the exporter."""


def verify(graphs, directory, formats, examples=None):
    """{graph or signature: largest float difference}; raises
    VerificationError on any disagreement."""
    directory = Path(directory)
    examples = examples or graphs.examples()
    report = {}
    with portable(graphs.model):
        if "onnx" in formats:
            report.update(graph_parity(graphs, onnx_runs(directory, graphs.onnx), examples))
            if hasattr(graphs, "decoded"):
                report[SEARCH_FILE] = check_search(graphs, directory, examples)
        if "litert" in formats:
            runs = {f: litert_export.load(directory / litert_name(f)).run for f in graphs.onnx}
            report.update(graph_parity(graphs, runs, examples, litert_name, "litert "))
        if "savedmodel" in formats:
            loaded = tf.saved_model.load(str(directory))
            for name in graphs.signatures:
                signature = loaded.signatures[name]
                report[name] = max(
                    compare(name, _run_tf(signature, feed), graphs.reference(name, feed))
                    for feed in examples[name]
                )
    return report


def graph_parity(graphs, runs, examples, named=lambda filename: filename, runtime=""):
    """{graph file (`named` from the ONNX file's name): largest difference}
    of each graph, run by `runs` ({ONNX file: feed -> outputs}: onnxruntime
    or LiteRT, batch 1 row by row), against the same function in Keras on
    that file's examples; and for a decoder, how many greedy tokens equal
    Keras' (check_greedy), under "<runtime>greedy decoding, tokens equal"."""
    report = {}
    for filename, (fn, signature) in graphs.onnx.items():
        where = named(filename)
        report[where] = max(
            compare(where, runs[filename](feed), _run_keras(fn, signature, feed))
            for feed in examples[filename]
        )
    if hasattr(graphs, "greedy_ids"):
        report[f"{runtime}greedy decoding, tokens equal"] = check_greedy(graphs, runs, examples)
    return report


def _run_onnx(session, feed):
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feed), strict=True))


def _run_keras(fn, signature, feed):
    out = fn(*[tf.constant(feed[spec.name], spec.dtype) for spec in signature])
    return {k: np.asarray(v) for k, v in out.items()}


def _run_tf(fn, feed):
    out = fn(**{k: tf.constant(v) for k, v in feed.items()})
    return {k: v.numpy() for k, v in out.items()}


def compare(where, got, want):
    """Largest float difference over the outputs `want` names, relative
    to each output's largest magnitude (when that is over 1)."""
    worst = 0.0
    for name, expected in want.items():
        if name not in got:
            raise VerificationError(f"{where}: output {name!r} is missing")
        actual, expected = np.asarray(got[name]), np.asarray(expected)
        if actual.shape != expected.shape:
            raise VerificationError(
                f"{where}/{name}: shape {actual.shape}, Keras gives {expected.shape}"
            )
        if expected.dtype.kind == "f":
            scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
            difference = float(np.abs(actual - expected).max(initial=0.0)) / scale
            if not difference <= TOLERANCE:
                raise VerificationError(
                    f"{where}/{name}: max |difference| {difference * scale:.3g} "
                    f"({difference:.3g} of the largest |value|, {scale:.3g})"
                )
            worst = max(worst, difference)
        elif expected.dtype == np.uint8:
            if np.abs(actual.astype(int) - expected.astype(int)).max(initial=0) > 1:
                raise VerificationError(f"{where}/{name}: images differ by more than 1 level")
        elif not np.array_equal(actual, expected):
            raise VerificationError(f"{where}/{name}: {actual!r} != Keras' {expected!r}")
    return worst


def check_greedy(graphs, runs, examples):
    """Greedy decoding with the encoder and decoder graphs (`runs`: {ONNX
    file: feed -> outputs}, onnxruntime's or LiteRT's) must give Keras'
    tokens exactly; returns how many tokens (before each row's end) were
    compared."""
    feed = examples["encoder.onnx"][0]
    got = app_greedy(graphs, runs["encoder.onnx"], runs["decoder.onnx"], feed)
    want = np.asarray(graphs.greedy_ids(feed))
    compare("greedy decoding", {"target_ids": got}, {"target_ids": want})
    return int(np.sum(want != graphs.model.pad))


def check_search(graphs, directory, examples, searches=((1, 0.0), (3, 0.6))):
    """search.onnx must give Keras' raw greedy and beam-search ids exactly,
    and their log-probabilities; returns the largest log-probability
    difference."""
    session = ort.InferenceSession(str(Path(directory) / SEARCH_FILE))
    feed = examples["encoder.onnx"][0]
    worst = 0.0
    for beam_width, penalty in searches:
        where = f"{SEARCH_FILE}, beam width {beam_width}, length penalty {penalty}"
        scalars = {"beam_width": np.array(beam_width, np.int64)}
        scalars["length_penalty"] = np.array(penalty, np.float32)
        scalars["no_repeat_ngram_size"] = np.array(0, np.int64)
        got = _run_onnx(session, {**feed, **scalars})
        ids, log_prob = graphs.decoded(feed, beam_width, penalty)
        worst = max(worst, compare(where, got, {"ids": ids, "log_prob": log_prob}))
    return worst


def onnx_runs(directory, files=("encoder.onnx", "decoder.onnx")):
    """{file: feed -> outputs} through onnxruntime."""
    sessions = {f: ort.InferenceSession(str(Path(directory) / f)) for f in files}
    return {f: functools.partial(_run_onnx, s) for f, s in sessions.items()}


def app_greedy(graphs, encoder, decoder, encoder_feed):
    """The greedy loop an app runs with its `encoder` and `decoder`
    (feed -> outputs): ids that are never chosen are graphs.banned, and it
    stops after graphs.max_length steps."""
    model = graphs.model
    encoded = encoder(encoder_feed)
    feed = {k: v for k, v in encoded.items() if k in graphs.decoder_inputs}
    batch = len(next(iter(encoder_feed.values())))
    token = np.full(batch, model.start, np.int32)
    finished = np.zeros(batch, bool)
    steps = []
    for _ in range(graphs.max_length):
        out = decoder({**feed, "token_ids": token})
        logits = out["logits"]
        logits[:, list(graphs.banned)] = -np.inf
        token = np.where(finished, model.pad, logits.argmax(-1)).astype(np.int32)
        finished |= token == model.end
        steps.append(token)
        feed.update({n: out[f"next_{n}"] for n in graphs.state_names})
    return np.stack(steps, axis=1)
