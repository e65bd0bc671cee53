"""What a few hundred rows of a user's own data buy (docs/own-data.md):
each task trained through `zoo train TASK --data FILE` on a small file
cut from ../shared/data, fine-tuned from a shipped model and from scratch,
against the shipped model as it is, on the same held-out rows.

    python -m benchmarks.own_data [--only TASK] [--rows 500]

sentiment: SST-2's first ROWS training sentences; scored on SST-2's dev
split (872). The start: sentiment-imdb (movie reviews, never SST-2).
dates: German dates ("3. März 2015", a format date-normalizer never saw),
generated with a seed; scored on 300 others.
caption: COCO-MINI's first 120 photos (600 captions), scored on its other
39; the start: caption-flickr8k (Flickr8k photos, never COCO).
char-lm: ROWS Rotten Tomatoes review sentences as one text, scored on 300
others; the start: char-gru-shakespeare.
style (only with --only style: about 15 minutes on 2 cores): The Scream
and BSDS500's 100 validation photos, one epoch (100 steps), fine-tuned
from the fast-style-wave specimen (training/specimens) and from scratch;
scored on the 10 photos held out.
"""

import argparse
import contextlib
import csv
import datetime
import gzip
import json
import math
import random
import sys
import tempfile
from pathlib import Path

import zoo
from training import specimens
from training.__main__ import main as train
from training.core.paths import vgg_weights_in
from training.data.text_data import data_dir
from training.metrics import caption_metrics, style_quality
from zoo.images import read_image

MONATE = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def sst2_rows(split, count=None):
    with gzip.open(data_dir() / "sst2" / f"{split}.csv.gz", "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows[:count] if count else rows


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows({"text": r["text"], "label": r["label"]} for r in rows)
    return path


def german_dates(count, seed):
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        day = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 80))
        month = MONATE[day.month - 1]
        text = rng.choice(
            [
                f"{day.day}. {month} {day.year}",
                f"am {day.day}. {month} {day.year}",
                f"{day.day}. {month[:3]}. {day.year}",
            ]
        )
        lines.append(f"{text}\t{day.isoformat()}")
    return lines


def trained(folder, name, argv):
    out = Path(folder) / name
    with contextlib.redirect_stdout(sys.stderr):  # its summary line: not part of the table
        assert train([*argv, "--quiet", "--out", str(out), "--run-dir", str(out) + "-run"]) == 0
    return json.loads((out / "card.json").read_text()), zoo.load_path(out)


def sentiment(folder, rows):
    data = write_csv(Path(folder) / f"sst2-{rows}.csv", sst2_rows("train", rows))
    dev = write_csv(Path(folder) / "sst2-dev.csv", sst2_rows("dev"))
    common = ["sentiment", "--data", str(data), "--validation", str(dev), "--epochs", "3"]
    mapped = ["--label-map", "0=negative,1=positive"]
    tuned, _ = trained(folder, "tuned", [*common, *mapped, "--from", "sentiment-imdb"])
    scratch, _ = trained(folder, "scratch", [*common, *mapped])
    shipped = zoo.load("sentiment-imdb")
    texts = [r["text"] for r in sst2_rows("dev")]
    labels = ["positive" if r["label"] == "1" else "negative" for r in sst2_rows("dev")]
    as_is = sum(a == b for a, b in zip(shipped.classify(texts), labels, strict=True)) / len(texts)
    print(f"\nSST-2 dev accuracy (872 sentences), {rows} training sentences, 3 epochs:\n")
    print("| model | accuracy |\n|---|---:|")
    print(f"| sentiment-imdb as shipped | {as_is:.2%} |")
    print(f"| sentiment-imdb fine-tuned | {tuned['metrics']['validation_accuracy']:.2%} |")
    print(f"| from scratch | {scratch['metrics']['validation_accuracy']:.2%} |")


def dates(folder, rows):
    train_file, test_file = Path(folder) / "de.tsv", Path(folder) / "de-test.tsv"
    train_file.write_text("\n".join(german_dates(rows, 0)) + "\n", encoding="utf-8")
    test_file.write_text("\n".join(german_dates(300, 1)) + "\n", encoding="utf-8")
    common = ["seq2seq", "--data", str(train_file), "--test", str(test_file), "--epochs", "3"]
    tuned, _ = trained(folder, "de-tuned", [*common, "--from", "date-normalizer"])
    scratch, _ = trained(folder, "de-scratch", common)
    shipped = zoo.load("date-normalizer")
    pairs = [line.split("\t") for line in german_dates(300, 1)]
    outputs = shipped.translate([s for s, _ in pairs])
    as_is = sum(o == t for o, (_, t) in zip(outputs, pairs, strict=True)) / len(pairs)
    print(f"\nGerman dates, exact match on 300 held-out, {rows} training pairs, 3 epochs:\n")
    print("| model | exact match |\n|---|---:|")
    print(f"| date-normalizer as shipped | {as_is:.2%} |")
    print(f"| date-normalizer fine-tuned | {tuned['metrics']['test_exact_match']:.2%} |")
    print(f"| from scratch | {scratch['metrics']['test_exact_match']:.2%} |")


