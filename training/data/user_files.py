"""A user's own data files, read with errors that name the file, the line
and the fix, before any training starts.

Tables: CSV, TSV or JSON Lines (optionally gzip-compressed, by suffix),
with a header row (CSV/TSV) or one object per line (JSONL); columns are
picked by name. Every text must be UTF-8 and non-empty."""

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np

FORMATS = (".csv", ".tsv", ".jsonl")


def table_format(path):
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in FORMATS:
        raise ValueError(f"{path}: a data table must end in {', '.join(FORMATS)} (or + .gz)")
    return suffixes[-1]


def read_text(path):
    """The file's text; a clear error if it is missing or not UTF-8."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        raw = gzip.decompress(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{path} is not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}); "
            "save it as UTF-8"
        ) from None


def read_table(path, columns):
    """{column: [str per row]} and [the file's line number per row]."""
    kind, text = table_format(path), read_text(path)
    rows, lines = _jsonl(path, text) if kind == ".jsonl" else _delimited(path, text, kind)
    if not rows:
        raise ValueError(f"{path} has no data rows")
    for column in columns:
        if column not in rows[0]:
            raise ValueError(
                f"{path} has no column {column!r}; its columns are {sorted(rows[0])} "
                "(pick them with --text-column / --label-column)"
            )
    pairs = list(zip(rows, lines, strict=True))
    return {c: [_cell(path, line, c, row.get(c)) for row, line in pairs] for c in columns}, lines


def _delimited(path, text, kind):
    reader = csv.DictReader(
        io.StringIO(text, newline=""), delimiter="\t" if kind == ".tsv" else ","
    )
    rows, lines = [], []
    for row in reader:
        rows.append(row)
        lines.append(reader.line_num)
    if reader.fieldnames is None:
        raise ValueError(f"{path} is empty: it needs a header row naming its columns")
    return rows, lines


def _jsonl(path, text):
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise ValueError(f"{path} line {number} is not JSON ({error})") from None
        if not isinstance(row, dict):
            raise ValueError(f"{path} line {number} is not a JSON object")
        rows.append(row)
        lines.append(number)
    return rows, lines


def _cell(path, line, column, value):
    if value is None:
        raise ValueError(f"{path} line {line} has no {column!r}")
    return str(value)


def check_texts(path, texts, lines, column):
    """Refuse an empty (or all-whitespace) text, naming its line."""
    for text, line in zip(texts, lines, strict=True):
        if not text.strip():
            raise ValueError(f"{path} line {line}: the {column!r} is empty")


def labelled_texts(paths, text_column, label_column, label_map=None):
    """(texts, label names) from one or more tables."""
    texts, labels = [], []
    for path in paths:
        table, lines = read_table(path, (text_column, label_column))
        check_texts(path, table[text_column], lines, text_column)
        texts += table[text_column]
        labels += [(label_map or {}).get(v.strip(), v.strip()) for v in table[label_column]]
    return texts, labels


def hold_out(count, share, seed):
    """A boolean mask of `share` of `count` rows, drawn with `seed`."""
    held = np.zeros(count, bool)
    held[np.random.default_rng(seed).permutation(count)[: max(1, int(count * share))]] = True
    return held


def parse_label_map(text):
    """'0=negative,1=positive' -> {'0': 'negative', '1': 'positive'}."""
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() or not p[1].strip() for p in pairs):
        raise ValueError(f"--label-map takes FILE_LABEL=MODEL_LABEL,..., got {text!r}")
    return {k.strip(): v.strip() for k, v in pairs}


def text_pairs(paths, source_column=0, target_column=1, aligned=False):
    """[(source, target)] from tab-separated files (the Anki/Tatoeba layout:
    columns picked by index, others ignored), or with `aligned` from two
    text files whose line i are a source and its target."""
    if aligned:
        if len(paths) != 2:
            raise ValueError(f"aligned data is two files (sources, targets), got {len(paths)}")
        sides = [_lines(path) for path in paths]
        if len(sides[0]) != len(sides[1]):
            raise ValueError(
                f"{paths[0]} has {len(sides[0])} lines but {paths[1]} has {len(sides[1])}: "
                "aligned files need one target line per source line"
            )
        for path, side in zip(paths, sides, strict=True):
            for line, number in side:
                if not line.strip():
                    raise ValueError(f"{path} line {number} is empty")
        return [(s.strip(), t.strip()) for (s, _), (t, _) in zip(*sides, strict=True)]
    pairs = []
    for path in paths:
        for line, number in _lines(path, keep_blank=False):
            fields = line.split("\t")
            if len(fields) <= max(source_column, target_column):
                raise ValueError(
                    f"{path} line {number} has {len(fields)} tab-separated columns; the "
                    f"source is column {source_column} and the target column {target_column} "
                    "(counting from 0): a TSV of source<TAB>target, or --aligned for two files"
                )
            pair = fields[source_column].strip(), fields[target_column].strip()
            if not all(pair):
                side = "source" if not pair[0] else "target"
                raise ValueError(f"{path} line {number}: the {side} is empty")
            pairs.append(pair)
    if not pairs:
        raise ValueError(f"{', '.join(map(str, paths))}: no pairs")
    return pairs


def _lines(path, keep_blank=True):
    """[(line, number)] of a UTF-8 text file."""
    numbered = [(line, n) for n, line in enumerate(read_text(path).splitlines(), 1)]
    return numbered if keep_blank else [(line, n) for line, n in numbered if line.strip()]


def image_files(paths):
    """Image files of `paths` (files, or folders whose image files are
    taken, sorted, hidden ones skipped), each decoded once first: one that
    does not read is an error naming it."""
    from PIL import Image

    from zoo.images import read_image

    suffixes = set(Image.registered_extensions())
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".")
            )
        else:
            found.append(path)
    for path in found:
        try:
            read_image(path)
        except (OSError, ValueError) as error:
            raise ValueError(str(error)) from None  # it names the file
    return found
