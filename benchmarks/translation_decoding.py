"""The Spanish-English translator's length penalty (Wu et al. 2016),
chosen on the validation split (2,000 distinct Spanish sentences), beam 5,
then the test split with the chosen penalty against none. BLEU and chrF
(sacrebleu), and the mean output length against the references'.

    python -m benchmarks.translation_decoding [--sentences 2000]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import translation  # noqa: E402
from training.tasks import seq2seq  # noqa: E402

NAME = "translate-spa-eng"
PENALTIES = (0.0, 0.5, 1.0, 1.5)
BEAM = 5


def row(model, sources, refs, penalty):
    found = translation.translations(model, sources, BEAM, penalty)
    scores = translation.scores(found, refs)
    ratio = np.mean([len(f.split()) for f in found]) / np.mean([len(r[0].split()) for r in refs])
    return scores["bleu"], scores["chrf"], ratio


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=2000)
    args = parser.parse_args(argv)
    model = zoo.load(NAME)
    splits = seq2seq.load_pairs(load_recipe(NAME)["data"])
    sources, refs = translation.references(splits["validation"])
    sources, refs = sources[: args.sentences], refs[: args.sentences]
    print(f"{NAME}, beam {BEAM}, validation ({len(sources):,} distinct sources)\n")
    print("| length_penalty | BLEU | chrF | output / reference words |")
    print("|---:|---:|---:|---:|")
    best = (-1.0, 0.0)
    for penalty in PENALTIES:
        bleu, chrf, ratio = row(model, sources, refs, penalty)
        print(f"| {penalty} | {bleu:.2f} | {chrf:.2f} | {ratio:.3f} |", flush=True)
        best = max(best, (bleu, penalty))
    sources, refs = translation.references(splits["test"])
    print(
        f"\nTest ({len(sources):,} distinct sources): the validation's best penalty against none\n"
    )
    print("| length_penalty | BLEU | chrF | output / reference words |")
    print("|---:|---:|---:|---:|")
    for penalty in sorted({0.0, best[1]}):
        bleu, chrf, ratio = row(model, sources, refs, penalty)
        print(f"| {penalty} | {bleu:.2f} | {chrf:.2f} | {ratio:.3f} |", flush=True)


if __name__ == "__main__":
    main()
