"""Every shipped model's inference, TensorFlow vs onnxruntime (float32
and int8), side by side; and what int8 costs each model on held-out data.

    python -m benchmarks.inference [--rounds 5] [--exports DIR] [--int8 DIR]
        [--only NAME ...] [--load]

Each row is one call of the user-facing API on the same inputs: the Keras
model (TensorFlow) and serving.OnnxModel (onnxruntime, numpy) on the
float32 export and the int8 export (`zoo export NAME --quantize int8`),
made at the start (or taken from --exports DIR/<name>, --int8 DIR/<name>).
Batch 1 and batch 64 (4 photos of 512 px for the captioner and the style
network); char LMs generate from one prompt (their API has no batch).
Medians over interleaved rounds after a warm-up call; "TF / ORT" is how
many times faster onnxruntime is. --load runs the same with two other
processes keeping both cores busy (a loaded machine).

The second table: each model's ONNX files in MB and the held-out change
the int8 export measured (zoo.json's `quantization`).
"""

import argparse
import functools
import multiprocessing
import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from benchmarks.timing import interleaved_ms  # noqa: E402
from training import specimens  # noqa: E402
from training.data import text_data  # noqa: E402

MODELS = (
    "char-lstm-shakespeare",
    "sentiment-imdb",
    "date-normalizer",
    "translate-spa-eng",
    "caption-flickr8k",
    "fast-style-wave",  # a specimen (training/specimens): the speed is the weights'
)
BATCH = 64
PHOTOS, SIDE = 4, 512


def inputs():
    """The rows each family reads, from ../shared/data: (batch 1, batch 64)."""
    from benchmarks.date_normalizer import test_sets
    from training.data.translation import read_anki
    from training.tasks import sentiment

    data = text_data.data_dir()
    reviews = sentiment.read_csv(data / "imdb/test.csv.gz")[0][: BATCH + 1]
    spanish = [s for s, _ in read_anki(data / "anki/spa-eng.txt.gz")[-BATCH - 1 :]]
    dates = [s for s, _ in test_sets(BATCH + 1)["training spellings"]]
    photos = _photos(data)
    return {
        "sentiment": (reviews[:1], reviews[1:]),
        "date": (dates[:1], dates[1:]),
        "spanish": (spanish[:1], spanish[1:]),
        "photos": (photos[:1], photos),
    }


def _photos(data):
    from PIL import Image

    folder = data / "flickr8k"
    names = (folder / "test_images.txt").read_text().split()[:PHOTOS]
    return [
        np.asarray(Image.open(folder / "images" / n).convert("RGB").resize((SIDE, SIDE)))
        for n in names
    ]


def calls(name, model, rows):
    """{(what, batch label): fn(model)} for one model, Keras or OnnxModel alike."""
    task = model.task
    if task == "char-lm":
        return {("generate 200 chars, greedy", "1 prompt"): lambda m: m.generate("ROMEO:", 200, 0)}
    if task == "sentiment":
        one, many = rows["sentiment"]
        return {
            ("predict_proba", "1"): lambda m: m.predict_proba(one),
            ("predict_proba", str(BATCH)): lambda m: m.predict_proba(many),
        }
    if task == "seq2seq":
        one, many = rows["date" if name.startswith("date") else "spanish"]
        return {
            (f"translate, beam {k}", label): lambda m, t=texts, k=k: m.translate(t, beam_width=k)
            for k in (1, 5)
            for label, texts in (("1", one), (str(BATCH), many))
        }
    if task == "caption":
        one, many = rows["photos"]
        return {
            ("caption, beam 3", label): lambda m, p=photos: m.caption(p, beam_width=3)
            for label, photos in (("1 photo", one), (f"{PHOTOS} photos", many))
        }
    one, many = (np.stack(p) for p in rows["photos"])
    return {
        (f"stylize {SIDE} px", label): lambda m, p=photos: m.stylize(p)
        for label, photos in (("1 photo", one), (f"{PHOTOS} photos", many))
    }


def measure(name, directories, rows, rounds):
    """[(what, batch, TF ms, ORT ms, int8 ms)] for one model."""
    from serving import OnnxModel

    model = zoo.registry.load_name_or_path(specimens.source(name))
    sides = {"TF": model, **{k: OnnxModel(d) for k, d in directories.items()}}
    out = []
    for (what, batch), fn in calls(name, sides["TF"], rows).items():
        ms = interleaved_ms({s: functools.partial(fn, model) for s, model in sides.items()}, rounds)
        out.append((what, batch, *ms.values()))
    return out


def exported(name, base, quantize=None):
    from exports.__main__ import quantized
    from exports.exporter import export
    from serving.onnx_model import version_directory

    if base and (Path(base) / name).exists():
        return version_directory(Path(base) / name)
    out = tempfile.mkdtemp(prefix="inference-")
    model, int8 = quantized(specimens.source(name), quantize)
    return export(model, out, formats=("onnx",), **int8)


def int8_rows(directories):
    """| model | float32 MB | int8 MB | held out | metric: float32 -> int8 | rows."""
    import json

    for name, (fp32, int8) in directories.items():
        record = json.loads((int8 / "zoo.json").read_text())["quantization"]
        sizes = [sum(f.stat().st_size for f in d.glob("*.onnx")) / 1e6 for d in (fp32, int8)]
        changes = "; ".join(
            f"{metric} {c['float32']:g} -> {c['int8']:g} ({c['change']:+.2f})"
            for metric, c in record["metrics"].items()
        )
        yield f"| {name} | {sizes[0]:.1f} | {sizes[1]:.1f} | {record['held_out']} | {changes} |"


def _busy(stop):
    x = 0
    while not stop.is_set():
        x = (x * 1103515245 + 12345) % 2**31


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--exports", help="a base folder of exports to reuse (<name>/...)")
    parser.add_argument("--int8", help="a base folder of int8 exports to reuse (<name>/...)")
    parser.add_argument("--only", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--load", action="store_true", help="two busy processes beside")
    args = parser.parse_args(argv)
    rows = inputs()
    directories = {
        name: {"ORT": exported(name, args.exports), "int8": exported(name, args.int8, "int8")}
        for name in args.only
    }
    stop = multiprocessing.Event()
    busy = [multiprocessing.Process(target=_busy, args=(stop,)) for _ in range(2 * args.load)]
    for process in busy:
        process.start()
    try:
        results = {name: measure(name, directories[name], rows, args.rounds) for name in args.only}
    finally:
        stop.set()
        for process in busy:
            process.join()
    machine = "loaded" if args.load else "quiet"
    print(f"{machine} machine, {os.cpu_count()} cores, medians of {args.rounds} rounds\n")
    print("| model | call | batch | TF ms | ORT ms | int8 ms | TF / ORT | TF / int8 |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for name, measured in results.items():
        for what, batch, tf_ms, ort_ms, int8_ms in measured:
            print(
                f"| {name} | {what} | {batch} | {tf_ms:.1f} | {ort_ms:.1f} | {int8_ms:.1f} "
                f"| {tf_ms / ort_ms:.2f}x | {tf_ms / int8_ms:.2f}x |"
            )
    print("\n| model | ONNX MB | int8 MB | held out | int8's change |")
    print("|---|---:|---:|---|---|")
    sizes = {n: (d["ORT"], d["int8"]) for n, d in directories.items()}
    print("\n".join(int8_rows(sizes)))


if __name__ == "__main__":
    main()
