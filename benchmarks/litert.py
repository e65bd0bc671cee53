"""LiteRT against onnxruntime and TensorFlow: each shipped family's graphs
at batch 1, file sizes and latency side by side in one run.

    python -m benchmarks.litert [--rounds 20] [--only NAME ...]
    python -m benchmarks.litert --quantized [--only NAME ...]
    python -m benchmarks.litert --fused [--rounds 20]

Each row is one graph of an export (`zoo export NAME --formats
onnx,litert`) on one example: TF runs the graph's function (the Keras
model, traced at batch 1), ORT the `.onnx` file, LiteRT the `.tflite`
file through its signature (ai-edge-litert's interpreter, XNNPACK, as
many threads as cores, as ORT). Where the file holds LiteRT's fused
recurrent ops (exports.litert_rnn), "loop" runs the same graph converted
with `fuse=False` (a WHILE loop of small ops). Text graphs read the first example the
export is verified on; image graphs a 256 px photo. Medians of
interleaved rounds after a warm-up call.

--fused: the char LMs whose layers LiteRT fuses (LSTM, peephole, CIFG),
each step graph converted twice, fused and as a WHILE loop
(`to_litert(..., fuse=False)`), run side by side on prompts of 12 and 100
characters, with one thread and with one per core.

--quantized: each model's LiteRT files in MB, float32 and quantized
(`zoo export NAME --formats litert --quantize dynamic|int8`), and the
held-out change the export's gate measured (exports.quantize: the Keras
model and OnnxModel(..., runtime="litert") on the family's fixed subset;
needs $ZOO_DATA_DIR). A refused export shows the figures it was refused on.
"""

import argparse
import functools
import os
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from benchmarks.inference import MODELS  # noqa: E402  (one shipped model per family)
from benchmarks.timing import interleaved_ms  # noqa: E402
from training import specimens  # noqa: E402

SIDE = 256
FUSED_MODELS = (
    "char-lstm-shakespeare",
    "char-peephole-shakespeare",
    "char-cifg-shakespeare",
)
PROMPTS = (12, 100)


