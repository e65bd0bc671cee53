"""Spanish-English translation: attention against the fixed context vector
on the same held-out test sentences (BLEU / chrF, greedy and beam 5, BLEU
by source length, Bahdanau et al. 2015's figure), and decoding speed,
Keras against onnxruntime, measured side by side in one run.

    python -m benchmarks.translation [--baseline runs/translate-spa-eng-no-attention/model]
        [--plot docs/bleu-by-length.png] [--sentences 200] [--tables quality|speed]
"""

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import translation  # noqa: E402
from training.tasks import seq2seq  # noqa: E402

NAME = "translate-spa-eng"
EDGES = (4, 6, 8, 10, 13)  # source words


def quality(models, pairs):
    print("| model | BLEU greedy | chrF greedy | BLEU beam 5 | chrF beam 5 |")
    print("|---|---:|---:|---:|---:|")
    for label, model in models.items():
        greedy = translation.evaluate(model, pairs)
        beam = translation.evaluate(model, pairs, 5)
        print(
            f"| {label} | {greedy['bleu']:.2f} | {greedy['chrf']:.2f} | "
            f"{beam['bleu']:.2f} | {beam['chrf']:.2f} |"
        )


def by_length(models, pairs, plot=None):
    rows = {label: translation.by_length(m, pairs, EDGES) for label, m in models.items()}
    labels = [r[0] for r in next(iter(rows.values()))]
    print("\n| source words | sentences | " + " | ".join(rows) + " |")
    print("|---|---:|" + "---:|" * len(rows))
    for i, label in enumerate(labels):
        cells = " | ".join(f"{r[i][2]:.2f}" for r in rows.values())
        print(f"| {label} | {next(iter(rows.values()))[i][1]} | {cells} |")
    if plot:
        _plot(rows, labels, plot)


def _plot(rows, labels, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for (label, found), marker in zip(rows.items(), "os", strict=False):
        ax.plot(range(len(labels)), [r[2] for r in found], marker=marker, label=label)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel("source sentence length (words)")
    ax.set_ylabel("BLEU (greedy)")
    ax.set_title("Spanish→English, held-out Tatoeba sentences")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")


def speed(model, sources):
    """ms per sentence: one at a time and in one batch, Keras and ORT."""
    from exports import export
    from serving import OnnxModel

    with tempfile.TemporaryDirectory() as out:
        runtime = OnnxModel(export(model, out, formats=("onnx",), check=False))
        print(f"\n| decoding, {len(sources)} test sentences | Keras ms | ORT ms | Keras / ORT |")
        print("|---|---:|---:|---:|")
        for width in (1, 5):
            for batched in (False, True):
                times = [_timed(f, sources, width, batched) for f in (model, runtime)]
                how = "greedy" if width == 1 else f"beam {width}"
                what = "one batch" if batched else "one sentence per call"
                print(
                    f"| {how}, {what} | {times[0]:.2f} | {times[1]:.2f} | "
                    f"{times[0] / times[1]:.2f}x |"
                )


def _timed(model, sources, width, batched):
    model.translate(sources[:2], beam_width=width)  # compile / warm up
    if batched:
        model.translate(sources, beam_width=width)
    start = time.perf_counter()
    if batched:
        model.translate(sources, beam_width=width)
    else:
        for source in sources:
            model.translate([source], beam_width=width)
    return (time.perf_counter() - start) * 1e3 / len(sources)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    baseline = "runs/translate-spa-eng-no-attention/model"
    parser.add_argument("--baseline", default=baseline, help="the no-attention package")
    parser.add_argument("--plot", help="write BLEU by source length (PNG)")
    parser.add_argument("--sentences", type=int, default=200, help="for the speed table")
    parser.add_argument(
        "--tables",
        choices=("all", "quality", "speed"),
        default="all",
        help="quality needs the baseline; speed does not",
    )
    args = parser.parse_args(argv)
    pairs = seq2seq.load_pairs(load_recipe(NAME)["data"])["test"]
    model = zoo.load(NAME)
    if args.tables != "speed":
        models = {"attention": model, "no attention": zoo.load_path(args.baseline)}
        print(
            f"test split: {len(translation.references(pairs)[0])} Spanish sentences, "
            f"{len(pairs)} references\n"
        )
        quality(models, pairs)
        by_length(models, pairs, args.plot)
    if args.tables != "quality":
        speed(model, translation.references(pairs)[0][: args.sentences])


if __name__ == "__main__":
    main()
