"""Synthetic date-normalisation pairs: the ways people write a date, and
its ISO form YYYY-MM-DD. Deterministic from a seed.

Formats are named; `UNSEEN` are held out of training and recombine parts the
training formats do teach (a short month after the day, a weekday before a
day-first date, ...), so accuracy on them measures generalisation. Two-digit
years read as 1950-2049; a slash date is month first (US) unless its first
number is over 12, which can only be a day. `distract` hides a date inside
filler words, for the long-input comparison of attention and a fixed
context vector.
"""

import datetime as dt

import numpy as np

MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
WEEKDAYS = [dt.date(2001, 1, d).strftime("%A") for d in range(1, 8)]  # Monday first
FIRST, LAST = dt.date(1950, 1, 1), dt.date(2049, 12, 31)
# What a model trained on these dates may answer (zoo_runtime.dates).
OUTPUT_CHECK = {"kind": "date", "first": FIRST.isoformat(), "last": LAST.isoformat()}


UNITS = "one two three four five six seven eight nine".split()
TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = dict(
    zip(range(2, 10), "twenty thirty forty fifty sixty seventy eighty ninety".split(), strict=True)
)
IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def number_word(n):
    """1..99 in words: 3 -> 'three', 21 -> 'twenty-one'."""
    if n < 10:
        return UNITS[n - 1]
    if n < 20:
        return TEENS[n - 10]
    tens, unit = TENS[n // 10], n % 10
    return f"{tens}-{UNITS[unit - 1]}" if unit else tens


def ordinal_word(n):
    """1..39 as a spelled-out ordinal: 3 -> 'third', 21 -> 'twenty-first'."""
    *head, last = number_word(n).split("-")
    if last in IRREGULAR_ORDINALS:
        last = IRREGULAR_ORDINALS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return "-".join([*head, last])


YEAR_STYLES = 3  # ways write() spells a year in words, drawn per date


def year_words(year, style=0):
    """A year 1950-2049 in words. Style 0, in pairs: "nineteen ninety-nine",
    "twenty twelve" ("two thousand five" before 2010); style 1: "two
    thousand and twelve"; style 2: "two thousand twelve". Years before
    2000 have one spelling, 2000 is "two thousand"."""
    if not 1950 <= year <= 2049:
        raise ValueError(f"years in words are written for 1950-2049, not {year}")
    century, rest = divmod(year, 100)
    if century == 19:
        return f"nineteen {number_word(rest)}"
    if rest == 0:
        return "two thousand"
    if style == 0 and rest >= 10:
        return f"twenty {number_word(rest)}"
    joiner = " and " if style == 1 else " "
    return f"two thousand{joiner}{number_word(rest)}"


def ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _parts(d):
    m = MONTHS[d.month - 1]
    w = WEEKDAYS[d.weekday()]
    return {
        "month": m,
        "mon": m[:3],
        "day": d.day,
        "dd": f"{d.day:02d}",
        "nth": ordinal(d.day),
        "mm": f"{d.month:02d}",
        "m": d.month,
        "year": d.year,
        "yy": f"{d.year % 100:02d}",
        "weekday": w,
        "wkd": w[:3],
        "day_word": number_word(d.day),
        "nth_word": ordinal_word(d.day),
    }


FORMATS = {
    "month d, yyyy": "{month} {day}, {year}",
    "month dth, yyyy": "{month} {nth}, {year}",
    "d month yyyy": "{day} {month} {year}",
    "dth of month yyyy": "{nth} of {month} {year}",
    "the dth of month, yyyy": "the {nth} of {month}, {year}",
    "mon d, yyyy": "{mon} {day}, {year}",
    "mon. dth, 'yy": "{mon}. {nth}, '{yy}",
    "d-mon-yyyy": "{day}-{mon}-{year}",
    "weekday, month d, yyyy": "{weekday}, {month} {day}, {year}",
    "weekday, month dth yyyy": "{weekday}, {month} {nth} {year}",
    "wkd, d mon yyyy": "{wkd}, {day} {mon} {year}",
    "mm/dd/yyyy": "{mm}/{dd}/{year}",
    "m/d/yy": "{m}/{day}/{yy}",
    "m/d/yyyy": "{m}/{day}/{year}",
    "dd.mm.yyyy": "{dd}.{mm}.{year}",
    "dd-mm-yyyy": "{dd}-{mm}-{year}",
    "yyyy-mm-dd": "{year}-{mm}-{dd}",
    "yyyy/mm/dd": "{year}/{mm}/{dd}",
    "yyyymmdd": "{year}{mm}{dd}",
    "month d yyyy": "{month} {day} {year}",
    "d month 'yy": "{day} {month} '{yy}",
    # Day first with a slash: written only when the day is over 12, the case
    # where a slash date cannot be month first (31/12/1999).
    "dd/mm/yyyy": "{dd}/{mm}/{year}",
    "d/m/yyyy": "{day}/{m}/{year}",
    # Days in words: spelled-out ordinals and numbers.
    "month dth-word, yyyy": "{month} {nth_word}, {year}",
    "dth-word of month yyyy": "{nth_word} of {month} {year}",
    "the dth-word of month, yyyy": "the {nth_word} of {month}, {year}",
    "month d-word, yyyy": "{month} {day_word}, {year}",
    "d-word month yyyy": "{day_word} {month} {year}",
    # Years in words (year_words; "JANUARY FIRST TWO THOUSAND" read as 2013).
    "month dth, year-words": "{month} {nth}, {year_words}",
    "month dth-word year-words": "{month} {nth_word} {year_words}",
    "the dth-word of month, year-words": "the {nth_word} of {month}, {year_words}",
    "d month year-words": "{day} {month} {year_words}",
    # Held out of training (UNSEEN):
    "d mon yyyy": "{day} {mon} {year}",
    "weekday d month yyyy": "{weekday} {day} {month} {year}",
    "mon dth yyyy": "{mon} {nth} {year}",
    "d.m.yy": "{day}.{m}.{yy}",
}
UNSEEN = ("d mon yyyy", "weekday d month yyyy", "mon dth yyyy", "d.m.yy")
DAY_FIRST_SLASH = ("dd/mm/yyyy", "d/m/yyyy")  # only for days 13-31
# Added after a new user's tries (31/12/1999, "March third, 2015"): the
# README and the shipped-model tests report them on their own.
ADDED = (
    "dd/mm/yyyy",
    "d/m/yyyy",
    "m/d/yyyy",
    "month dth-word, yyyy",
    "dth-word of month yyyy",
    "the dth-word of month, yyyy",
    "month d-word, yyyy",
    "d-word month yyyy",
)
YEAR_WORDS = tuple(name for name in FORMATS if "year-words" in name)
SEEN = tuple(name for name in FORMATS if name not in UNSEEN)
DIGIT_YEARS = tuple(name for name in SEEN if name not in YEAR_WORDS)  # the shorter ones
FILLER = (
    "please note that the meeting with our team about the new project was moved to "
    "a later time because several people asked for more room in their calendars and "
    "the office will be closed for cleaning so bring your notes and questions along"
).split()


def random_date(rng):
    return FIRST + dt.timedelta(days=int(rng.integers((LAST - FIRST).days + 1)))


def write(d, fmt, rng, noise=True):
    """Date `d` in format `fmt`, with random capitalisation and stray spaces."""
    if fmt in DAY_FIRST_SLASH and d.day <= 12:
        raise ValueError(f"{fmt} is written only for days over 12 ({d} reads as month first)")
    parts = _parts(d)
    if fmt in YEAR_WORDS:  # drawn only here, so other formats' draws stay as they were
        parts["year_words"] = year_words(d.year, int(rng.integers(YEAR_STYLES)))
    text = FORMATS[fmt].format(**parts)
    if not noise:
        return text
    case = rng.random()
    text = text.upper() if case < 0.1 else text.lower() if case < 0.25 else text
    if rng.random() < 0.2:  # a doubled space, or spaces around the date
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        if spaces:
            i = spaces[rng.integers(len(spaces))]
            text = text[:i] + " " + text[i:]
        else:
            text = " " + text + " "
    return text


def distract(text, rng, low, high):
    """`text` between two runs of filler words, each low..high characters."""

    def filler():
        target, words = int(rng.integers(low, high + 1)), []
        while sum(len(w) + 1 for w in words) < target:
            words.append(FILLER[int(rng.integers(len(FILLER)))])
        return " ".join(words)

    return f"{filler()} {text} {filler()}" if high else text


def pairs(n, seed, formats=SEEN, distractor=(0, 0), distract_share=0.0):
    """n (source, target) pairs. A share of them (distract_share) is padded
    with filler of distractor=(low, high) characters each side."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        d = random_date(rng)
        fmt = formats[int(rng.integers(len(formats)))]
        while fmt in DAY_FIRST_SLASH and d.day <= 12:
            d = random_date(rng)
        text = write(d, fmt, rng)
        if distract_share and rng.random() < distract_share:
            text = distract(text, rng, *distractor)
        out.append((text, d.isoformat()))
    return out


def read_tsv(path):
    """(source, target) pairs from a tab-separated file, one pair a line."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            fields = line.split("\t")
            if len(fields) != 2 or not all(fields):
                raise ValueError(f"{path}:{number}: expected 'source<TAB>target', got {line!r}")
            rows.append((fields[0], fields[1]))
    return rows