def feeds(graphs):
    """{ONNX file: one example's feed (batch 1)}."""
    out = {}
    for filename, examples in graphs.examples().items():
        if filename not in graphs.onnx:
            continue
        feed = {k: v[:1] for k, v in examples[0].items()}
        if "image" in feed:
            rng = np.random.default_rng(0)
            smooth = rng.integers(0, 256, (1, SIDE // 8, SIDE // 8, 3)).astype(np.uint8)
            feed["image"] = smooth.repeat(8, axis=1).repeat(8, axis=2)
        out[filename] = feed
    return out


def sides(graphs, directory, filename):
    """{side: feed -> outputs} for one graph."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    from exports.litert_export import litert_name, op_names, to_litert
    from exports.portable import portable
    from zoo_runtime.litert import LiteRTGraph

    fn, signature = graphs.onnx[filename]
    with portable(graphs.model):
        traced = tf.function(fn, input_signature=signature)
        traced.get_concrete_function()
    session = ort.InferenceSession(str(directory / filename))
    names = [o.name for o in session.get_outputs()]
    interpreter = Interpreter(
        model_path=str(directory / litert_name(filename)), num_threads=os.cpu_count()
    )
    litert = LiteRTGraph(interpreter)
    runs = {
        "TF": lambda feed: traced(*[tf.constant(feed[s.name], s.dtype) for s in signature]),
        "ORT": lambda feed: session.run(names, feed),
        "LiteRT": litert.run,
    }
    ops = op_names((directory / litert_name(filename)).read_bytes())
    if any(op.startswith("UNIDIRECTIONAL") for op in ops):
        loop = to_litert(fn, signature, graphs.model, fuse=False)
        runs["loop"] = LiteRTGraph(Interpreter(model_content=loop, num_threads=os.cpu_count())).run
    return runs


def measure(name, rounds):
    """[(graph, input, ONNX MB, LiteRT MB, {side: ms})] for one model."""
    from exports.exporter import export
    from exports.graphs import graphs_for
    from exports.litert_export import litert_name

    model = zoo.registry.load_name_or_path(specimens.source(name))
    directory = export(model, tempfile.mkdtemp(prefix="litert-"), ("onnx", "litert"), check=False)
    graphs = graphs_for(model)
    rows = []
    for filename, feed in feeds(graphs).items():
        ms = on_one_feed(sides(graphs, directory, filename), feed, rounds)
        sizes = [(directory / f).stat().st_size / 1e6 for f in (filename, litert_name(filename))]
        shape = "x".join(str(d) for d in next(iter(feed.values())).shape)
        rows.append((filename, shape, *sizes, ms))
    return rows


def on_one_feed(runs, feed, rounds):
    """{side: median ms} of `runs` ({side: feed -> outputs}) on `feed`."""
    return interleaved_ms(
        {side: functools.partial(run, feed) for side, run in runs.items()}, rounds
    )


def fused_rows(rounds):
    """| model | threads | prompt | fused ms | loop ms | loop / fused | rows."""
    from ai_edge_litert.interpreter import Interpreter

    from exports.graphs import graphs_for
    from exports.litert_export import to_litert
    from zoo_runtime.litert import LiteRTGraph

    for name in FUSED_MODELS:
        model = zoo.load(name)
        fn, signature = graphs_for(model).onnx["model.onnx"]
        files = {
            side: to_litert(fn, signature, model, fuse=side == "fused")
            for side in ("fused", "loop")
        }
        for threads in sorted({1, os.cpu_count()}):
            runs = {
                side: LiteRTGraph(Interpreter(model_content=f, num_threads=threads)).run
                for side, f in files.items()
            }
            for length in PROMPTS:
                feed = {"token_ids": np.ones((1, length), np.int32)}
                feed |= {s.name: np.zeros((1, s.shape[1]), np.float32) for s in signature[1:]}
                ms = on_one_feed(runs, feed, rounds)
                yield (
                    f"| {name} | {threads} | {length} | {ms['fused']:.2f} | {ms['loop']:.2f} | "
                    f"{ms['loop'] / ms['fused']:.2f}x |"
                )


def quantized_rows(names):
    """| model | float32 MB | dynamic MB | its change | int8 MB | its change | rows."""
    import json

    from exports.__main__ import quantized
    from exports.exporter import export
    from exports.litert_export import SCHEMES
    from exports.quantize import QualityError

    def megabytes(directory):
        return f"{sum(f.stat().st_size for f in directory.glob('*.tflite')) / 1e6:.1f}"

    for name in names:
        out = tempfile.mkdtemp(prefix="litert-quantized-")
        source = specimens.source(name)
        cells = [megabytes(export(source, out, ("litert",), check=False))]
        for scheme in SCHEMES:
            model, gate = quantized(source, scheme)
            try:
                directory = export(model, out, ("litert",), **gate)
            except QualityError as error:
                cells += ["-", f"refused: {str(error).split(': ', 1)[1]}"]
                continue
            record = json.loads((directory / "zoo.json").read_text())["quantization"]
            changes = "; ".join(
                f"{metric} {c['float32']:g} -> {c['int8']:g} ({c['change']:+.2f})"
                for metric, c in record["metrics"].items()
            )
            cells += [megabytes(directory), changes]
        yield f"| {name} | {' | '.join(cells)} |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--only", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--quantized", action="store_true", help="sizes and held-out changes")
    parser.add_argument("--fused", action="store_true", help="fused recurrent ops against loops")
    args = parser.parse_args(argv)
    if args.fused:
        print(f"{os.cpu_count()} cores, batch 1, medians of {args.rounds} rounds\n")
        print("| model | threads | prompt | fused ms | loop ms | loop / fused |")
        print("|---|---:|---:|---:|---:|---:|")
        for row in fused_rows(args.rounds):
            print(row, flush=True)
        return
    if args.quantized:
        print("| model | float32 MB | dynamic MB | dynamic's change | int8 MB | int8's change |")
        print("|---|---:|---:|---|---:|---|")
        for row in quantized_rows(args.only):
            print(row, flush=True)
        return
    results = {name: measure(name, args.rounds) for name in args.only}
    print(f"{os.cpu_count()} cores, batch 1, medians of {args.rounds} rounds\n")
    print(
        "| model | graph | first input | ONNX MB | LiteRT MB | TF ms | ORT ms | LiteRT ms "
        "| TF / LiteRT | ORT / LiteRT | loop ms | loop / LiteRT |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, rows in results.items():
        for graph, shape, onnx_mb, litert_mb, ms in rows:
            lite = ms["LiteRT"]
            loop = f"{ms['loop']:.2f} | {ms['loop'] / lite:.2f}x" if "loop" in ms else "- | -"
            print(
                f"| {name} | {graph.rsplit('.', 1)[0]} | {shape} | {onnx_mb:.1f} | "
                f"{litert_mb:.1f} | {ms['TF']:.2f} | {ms['ORT']:.2f} | {lite:.2f} | "
                f"{ms['TF'] / lite:.2f}x | {ms['ORT'] / lite:.2f}x | {loop} |"
            )


if __name__ == "__main__":
    main()
