"""What a few hundred rows of a user's own data buy (docs/own-data.md):
each task trained through `zoo train TASK --data FILE` on a small file
cut from ../shared/data, fine-tuned from a shipped model and from scratch,
against the shipped model as it is, on the same held-out rows.

    python -m benchmarks.own_data [--only sentiment|dates] [--rows 500]

sentiment: SST-2's first ROWS training sentences; scored on SST-2's dev
split (872). The start: sentiment-imdb (movie reviews, never SST-2).
dates: German dates ("3. März 2015", a format date-normalizer never saw),
generated with a seed; scored on 300 others.
"""

import argparse
import contextlib
import csv
import datetime
import gzip
import json
import random
import sys
import tempfile
from pathlib import Path

import zoo
from training.__main__ import main as train
from training.data.text_data import data_dir

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


TASKS = {"sentiment": sentiment, "dates": dates}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(TASKS))
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        for name, run in TASKS.items():
            if args.only in (None, name):
                run(folder, args.rows)


if __name__ == "__main__":
    main()
