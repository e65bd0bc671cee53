"""The shipped sentiment models: each card's test figure recomputed on its
fixed check subset (the whole split: `python -m benchmarks.sentiment
cards`), the issue's bars, the cross-domain figure, negation
and contrast, the card's data set and terms, and the size budget."""

import functools
from pathlib import Path

import numpy as np
import pytest

import zoo
from training.core.recipe import load_recipe
from training.tasks import sentiment

pytestmark = pytest.mark.artifact

BARS = {"sentiment-imdb": 0.890, "sentiment-sst2": 0.840}
MAX_BYTES = 15 * 2**20


@functools.cache
def model(name):
    return zoo.load(name)


@functools.cache
def splits(name):
    return sentiment.load_splits(load_recipe(name)["data"])


@pytest.mark.parametrize("name", sorted(BARS))
def test_card_test_accuracy_is_recomputed_and_clears_the_bar(name):
    texts, labels = sentiment.check_subset(*splits(name)["test"])
    recomputed = sentiment.accuracy(model(name), texts, labels)
    card = model(name).card["metrics"]
    # Same texts, same model: only float rounding near P = 0.5 could move one.
    assert abs(recomputed - card["test_check_accuracy"]) <= 0.002
    assert card["test_accuracy"] >= BARS[name]


@pytest.mark.parametrize("name", sorted(BARS))
def test_cross_domain_accuracy_is_recorded_and_recomputed(name):
    card = model(name).card
    for split in ("cross_domain", "cross_domain_unseen"):
        texts, labels = splits(name)[split]
        recomputed = sentiment.accuracy(model(name), texts, labels)
        assert abs(recomputed - card["metrics"][f"{split}_accuracy"]) <= 0.005, split
        assert recomputed > 0.6  # well above chance on another source's sentences
    assert "Rotten Tomatoes" in card["dataset"]["cross_domain"]["name"]


@pytest.mark.parametrize("name", sorted(BARS))
def test_negation_and_contrast(name):
    phrases = ["good", "not good", "bad", "not bad"]
    p = dict(zip(phrases, model(name).predict_proba(phrases), strict=True))
    assert p["not good"] < p["good"]
    assert p["not bad"] > p["bad"]
    assert model(name).classify(["A wonderful, moving film.", "Dull and tedious."]) == [
        "positive",
        "negative",
    ]


@pytest.mark.parametrize("name", sorted(BARS))
def test_card_names_the_data_and_its_terms_and_the_package_is_small(name):
    card = model(name).card
    assert card["dataset"]["terms"] and card["dataset"]["name"]
    assert card["dataset"]["cross_domain"]["terms"].startswith("CC BY 4.0")
    assert card["training"]["seconds"] <= 3600
    package = Path(zoo.registry.PRETRAINED) / name
    assert sum(f.stat().st_size for f in package.iterdir()) <= MAX_BYTES


def test_explain_weights_sum_to_one_over_the_words():
    tokens, weights = model("sentiment-imdb").explain("An utterly dull, lifeless film. Avoid it.")
    assert tokens == ["an", "utterly", "dull", ",", "lifeless", "film", ".", "avoid", "it", "."]
    assert weights.sum() == pytest.approx(1.0, abs=1e-5) and np.all(weights >= 0)
