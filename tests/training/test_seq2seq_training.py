"""Training a Seq2Seq from a recipe: resume, scheduled sampling, TSV data,
the package and its card."""

import numpy as np
import pytest

import zoo
from tests.training.recipes import tiny_seq2seq_recipe
from tests.training.test_char_lm_training import Interrupt, StopAfterEpoch
from training.core import fit as fitting
from training.tasks import seq2seq


def test_resumed_run_ends_with_the_same_weights(tmp_path):
    recipe = tiny_seq2seq_recipe(tmp_path)
    whole, card = seq2seq.train(recipe, tmp_path / "whole", verbose=0)
    run = tmp_path / "resumed"
    with pytest.raises(Interrupt):
        seq2seq.train(recipe, run, verbose=0, callbacks=[StopAfterEpoch(0)])
    resumed, _ = seq2seq.train(recipe, run, verbose=0)
    for a, b in zip(whole.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    rows = fitting.read_history(tmp_path / "whole")
    assert len(rows) == 2 and rows[1]["val_loss"] < rows[0]["val_loss"]
    assert set(card["metrics"]) >= {
        "test_exact_match",
        "test_unseen_exact_match",
        "test_distractor_exact_match",
    }


def test_sampling_schedules():
    assert seq2seq.sampling_probability("none", 3, 8, 0.5) == 0.0
    assert [seq2seq.sampling_probability("linear", e, 5, 0.2) for e in (0, 4)] == [0.0, 0.2]
    rising = [seq2seq.sampling_probability("inverse_sigmoid", e, 8, 0.25) for e in range(8)]
    assert rising == sorted(rising) and 0 < rising[0] < rising[-1] <= 0.25
    with pytest.raises(ValueError, match="scheduled_sampling"):
        seq2seq.sampling_probability("cosine", 0, 8, 0.2)


def test_tsv_pairs_train_and_package(tmp_path):
    rows = [(f"{n} plus one", str(n + 1)) for n in range(2000)]
    (tmp_path / "pairs.tsv").write_text("".join(f"{a}\t{b}\n" for a, b in rows))
    recipe = tiny_seq2seq_recipe(tmp_path, epochs=1, source="tsv", file="pairs.tsv")
    model, card = seq2seq.train(recipe, tmp_path / "run", data_dir=tmp_path, verbose=0)
    assert card["dataset"]["splits"] == {"train": 1800, "validation": 100, "test": 100}
    loaded = zoo.load_path(tmp_path / "run" / "model")
    assert loaded.translate(["12 plus one"]) == model.translate(["12 plus one"])
