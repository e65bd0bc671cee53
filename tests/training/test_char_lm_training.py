"""Training a CharLM from a recipe: over-fitting a phrase, resuming after
an interruption, best-on-validation weights, run outputs, the package."""

import json

import h5py
import keras
import numpy as np
import pytest

import zoo
import zoo_runtime.chars
from tests.training.recipes import tiny_recipe
from training.core import fit as fitting
from training.core.streaming import Streaming
from training.tasks import char_lm
from zoo.models import CharLM

PHRASE = "the quick brown fox jumps over the lazy dog. "


class Interrupt(Exception):
    pass


class StopAfterEpoch(keras.callbacks.Callback):
    """Stands in for a kill: raises once `epoch` has finished (and been backed up)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt


@pytest.fixture
def corpus(shakespeare):
    return shakespeare[:40_000]


def test_tiny_model_overfits_a_repeated_phrase(tmp_path):
    recipe = tiny_recipe(tmp_path, PHRASE * 2000, epochs=3, seq_len=50)
    model, card = char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    history = fitting.read_history(tmp_path / "run")
    # nats per character; chance is ln 29 = 3.4. Windows start without
    # context, so their first characters keep the training loss above 0.
    assert history[-1]["loss"] < 0.15
    assert card["metrics"]["test"]["nats_per_char"] < 0.05  # full context
    assert model.generate("the quick", 36, temperature=0) == PHRASE[9:45]


@pytest.mark.parametrize("stream", [False, True], ids=["windows", "streams"])
def test_resumed_run_ends_with_the_same_weights(tmp_path, corpus, stream):
    recipe = tiny_recipe(tmp_path, corpus, epochs=2, stream=stream)
    whole, _ = char_lm.train(recipe, tmp_path / "whole", data_dir=tmp_path, verbose=0)

    run = tmp_path / "resumed"
    with pytest.raises(Interrupt):
        char_lm.train(recipe, run, data_dir=tmp_path, verbose=0, callbacks=[StopAfterEpoch(0)])
    assert fitting.resume_epoch(run) == 1
    resumed, _ = char_lm.train(recipe, run, data_dir=tmp_path, verbose=0)

    assert fitting.resume_epoch(run) == 0  # the backup is gone once a run finishes
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    rows = fitting.read_history(run)
    assert [r["epoch"] for r in rows] == [0, 1]
    assert [r["val_loss"] for r in rows] == [
        r["val_loss"] for r in fitting.read_history(tmp_path / "whole")
    ]


def test_streaming_carries_each_rows_state_into_the_next_window():
    """Streaming's window k+1 gives the logits the language model gives at
    those positions reading windows k and k+1 as one sequence; a fresh row
    starts from zero again, and the carried states are not weights."""
    lm = CharLM(list("\ufffdabcdef"), cell="gru", units=8, embedding_dim=4)
    lm.build()
    streams = Streaming(lm, batch_size=2)
    ids = np.random.default_rng(0).integers(1, 7, size=(2, 12)).astype("int32")
    first, second = ids[:, :6], ids[:, 6:]
    streams((first, np.ones(2, "float32")))
    carried = streams((second, np.zeros(2, "float32")))
    np.testing.assert_allclose(carried, lm(ids)[:, 6:], atol=1e-5)
    restarted = streams((second, np.array([1.0, 0.0], "float32")))
    np.testing.assert_allclose(restarted[0], lm(second)[0], atol=1e-5)
    assert not np.allclose(restarted[1], lm(second)[1], atol=1e-3)  # row 1 carried on
    assert len(streams.trainable_weights) == len(lm.trainable_weights)


def test_streaming_needs_one_device(tmp_path, corpus):
    recipe = tiny_recipe(tmp_path, corpus, stream=True)
    with pytest.raises(ValueError, match="distribute='none'"):
        char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, distribute="mirrored")


def test_model_keeps_the_best_validation_epoch(tmp_path, corpus):
    """A learning rate that blows training up after epoch 1: the returned
    model must hold the epoch with the lowest val_loss, not the last."""
    recipe = tiny_recipe(tmp_path, corpus, epochs=3, lr=3.0)
    model, card = char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    rows = fitting.read_history(tmp_path / "run")
    best = min(range(3), key=lambda i: rows[i]["val_loss"])
    assert best < 2  # the set-up works: the last epoch is not the best
    assert card["training"]["best_epoch"] == best + 1
    reference = fitting.read_history(tmp_path / "run")[best]["val_loss"]
    # Re-evaluating the returned model on the validation windows gives the best epoch's loss.
    from training.data import text_data

    corpus_splits = text_data.load_corpus("file", tmp_path / "corpus.txt")
    ids = zoo_runtime.chars.CharVocabulary(model.vocabulary).encode(corpus_splits["validation"])
    val = text_data.evaluation_batches(ids, recipe["data"]["seq_len"], 16)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert model.evaluate(val, verbose=0) == pytest.approx(reference, rel=1e-4)


def test_run_outputs_and_package(tmp_path, corpus):
    recipe = tiny_recipe(tmp_path, corpus, epochs=2)
    model, card = char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    run = tmp_path / "run"
    assert (run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((run / "tensorboard").rglob("events.out.tfevents.*"))
    rows = fitting.read_history(run)
    assert len(rows) == 2 and all(r["seconds"] > 0 for r in rows)
    assert card["training"]["seconds"] == pytest.approx(sum(r["seconds"] for r in rows), abs=0.1)
    card_curve = [r["val_loss"] for r in card["training"]["history"]]
    assert card_curve == pytest.approx([r["val_loss"] for r in rows], abs=1e-4)

    loaded = zoo.load_path(run / "model")
    assert loaded.vocabulary == model.vocabulary
    assert json.loads((run / "model" / "vocabulary.json").read_text()) == model.vocabulary
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
    assert (
        loaded.card["metrics"]["test"]["nats_per_char"] == card["metrics"]["test"]["nats_per_char"]
    )
    assert loaded.generate("ROMEO:", 20, seed=0) == model.generate("ROMEO:", 20, seed=0)
    assert card["parameters"] == model.count_params()
    assert card["recipe"]["model"]["units"] == 24
    with h5py.File(run / "model" / "model.weights.h5") as weights:
        assert "optimizer" not in weights  # shipped without Adam's moments


def test_package_only_rebuilds_the_same_package(tmp_path, corpus):
    recipe = tiny_recipe(tmp_path, corpus, epochs=1)
    model, card = char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    again, card_again = char_lm.package_run(recipe, tmp_path / "run", data_dir=tmp_path)
    assert card_again["metrics"] == card["metrics"]
    for a, b in zip(again.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_corpus_smaller_than_a_batch_is_a_clear_error(tmp_path):
    recipe = tiny_recipe(tmp_path, PHRASE * 10)
    with pytest.raises(ValueError, match="fewer than one batch"):
        char_lm.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)


def test_unknown_recipe_keys_are_refused(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "x"\n[model]\nunit = 3\n')
    from training.core.recipe import load_recipe

    with pytest.raises(ValueError, match="unknown key 'unit'"):
        load_recipe(path)
    with pytest.raises(FileNotFoundError, match="char-lstm-shakespeare"):
        load_recipe("no-such-recipe")


def test_mixed_precision_trains_and_ships_float32(tmp_path, corpus):
    recipe = tiny_recipe(tmp_path, corpus, epochs=1)
    model, _ = char_lm.train(
        recipe, tmp_path / "run", data_dir=tmp_path, mixed_precision=True, verbose=0
    )
    assert keras.mixed_precision.global_policy().name == "float32"  # restored
    assert fitting.read_history(tmp_path / "run")[0]["val_loss"] < 4.0
    loaded = zoo.load_path(tmp_path / "run" / "model")
    assert {w.dtype for w in loaded.weights} == {"float32"}
    assert loaded.recurrent[0].compute_dtype == "float32"
    assert loaded.dtype_policy.name == "float32", loaded.dtype_policy
