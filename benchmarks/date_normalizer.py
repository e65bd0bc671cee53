"""Attention vs a fixed context vector on the shipped date normalisers:
exact match on freshly generated sets (seeds training never used), greedy
decoding, and decoding speed.

    python -m benchmarks.date_normalizer [--pairs 2000]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from training.data import dates  # noqa: E402
from training.tasks.seq2seq import exact_match as exact  # noqa: E402

MODELS = ("date-normalizer", "date-normalizer-no-attention")
SEED = 4242


def test_sets(n):
    return {
        "training spellings": dates.pairs(n, SEED),
        "unseen spellings": dates.pairs(n, SEED + 1, formats=dates.UNSEEN),
        "new spellings (day-first slashes, days in words)": dates.pairs(
            n, SEED + 5, formats=dates.ADDED
        ),
        "years in words": dates.pairs(n, SEED + 6, formats=dates.YEAR_WORDS),
        **{
            # Years in digits: a year in words and 200 characters of filler
            # would pass the 256-character input cap.
            f"inside filler, {lo}-{hi} chars each side": dates.pairs(
                n, SEED + 2 + i, dates.DIGIT_YEARS, distractor=(lo, hi), distract_share=1.0
            )
            for i, (lo, hi) in enumerate([(40, 50), (70, 80), (90, 100)])
        },
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args(argv)
    models = {name: zoo.load(name) for name in MODELS}
    sets = test_sets(args.pairs)
    print(f"exact match, {args.pairs} pairs per set, greedy\n")
    print("| test set | " + " | ".join(f"`{n}`" for n in MODELS) + " |")
    print("|---|" + "---:|" * len(MODELS))
    for label, pairs in sets.items():
        cells = " | ".join(f"{exact(m, pairs):.2%}" for m in models.values())
        print(f"| {label} | {cells} |")
    print("\n| decoding (2,000 training-spelling dates, batches of 256) | ms per date |")
    print("|---|---:|")
    pairs = sets["training spellings"]
    for width in (1, 4):
        model = models["date-normalizer"]
        exact(model, pairs[:256], width)  # trace
        start = time.perf_counter()
        exact(model, pairs, width)
        ms = (time.perf_counter() - start) * 1e3 / len(pairs)
        print(f"| `date-normalizer`, {'greedy' if width == 1 else f'beam {width}'} | {ms:.2f} |")


if __name__ == "__main__":
    main()
