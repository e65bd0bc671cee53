"""Training a TextClassifier from a recipe on a tiny IMDB-shaped data set:
the card, the package, and init_from (transfer from another classifier)."""

import csv
import gzip

import numpy as np
import pytest

import zoo
from training.core.recipe import load_recipe
from training.tasks import sentiment

RECIPE = """
name = "tiny-sentiment"
task = "sentiment"
[data]
dataset = "imdb"
vocabulary_size = {vocabulary}
min_count = 1
batch_size = 16
buckets = [4, 8]
[model]
units = 8
embedding_dim = 8
attention_units = 4
embedding_dropout = 0.0
dropout = 0.0
max_tokens = 12
head_tokens = 4
[train]
epochs = 2
learning_rate = 0.02
final_learning_rate = 0.02
init_from = "{init_from}"
"""
GOOD, BAD, FILLER = ["good", "great", "fine"], ["bad", "awful", "dull"], ["film", "plot", "the"]


def write_csv(path, rows, with_rating=True):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "rating", "text"] if with_rating else ["label", "text"])
        for label, text in rows:
            writer.writerow([label, 10 * label, text] if with_rating else [label, text])


def reviews(count, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(count):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, int(rng.integers(2, 9))))
        words.insert(int(rng.integers(len(words) + 1)), rng.choice(GOOD if label else BAD))
        rows.append((label, " ".join(words)))
    return rows


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_csv(root / "imdb" / "train.csv.gz", reviews(400, 0))
    write_csv(root / "imdb" / "test.csv.gz", reviews(100, 1))
    write_csv(root / "rt_polarity" / "sentences.csv.gz", reviews(50, 2), with_rating=False)
    return root


def recipe(tmp_path, vocabulary=20, init_from=""):
    path = tmp_path / "tiny-sentiment.toml"
    path.write_text(RECIPE.format(vocabulary=vocabulary, init_from=init_from))
    return load_recipe(path)


def test_trains_and_writes_a_package_with_its_card(tmp_path, data_dir):
    model, card = sentiment.train(recipe(tmp_path), tmp_path / "run", data_dir, verbose=0)
    assert card["metrics"]["test_accuracy"] >= 0.95
    assert card["dataset"]["splits"]["train"] == 360 and card["dataset"]["splits"]["test"] == 100
    assert card["dataset"]["terms"].startswith("research use")
    loaded = zoo.load_path(tmp_path / "run" / "model")
    texts = ["the good film", "dull plot"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), model.predict_proba(texts))


def test_init_from_copies_every_layer_and_the_shared_words(tmp_path, data_dir):
    source, _ = sentiment.train(recipe(tmp_path), tmp_path / "source", data_dir, verbose=0)
    data = sentiment.Prepared(recipe(tmp_path, vocabulary=6), data_dir)
    target = sentiment.new_model(data.recipe, data.vocabulary)
    shared = sentiment.transfer(target, str(tmp_path / "source" / "model"))
    assert shared == 6  # PAD, OOV and the 4 words: all in the source's vocabulary
    mine, theirs = target.embedding.embeddings.numpy(), source.embedding.embeddings.numpy()
    for i, word in enumerate(target.vocabulary):
        np.testing.assert_array_equal(mine[i], theirs[source.vocabulary.index(word)])
    for a, b in zip(target.encoder.get_weights(), source.encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    other = recipe(tmp_path)
    other["model"]["units"] = 6
    with pytest.raises(ValueError, match="differs"):
        sentiment.transfer(
            sentiment.new_model(other, data.vocabulary), str(tmp_path / "source" / "model")
        )
