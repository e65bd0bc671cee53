"""The checks of a model whose outputs are calendar dates (the date
normaliser): a translator whose config holds `output_check` = {"kind":
"date", "first": ISO date, "last": ISO date}.

A translator answers every input with something shaped like its training
targets, so without these checks "June 31, 2021" became 2021-06-31 and
"Lorem ipsum" a five-digit year, silently. Every path gives no answer
(None; "" with `valid` false in the SavedModel) where:
- the input holds a year outside [first, last]: a run of exactly four
  digits 0-9 (no digit before or after it) read as a number;
- or the output is not a real calendar date YYYY-MM-DD from first to last.
A flag rather than an error, so one bad row of a batch costs that row.

Implemented here for Keras and `serving.OnnxModel`, in the SavedModel graph
(exports.graphs.dates) and in JavaScript (serving/examples/shared/
zoo-core.mjs), from the same rule in zoo.json's `output_check`.
"""

import datetime as dt
import re

DIGIT_RUNS = re.compile(r"[0-9]+")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DateCheck:
    """The `output_check` {"kind": "date", "first": ..., "last": ...}."""

    def __init__(self, spec):
        if spec.get("kind") != "date":
            raise ValueError(f"unknown output check {spec!r}; the one known is kind 'date'")
        self.first = dt.date.fromisoformat(spec["first"])
        self.last = dt.date.fromisoformat(spec["last"])
        if self.first > self.last:
            raise ValueError(f"output check: first {self.first} is after last {self.last}")

    @property
    def span(self):
        return f"from {self.first} to {self.last}"

    def answer(self, text, output):
        """`output` if it is a date in the span and `text` holds no year
        outside it, else None."""
        return output if self.reads(text) and self.is_date(output) else None

    def reads(self, text):
        """False if `text` holds a year (a run of exactly 4 digits) outside the span."""
        years = (int(run) for run in DIGIT_RUNS.findall(text) if len(run) == 4)
        return all(self.first.year <= year <= self.last.year for year in years)

    def is_date(self, text):
        if not ISO_DATE.fullmatch(text):
            return False
        try:
            date = dt.date.fromisoformat(text)
        except ValueError:  # month 13, June 31, February 29 of a common year
            return False
        return self.first <= date <= self.last


def output_check(spec):
    """The check a config's or zoo.json's `output_check` names (None: none)."""
    return DateCheck(spec) if spec else None
