"""The shipped date normaliser: the issue's example, exact match on freshly
generated dates (seeds the training never used), unseen spellings, long
filler text against the no-attention baseline, the CLI heatmap."""

import functools

import pytest

import zoo
from training.data import dates

pytestmark = pytest.mark.artifact

FRESH_SEED = 20261121  # training used seeds 0..4
IN_DISTRIBUTION_BAR = 0.995


@functools.cache
def model(name="date-normalizer"):
    return zoo.load(name)


@functools.cache
def fresh_sets():
    return {
        "test": dates.pairs(2000, FRESH_SEED),
        "unseen": dates.pairs(1000, FRESH_SEED + 1, formats=dates.UNSEEN),
        "distractor": dates.pairs(1000, FRESH_SEED + 2, distractor=(40, 50), distract_share=1.0),
    }


@functools.cache
def accuracy(name, split, beam_width=1):
    pairs = fresh_sets()[split]
    out = model(name).translate([s for s, _ in pairs], beam_width=beam_width)
    return sum(o == t for o, (_, t) in zip(out, pairs, strict=True)) / len(pairs)


def test_the_issues_example():
    assert model().translate(["Tuesday, March 3rd 2015"]) == ["2015-03-03"]
    assert model().translate(["Tuesday, March 3rd 2015"], beam_width=4) == ["2015-03-03"]


PEOPLES_SPELLINGS = {  # tried by a new user; each was wrong before the retraining
    "31/12/1999": "1999-12-31",
    "March third, 2015": "2015-03-03",
    "first of January 2000": "2000-01-01",
    "5/6/2001": "2001-05-06",  # a slash date with both numbers <= 12 stays month first
    "the twenty-first of June, 1990": "1990-06-21",
}


@pytest.mark.parametrize("beam_width", [1, 4])
def test_spellings_people_actually_write(beam_width):
    texts = list(PEOPLES_SPELLINGS)
    assert model().translate(texts, beam_width=beam_width) == list(PEOPLES_SPELLINGS.values())


# Tried by a new user (issue 35): each was a silent wrong answer before.
EVERYDAY = {
    "June 31, 2021": None,  # no such day: no answer, not 2021-06-31
    "october twelfth 1492": None,  # outside the years it reads, not 1992-10-12
    "JANUARY FIRST TWO THOUSAND": "2000-01-01",  # years in words are trained now
    "New Year's Day 2010": None,  # holidays are not trained: no answer, not 2010-05-30
    "February 29, 2001": None,
    "February 29, 2000": "2000-02-29",
}


def test_everyday_inputs_get_a_real_date_or_none():
    texts = list(EVERYDAY)
    assert model().translate(texts) == list(EVERYDAY.values())


def test_years_in_words_on_fresh_dates():
    pairs = dates.pairs(300, FRESH_SEED + 4, formats=dates.YEAR_WORDS)
    out = model().translate([s for s, _ in pairs])
    assert sum(o == t for o, (_, t) in zip(out, pairs, strict=True)) / len(pairs) >= 0.99


def test_exact_match_on_fresh_dates_in_the_new_spellings():
    pairs = dates.pairs(1000, FRESH_SEED + 3, formats=dates.ADDED)
    out = model().translate([s for s, _ in pairs])
    assert sum(o == t for o, (_, t) in zip(out, pairs, strict=True)) / len(pairs) >= 0.995


@pytest.mark.parametrize("beam_width", [1, 4])
def test_exact_match_on_fresh_dates(beam_width):
    assert accuracy("date-normalizer", "test", beam_width) >= IN_DISTRIBUTION_BAR


def test_card_figures_hold_on_fresh_sets():
    metrics = model().card["metrics"]
    assert metrics["test_exact_match"] >= IN_DISTRIBUTION_BAR
    assert abs(accuracy("date-normalizer", "unseen") - metrics["test_unseen_exact_match"]) <= 0.03
    assert (
        abs(accuracy("date-normalizer", "distractor") - metrics["test_distractor_exact_match"])
        <= 0.03
    )


def test_attention_beats_the_fixed_context_vector():
    """docs/seq2seq.md's comparison: attention generalises better to unseen
    spellings and is at least as good inside long filler text."""
    baseline = "date-normalizer-no-attention"
    assert accuracy("date-normalizer", "unseen") >= accuracy(baseline, "unseen") + 0.04
    assert accuracy("date-normalizer", "distractor") >= accuracy(baseline, "distractor")
    assert accuracy(baseline, "test") >= 0.99  # the baseline is a fair one: it did learn


def test_translate_cli_prints_and_plots(tmp_path, capsys):
    from zoo import cli

    png = tmp_path / "attention.png"
    args = ["translate", "date-normalizer", "3rd of March 2015", "12/25/1999", "--beam-width", "3"]
    assert cli.main([*args, "--plot", str(png)]) == 0
    assert capsys.readouterr().out.split() == ["2015-03-03", "1999-12-25"]
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert cli.main(["translate", "char-lstm-shakespeare", "x"]) == 2
    assert "not a seq2seq model" in capsys.readouterr().err
