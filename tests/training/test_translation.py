"""Translation data and metrics: the Anki split by source sentence,
multi-reference sacrebleu scores, and a tiny subword recipe trained end to
end into a package whose card holds BLEU and chrF."""

import gzip

import numpy as np
import pytest

import zoo
from training.core.recipe import load_recipe
from training.data import translation
from training.data.text_data import data_dir

ANKI = data_dir() / "anki" / "spa-eng.txt.gz"


def small_anki(path, every=60):
    """A gzipped slice of the real file (same format), for fast runs."""
    with gzip.open(ANKI, "rt", encoding="utf-8") as f:
        lines = f.readlines()[::every]
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(lines)
    return path


def test_split_keeps_every_source_sentence_in_one_split():
    pairs = translation.read_anki(ANKI)
    assert len(pairs) == 118_964 and pairs[4] == ("Hola.", "Hi.")
    splits = translation.split_by_source(pairs, 2000, seed=0)
    sources = {name: {s for s, _ in split} for name, split in splits.items()}
    assert len(sources["test"]) == len(sources["validation"]) == 2000
    assert not sources["train"] & (sources["test"] | sources["validation"])
    assert sum(map(len, splits.values())) == len(pairs)
    every = {}
    for s, t in pairs:
        every.setdefault(s, []).append(t)
    for source, refs in zip(*translation.references(splits["test"]), strict=True):
        assert sorted(refs) == sorted(every[source])  # all its references, nothing else
    again = translation.split_by_source(pairs, 2000, seed=0)
    assert again["test"] == splits["test"]
    assert translation.split_by_source(pairs, 2000, seed=1)["test"] != splits["test"]


def test_scores_count_any_of_several_references():
    refs = [["It is cold.", "It's cold."], ["I ran home."], ["Where is Tom?"]]
    assert translation.scores(["It's cold.", "I ran home.", "Where is Tom?"], refs)["bleu"] == 100
    worse = translation.scores(["It's hot.", "I walked home.", "Where is Tom?"], refs)
    assert 0 < worse["bleu"] < 100 and 0 < worse["chrf"] < 100
    with pytest.raises(ValueError, match="too few"):
        translation.split_by_source([("a", "b"), ("c", "d")], 1, seed=0)


RECIPE = """
name = "tiny-translate"
task = "seq2seq"
[data]
source = "anki"
file = "{file}"
test_sources = 40
batch_size = 32
buckets = [6, 10]
source_vocabulary_size = 300
target_vocabulary_size = 250
[model]
tokenizer = "subwords"
units = 16
embedding_dim = 8
readout_dim = 12
max_input_length = 32
max_output_length = 24
[train]
epochs = 2
learning_rate = 5e-3
"""


def test_a_subword_recipe_trains_into_a_package_with_bleu(tmp_path):
    from training.tasks import seq2seq

    small_anki(tmp_path / "small.txt.gz")
    (tmp_path / "tiny.toml").write_text(RECIPE.format(file="small.txt.gz"))
    recipe = load_recipe(tmp_path / "tiny.toml")
    model, card = seq2seq.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    history = card["training"]["history"]
    assert history[1]["val_loss"] < history[0]["val_loss"]
    metrics = card["metrics"]
    for key in ("test_bleu", "test_chrf", "test_bleu_beam5", "validation_bleu"):
        assert 0 <= metrics[key] <= 100
    assert metrics["test_chrf"] > 0  # some characters right after two epochs
    assert card["dataset"]["terms"].startswith("CC BY 2.0")
    assert card["dataset"]["splits"]["test"] >= 40
    loaded = zoo.load_path(tmp_path / "run" / "model")
    assert loaded.tokenizer == "subwords"
    text = ["¿Dónde está la estación?"]
    assert loaded.translate(text, beam_width=3) == model.translate(text, beam_width=3)
    source, refs = translation.references(seq2seq.Prepared(recipe, tmp_path).pairs["test"])
    again = translation.scores(translation.translations(loaded, source), refs)
    assert np.isclose(again["bleu"], metrics["test_bleu"], atol=0.01)
