"""The date-pair generator: every format writes the date it was given (read
back by an independent parser), determinism, the unseen-format split,
distractors and the TSV loader."""

import datetime as dt
import re

import numpy as np
import pytest

from training.data import dates

NAMES = "january february march april may june july august september october november december"
MONTHS = {m: i for i, m in enumerate(NAMES.split(), 1)}


def read_back(text, fmt):
    """An independent reader: numbers and month names in the format's order."""
    text = text.lower().strip()
    words = re.findall(r"[a-z]+|\d+", text.replace("st ", " ").replace("nd ", " "))
    words = [w for w in words if w not in ("the", "of", "st", "nd", "rd", "th")]
    numbers = [int(w) for w in re.findall(r"\d+", re.sub(r"(\d)(st|nd|rd|th)", r"\1", text))]
    month = next(
        (MONTHS[k] for w in words for k in MONTHS if w and k.startswith(w) and len(w) >= 3), None
    )
    if fmt == "yyyymmdd":
        n = numbers[0]
        return dt.date(n // 10000, n // 100 % 100, n % 100)
    order = re.findall(
        r"yyyy|yy|mm|m(?=[/.])|dd|d(?![a-z])",
        fmt.replace("mon", "")
        .replace("month", "")
        .replace("weekday", "")
        .replace("wkd", "")
        .replace("th", ""),
    )
    values = dict(zip([o for o in order], numbers, strict=False))
    year = values.get("yyyy") or (values["yy"] + (2000 if values["yy"] < 50 else 1900))
    return dt.date(
        year, month or values.get("mm") or values.get("m"), values.get("dd") or values["d"]
    )


# Day numbers in words, listed here rather than derived, to read them back.
CARDINALS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
    "twentieth"
).split()
WORDS = {w: i for words in (CARDINALS, ORDINALS) for i, w in enumerate(words, 1)}
WORDS.update({"thirty": 30, "thirtieth": 30})


def words_to_digits(text):
    """'twenty-first of June' -> '21 of June'."""

    def number(match):
        tens, unit = match.group(1), match.group(2)
        return str(WORDS[tens.lower()] + (WORDS[unit.lower()] if unit else 0))

    names = "|".join(sorted(WORDS, key=len, reverse=True))
    return re.sub(rf"\b({names})(?:-({names}))?\b", number, text, flags=re.IGNORECASE)


TENS_WORDS = dict(
    zip(
        "twenty thirty forty fifty sixty seventy eighty ninety".split(),
        range(20, 100, 10),
        strict=True,
    )
)


def year_to_digits(text):
    """'... twenty twenty-one' / 'two thousand and five' at the end of a
    text -> '... 2021' / '2005': the year words' reader."""

    def number(word):
        head, _, unit = word.partition("-")
        if head in TENS_WORDS:
            return TENS_WORDS[head] + (CARDINALS.index(unit) + 1 if unit else 0)
        return CARDINALS.index(head) + 1 if head in CARDINALS[:19] else TEENS.index(head) + 10

    def year(match):
        head, rest = match.group(1), match.group(2)
        base = 1900 if head == "nineteen" else 2000
        return str(base + (number(rest) if rest else 0))

    heads = r"nineteen|twenty|two +thousand(?: +and)?"
    return re.sub(rf"\b({heads})(?: +([a-z]+(?:-[a-z]+)?))? *$", year, text.lower().rstrip())


TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()


def test_years_in_words_read_back_in_every_style():
    for year in range(1950, 2050):
        spellings = {dates.year_words(year, style) for style in range(dates.YEAR_STYLES)}
        assert all(year_to_digits(f"june 1 {text}") == f"june 1 {year}" for text in spellings)
        assert len(spellings) == (1 if year < 2001 else 2 if year < 2010 else 3)
    with pytest.raises(ValueError, match="1950-2049"):
        dates.year_words(1492)


@pytest.mark.parametrize("fmt", list(dates.FORMATS))
def test_every_format_writes_its_date(fmt):
    rng = np.random.default_rng(0)
    for _ in range(200):
        d = dates.random_date(rng)
        if fmt in dates.DAY_FIRST_SLASH and d.day <= 12:
            with pytest.raises(ValueError, match="only for days over 12"):
                dates.write(d, fmt, rng)
            d = d.replace(day=13 + d.day)
        text, fmt_read = dates.write(d, fmt, rng), fmt
        if "year-words" in fmt:
            text, fmt_read = year_to_digits(text), fmt.replace("year-words", "yyyy")
        if "word" in fmt_read:
            text = words_to_digits(text)
            fmt_read = fmt_read.replace("th-word", "").replace("-word", "")
        assert read_back(text, fmt_read) == d, (fmt, d, text)


def test_slash_dates_are_day_first_exactly_when_the_first_number_is_over_12():
    for text, iso in dates.pairs(3000, seed=9):
        match = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d+)\s*", text)
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            day_first = first > 12
            assert iso[-2:] == f"{first if day_first else second:02d}", (text, iso)


def test_at_least_twenty_training_formats_and_a_disjoint_unseen_set():
    assert len(dates.SEEN) >= 20
    assert set(dates.UNSEEN) <= set(dates.FORMATS) and not set(dates.UNSEEN) & set(dates.SEEN)


def test_pairs_are_deterministic_and_iso():
    a = dates.pairs(300, seed=5)
    assert a == dates.pairs(300, seed=5) and a != dates.pairs(300, seed=6)
    for _, iso in a:
        assert dt.date.fromisoformat(iso).isoformat() == iso
    years = [int(iso[:4]) for _, iso in a]
    assert min(years) >= 1950 and max(years) <= 2049


def test_noise_changes_case_and_spacing_but_not_the_date():
    rng = np.random.default_rng(1)
    texts = [dates.write(dt.date(2015, 3, 3), "month d, yyyy", rng) for _ in range(300)]
    assert {"March 3, 2015", "MARCH 3, 2015", "march 3, 2015"} <= set(texts)
    assert any("  " in t for t in texts)
    assert all(read_back(t, "month d, yyyy") == dt.date(2015, 3, 3) for t in texts)


def test_distractors_surround_the_date():
    pairs = dates.pairs(50, 2, dates.DIGIT_YEARS, distractor=(40, 50), distract_share=1.0)
    for text, iso in pairs:
        assert len(text) >= 80 + 6
        assert iso[2:4] in text  # the year is still there
        digits = [w for w in text.split() if re.search(r"\d", w)]
        words = text.split()
        span = [i for i, w in enumerate(words) if w in digits]
        assert span and span[-1] - span[0] <= 4  # digits sit together: the date


def test_read_tsv(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("olá\thello\n\nadeus\tgoodbye\n", encoding="utf-8")
    assert dates.read_tsv(path) == [("olá", "hello"), ("adeus", "goodbye")]
    path.write_text("only one field\n")
    with pytest.raises(ValueError, match="pairs.tsv:1"):
        dates.read_tsv(path)
