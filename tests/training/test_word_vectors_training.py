"""Training word vectors: the corpus reads training parts only, and a tiny
run (SST-2 sentences, one small epoch) writes a package whose vectors
answer as the run's best weights do, without the context table."""

import numpy as np
import pytest

import zoo
from training.core import fit as fitting
from training.core.recipe import load_recipe
from training.tasks import sentiment, word_vectors

pytestmark = pytest.mark.system


def test_the_corpus_holds_no_test_text():
    texts, counts = word_vectors.corpus(["sst2", "anki"])
    train = set(texts["train"])
    sst2 = sentiment.load_splits({**sentiment.DEFAULTS["data"], "dataset": "sst2"})
    # SST-2 itself holds two test sentences in train too ("what 's next ?").
    assert counts["sst2"]["train"] == 6920 and train & set(sst2["test"][0]) <= set(sst2["train"][0])
    d = load_recipe("translate-spa-eng")["data"]
    from training.tasks import seq2seq

    english_test = {target for _, target in seq2seq.load_pairs(d)["test"]}
    assert counts["anki"]["train"] > 50_000 and not train & english_test
    assert len(texts["train"]) == sum(c["train"] for c in counts.values())


def test_a_tiny_run_packages_the_centre_vectors(tmp_path):
    recipe = load_recipe("word2vec-en")
    recipe["name"] = "tiny-vectors"
    recipe["data"].update(sources=["sst2"], vocabulary_size=500, batch_size=4096)
    recipe["model"]["embedding_dim"] = 16
    recipe["train"]["epochs"] = 1
    model, card = word_vectors.train(recipe, tmp_path, verbose=0)
    shipped = zoo.load_path(tmp_path / "model")
    assert shipped.context is None and len(shipped.vocabulary) == 500
    full = word_vectors.new_model(recipe, word_vectors.WordVocabulary(shipped.vocabulary))
    full.load_weights(tmp_path / fitting.BEST)  # the run's best, both tables
    np.testing.assert_array_equal(shipped.vectors, full.vectors)
    assert (
        card["metrics"]["analogy_questions"] >= 0
        and card["dataset"]["texts"]["sst2"]["train"] == 6920
    )