def caption(folder, rows, train_images=120):
    """COCO-MINI: the first `train_images` photos train, the rest score."""
    root = data_dir() / "coco_mini"
    with gzip.open(root / "captions.csv.gz", "rt", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    names = sorted({r["image"] for r in table})
    held = set(names[train_images:])
    for part, keep in (("train", False), ("test", True)):
        with open(Path(folder) / f"coco-{part}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["image", "caption"])
            writer.writeheader()
            writer.writerows(r for r in table if (r["image"] in held) == keep)
    common = ["caption", "--data", str(root / "images"), str(Path(folder) / "coco-train.csv")]
    common += ["--test", str(Path(folder) / "coco-test.csv"), "--epochs", "3"]
    common += ["--vgg-weights", str(data_dir() / "vgg19_notop.weights.h5")]
    tuned, _ = trained(folder, "coco-tuned", [*common, "--from", "caption-flickr8k"])
    scratch, _ = trained(folder, "coco-scratch", common)
    shipped = zoo.load("caption-flickr8k")
    shipped.vgg_weights = vgg_weights_in(data_dir(), "vgg19_notop.weights.h5")
    tests = sorted(held)
    said = shipped.caption([read_image(root / "images" / n) for n in tests], beam_width=1)
    refs = [[r["caption"] for r in table if r["image"] == n] for n in tests]
    as_is = caption_metrics.scores(said, refs)
    splits = tuned["dataset"]["splits"]
    captions = tuned["dataset"]["captions_trained"]
    print(f"\nCOCO-MINI, {len(tests)} held-out photos; trained on {splits['train']} photos")
    print(f"({captions} captions), {splits['validation']} for validation, 3 epochs; greedy:\n")
    print("| model | BLEU-4 | CIDEr-D |\n|---|---:|---:|")
    print(f"| caption-flickr8k as shipped | {as_is['bleu4']:.2f} | {as_is['cider']:.2f} |")
    for label, card in (("caption-flickr8k fine-tuned", tuned), ("from scratch", scratch)):
        m = card["metrics"]
        print(f"| {label} | {m['test_bleu4']:.2f} | {m['test_cider']:.2f} |")


def char_lm(folder, rows):
    """Rotten Tomatoes sentences, one per line: `rows` train, 300 score."""
    with gzip.open(data_dir() / "rt_polarity" / "sentences.csv.gz", "rt", encoding="utf-8") as f:
        sentences = [r["text"] for r in csv.DictReader(f)]
    random.Random(0).shuffle(sentences)
    train_file, test_file = Path(folder) / "reviews.txt", Path(folder) / "reviews-test.txt"
    train_file.write_text("\n".join(sentences[:rows]) + "\n", encoding="utf-8")
    test_text = "\n".join(sentences[rows : rows + 300]) + "\n"
    test_file.write_text(test_text, encoding="utf-8")
    common = ["char-lm", "--data", str(train_file), "--test", str(test_file), "--epochs", "3"]
    tuned, _ = trained(folder, "lm-tuned", [*common, "--from", "char-gru-shakespeare"])
    scratch, _ = trained(folder, "lm-scratch", common)
    as_is = zoo.load("char-gru-shakespeare").nats_per_char(test_text) / math.log(2)
    print(f"\nRotten Tomatoes sentences, bits per character on 300 held-out, {rows} training")
    print("sentences, 3 epochs:\n")
    print("| model | bits/char |\n|---|---:|")
    print(f"| char-gru-shakespeare as shipped | {as_is:.3f} |")
    print(f"| char-gru-shakespeare fine-tuned | {tuned['metrics']['test']['bits_per_char']:.3f} |")
    print(f"| from scratch | {scratch['metrics']['test']['bits_per_char']:.3f} |")


def style(folder, rows):
    """The Scream from BSDS500's validation photos; `rows` is not used."""
    painting, photos = data_dir() / "styles" / "the_scream.jpg", data_dir() / "bsds500" / "val"
    common = ["fast-style", "--data", str(painting), str(photos), "--epochs", "1"]
    common += ["--vgg-weights", str(data_dir() / "vgg19_notop.weights.h5")]
    wave = specimens.path("fast-style-wave")
    tuned, _ = trained(folder, "scream-tuned", [*common, "--from", str(wave)])
    scratch, _ = trained(folder, "scream-scratch", common)
    held = tuned["dataset"]["splits"]["validation"]
    held_photos = [photos / name for name in tuned["metrics"]["per_photo"]]
    weights = vgg_weights_in(data_dir(), "vgg19_notop.weights.h5")
    _, as_is = style_quality.evaluate(
        zoo.load_path(wave).stylize, read_image(painting), held_photos, weights
    )
    print(f"\nThe Scream on {held} held-out BSDS500 photos, one epoch of 100 steps.")
    print("Style distance: the share of the photo's own distance to the painting's style")
    print("left (lower is more Scream); content distance: how far the photo's VGG19")
    print("features moved, over their size (the specimen's card: 0.82); blob: the largest")
    print("patch of colour in neither photo nor painting")
    print("(training.metrics.style_quality):\n")
    print("| model | style distance | worst | content distance | largest blob |")
    print("|---|---:|---:|---:|---:|")
    results = {
        "fast-style-wave as trained": as_is,
        "fast-style-wave fine-tuned": tuned["metrics"]["held_out"],
        "from scratch": scratch["metrics"]["held_out"],
    }
    for label, m in results.items():
        print(
            f"| {label} | {m['mean_style']:.1%} | {m['max_style']:.1%} "
            f"| {m['mean_content']:.2f} | {m['max_blob']:.1%} |"
        )


TASKS = {"sentiment": sentiment, "dates": dates, "caption": caption, "char-lm": char_lm}
SLOW = {"style": style}  # run with --only


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted({**TASKS, **SLOW}))
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args(argv)
    chosen = {args.only: {**TASKS, **SLOW}[args.only]} if args.only else TASKS
    with tempfile.TemporaryDirectory() as folder:
        for run in chosen.values():
            run(folder, args.rows)


if __name__ == "__main__":
    main()
