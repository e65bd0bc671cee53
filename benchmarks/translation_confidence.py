"""What the translator's per-token log-probability says: its distribution
on the held-out Spanish test sentences against inputs that are not Spanish
(the English side of those pairs, French sentences from the Anki fra-eng
file), greedy decoding, and how many of each fall below a threshold that
flags 5% of the Spanish test sentences.

    python -m benchmarks.translation_confidence [--sentences 500]
        [--plot docs/translate-confidence.png]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.core.paths import data_dir  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import translation  # noqa: E402
from training.tasks import seq2seq  # noqa: E402

NAME = "translate-spa-eng"
FLAGGED = 0.05  # share of the Spanish test sentences the threshold flags


def inputs(count):
    """{label: sentences}: the Spanish test sources, their English
    references, and French sentences drawn with a fixed seed."""
    pairs = seq2seq.load_pairs(load_recipe(NAME)["data"], None)["test"]
    sources, refs = translation.references(pairs)
    french = translation.read_anki(data_dir(None) / "anki" / "fra-eng.txt.gz")
    french = list(dict.fromkeys(f for f, _ in french))
    order = np.random.default_rng(0).permutation(len(french))[:count]
    return {
        "Spanish (test)": sources[:count],
        "English (their references)": [r[0] for r in refs[:count]],
        "French (Anki fra-eng)": [french[i] for i in order],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=500)
    parser.add_argument("--plot", help="write a histogram PNG here")
    args = parser.parse_args()
    model = zoo.load(NAME)
    scores = {
        label: np.array(model.translate(texts, return_log_prob=True)[1])
        for label, texts in inputs(args.sentences).items()
    }
    threshold = float(np.quantile(scores["Spanish (test)"], FLAGGED))
    print(
        f"{NAME}, greedy, log-probability per output token (END included); "
        f"threshold {threshold:.2f} flags {FLAGGED:.0%} of the Spanish test sentences\n"
    )
    print("| input | sentences | 10th percentile | median | 90th percentile | below threshold |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, found in scores.items():
        low, mid, high = np.quantile(found, [0.1, 0.5, 0.9])
        below = float(np.mean(found < threshold))
        print(f"| {label} | {len(found)} | {low:.2f} | {mid:.2f} | {high:.2f} | {below:.1%} |")
    if args.plot:
        plot(scores, threshold, args.plot)


def plot(scores, threshold, path):
    import matplotlib.pyplot as plt

    from training.core.fit import save_figure

    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    bins = np.linspace(min(s.min() for s in scores.values()), 0.0, 40)
    for label, found in scores.items():
        ax.hist(found, bins=bins, histtype="step", linewidth=1.6, label=label)
    ax.axvline(threshold, color="black", linestyle=":", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("log-probability per output token")
    ax.set_ylabel("sentences")
    ax.legend(fontsize=8)
    save_figure(fig, path)


if __name__ == "__main__":
    main()
