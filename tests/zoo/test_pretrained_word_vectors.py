"""The shipped word vectors, word2vec-en: the card's analogy figures
measured again, similarities a reader can judge, the data the card names
(training parts only) and the size budget."""

import functools

import numpy as np
import pytest

import zoo
from training.metrics import word_analogies
from training.tasks import word_vectors

pytestmark = pytest.mark.artifact

NAME = "word2vec-en"
MAX_BYTES = 12 * 2**20
# (a, b, c): a is closer to b than to c, by any reader's sense of the words.
CLOSER = [
    ("good", "great", "dog"),
    ("dog", "cat", "movie"),
    ("red", "blue", "father"),
    ("father", "mother", "red"),
    ("boring", "dull", "beach"),
    ("beach", "ocean", "actor"),
    ("actor", "actress", "ocean"),
    ("awful", "terrible", "horse"),
]


@functools.cache
def model():
    return zoo.load(NAME)


def test_card_analogy_figures_are_measured_again():
    total, per_group, asked = word_analogies.analogy_accuracy(model())
    card = model().card["metrics"]
    assert asked == card["analogy_questions"] > 1500
    assert total == pytest.approx(card["analogy_accuracy"], abs=1e-4)
    for group, share in per_group.items():
        assert share == pytest.approx(card[f"analogy_{group.replace(' ', '_')}"], abs=1e-4)


@pytest.mark.parametrize(("a", "b", "c"), CLOSER)
def test_related_words_are_closer_than_unrelated_ones(a, b, c):
    assert model().similarity(a, b) > model().similarity(a, c) + 0.1


def test_the_card_names_its_data_their_terms_and_no_test_split():
    dataset = model().card["dataset"]
    assert set(dataset["sources"]) == set(word_vectors.SOURCES)
    assert all("test" not in parts for parts in dataset["texts"].values())
    assert all(("research use" in t) or ("CC BY" in t) for t in dataset["sources"].values())
    assert "no test split is read" in dataset["split_rule"]


def test_the_package_ships_the_centre_vectors_alone_within_budget():
    m = model()
    assert m.context is None and m.vectors.shape == (len(m.vocabulary), m.embedding_dim)
    size = sum(f.stat().st_size for f in zoo.registry.PRETRAINED.joinpath(NAME).iterdir())
    assert size <= MAX_BYTES
    assert np.isfinite(m.vectors).all()
