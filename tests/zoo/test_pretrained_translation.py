"""The shipped Spanish-English translator: its card's BLEU recomputed on
the held-out test sentences, the raw beam never below greedy, the issue's
example, the size bound, and the alignment plot from the command line."""

import functools

import numpy as np
import pytest

import zoo
from training.core.recipe import load_recipe
from training.data import translation
from training.tasks import seq2seq

pytestmark = pytest.mark.artifact

NAME = "translate-spa-eng"


@functools.cache
def model():
    return zoo.load(NAME)


@functools.cache
def card():
    return next(c for c in zoo.list_models() if c["name"] == NAME)


@functools.cache
def held_out():
    return translation.references(seq2seq.load_pairs(load_recipe(NAME)["data"])["test"])


def test_card_bleu_is_recomputed_on_the_test_sentences():
    sources, refs = held_out()
    assert len(sources) == 2000 and card()["dataset"]["splits"]["test"] == sum(map(len, refs))
    got = translation.scores(translation.translations(model(), sources), refs)
    assert abs(got["bleu"] - card()["metrics"]["test_bleu"]) <= 0.5
    assert abs(got["chrf"] - card()["metrics"]["test_chrf"]) <= 0.5


def test_the_raw_beam_never_scores_below_greedy():
    sources, _ = held_out()
    ids = model().encode_texts(sources[:256])
    _, greedy, _ = model().decode(ids)
    _, beam, _ = model().decode(ids, beam_width=5)
    assert (beam >= greedy - 1e-4).all()
    assert (beam > greedy + 1e-3).any()  # the beam finds likelier translations
    metrics = card()["metrics"]
    assert metrics["test_bleu_beam5"] >= metrics["test_bleu"]


def test_the_issues_example_and_the_card():
    out = model().translate(["¿Dónde está la estación?"], beam_width=5)[0]
    assert "station" in out and out.endswith("?")
    c = card()
    assert c["dataset"]["terms"].startswith("CC BY 2.0") and "tatoeba.org" in c["dataset"]["terms"]
    assert c["metrics"]["test_bleu"] >= 35  # the issue's bar
    size = sum(f.stat().st_size for f in zoo.registry.PRETRAINED.joinpath(NAME).iterdir())
    assert size <= 20 * 2**20


def test_cli_draws_a_word_alignment(tmp_path, capsys):
    from zoo.cli import main

    picture = tmp_path / "align.png"
    assert main(["translate", NAME, "¿Dónde está la estación?", "--plot", str(picture)]) == 0
    assert "station" in capsys.readouterr().out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    words, outputs, weights = model().word_alignment("¿Dónde está la estación?")
    assert words == ["¿Dónde", "está", "la", "estación?"]
    assert weights.shape == (len(outputs) + 1, 4)  # + the END row
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)
