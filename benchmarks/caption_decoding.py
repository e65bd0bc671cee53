"""The captioner's decoding settings: n-gram repetition blocking
(no_repeat_ngram_size) and Wu et al.'s length penalty, chosen on the 1,000
Flickr8k validation ("dev") images, then BLEU-4 / CIDEr-D with and without
on the 1,000 test images and the 159 COCO-MINI images, and how many
captions repeat a word pair.

    python -m benchmarks.caption_decoding [--features runs/caption-decoding.npz]

Region features are computed once for those 2,159 images and kept in the
--features file (outside git), so a second run only decodes.
"""

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import features  # noqa: E402
from training.data.text_data import data_dir  # noqa: E402
from training.metrics import caption_metrics  # noqa: E402
from training.tasks import caption  # noqa: E402

NAME = "caption-flickr8k"
BLOCKING = (0, 2, 3)
PENALTIES = (0.0, 0.5, 1.0)


def sets(model, cache):
    """{set: (features (N, 196, 512) float32, reference lists)}."""
    root = data_dir() / load_recipe(NAME)["data"]["dataset"]
    captions = caption.read_captions(root / "captions.csv.gz")
    coco = caption.read_captions(data_dir() / "coco_mini" / "captions.csv.gz")
    names = {
        "validation": [root / "images" / n for n in features.split_names(root, "dev")],
        "Flickr8k test": [root / "images" / n for n in features.split_names(root, "test")],
        "COCO-MINI": [data_dir() / "coco_mini" / "images" / n for n in coco],
    }
    refs = {
        "validation": [captions[p.name] for p in names["validation"]],
        "Flickr8k test": [captions[p.name] for p in names["Flickr8k test"]],
        "COCO-MINI": list(coco.values()),
    }
    if not Path(cache).is_file():
        encoder = model.image_encoder()
        found = {k: features.compute(encoder, [str(p) for p in v]) for k, v in names.items()}
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, **found)
    stored = np.load(cache)
    return {k: (stored[k].astype("float32"), refs[k]) for k in names}


def repeating(captions):
    """Share of captions holding some word pair twice."""

    def repeats(text):
        words = text.split()
        pairs = list(zip(words, words[1:], strict=False))
        return len(pairs) != len(set(pairs))

    return sum(map(repeats, captions)) / len(captions)


def row(model, table, refs, width, blocking, penalty):
    found = model.caption_features(
        table, width, penalty, no_repeat_ngram_size=blocking, batch_size=256
    )
    s = caption_metrics.scores(found, refs)
    return s["bleu4"], s["cider"], repeating(found)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", default="runs/caption-decoding.npz")
    args = parser.parse_args(argv)
    model = zoo.load(NAME)
    model.vgg_weights = model.vgg_weights or str(data_dir() / "vgg19_notop.weights.h5")
    found = sets(model, args.features)
    table, refs = found.pop("validation")
    print("Validation (1,000 Flickr8k dev images), beam 3 unless greedy\n")
    print("| decoding | no_repeat_ngram_size | length_penalty | BLEU-4 | CIDEr-D | repeating |")
    print("|---|---:|---:|---:|---:|---:|")
    best = {}
    for width in (1, 3):
        for blocking in BLOCKING:
            for penalty in PENALTIES if width > 1 else (0.0,):
                b4, cider, rep = row(model, table, refs, width, blocking, penalty)
                how = "greedy" if width == 1 else f"beam {width}"
                print(f"| {how} | {blocking} | {penalty} | {b4:.2f} | {cider:.2f} | {rep:.1%} |")
                if cider > best.get(width, (-1,))[0]:
                    best[width] = (cider, blocking, penalty)
    print("\nTest sets, the validation's best settings (by CIDEr-D) against none\n")
    print("| test set | decoding | settings | BLEU-4 | CIDEr-D | repeating |")
    print("|---|---|---|---:|---:|---:|")
    for name, (table, refs) in found.items():
        for width in (1, 3):
            _, blocking, penalty = best[width]
            how = "greedy" if width == 1 else f"beam {width}"
            for label, b, p in (
                ("none", 0, 0.0),
                (f"n={blocking}, lp={penalty}", blocking, penalty),
            ):
                b4, cider, rep = row(model, table, refs, width, b, p)
                print(f"| {name} | {how} | {label} | {b4:.2f} | {cider:.2f} | {rep:.1%} |")


if __name__ == "__main__":
    main()
