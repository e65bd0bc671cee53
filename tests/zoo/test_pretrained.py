"""The shipped character LMs: they load offline with verified checksums,
their cards' test figures hold when recomputed here from the shared data
on the fixed check subset (the whole split: `python -m benchmarks.char_lm
--cards`), and they write Shakespeare-like text."""

import functools
import math
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

import zoo
from tests.training.conftest import SHAKESPEARE
from training.tasks.char_lm import CHECK_CHARS
from zoo import registry

pytestmark = pytest.mark.artifact

ROOT = Path(__file__).resolve().parents[2]
CHAR_LMS = [
    "char-lstm-shakespeare",
    "char-gru-shakespeare",
    "char-peephole-shakespeare",
    "char-cifg-shakespeare",
    "char-rnn-shakespeare",
]
LSTM_BAR_NATS = 1.52  # issue 35's quality bar for char-lstm-shakespeare (was 1.60)


@pytest.fixture(scope="module", params=CHAR_LMS)
def shipped(request):
    return zoo.load(request.param)


def test_every_char_lm_is_listed():
    assert set(CHAR_LMS) <= {card["name"] for card in zoo.list_models()}


@functools.cache
def recomputed_bits_per_char(name):
    """Cross-entropy of the test split's check subset (its first
    CHECK_CHARS characters) read as one stream, in numpy from the model's
    logits (Keras' compiled predict)."""
    text = SHAKESPEARE.read_text(encoding="utf-8")
    a = int(len(text) * 0.9)
    text = text[a + int((len(text) - a) * 0.5) :]  # TFDS' test split, the last 5%
    assert len(text) == 55770
    text = text[:CHECK_CHARS]
    model = zoo.load(name)
    index = {ch: i for i, ch in enumerate(model.vocabulary)}
    ids = np.array([index.get(ch, 0) for ch in text], np.int32)
    logits = model.predict(ids[None, :-1], verbose=0).astype(np.float64)[0]
    logits -= logits.max(-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    return -log_probs[np.arange(len(ids) - 1), ids[1:]].mean() / math.log(2)


def test_test_check_bits_per_char_agree_with_the_card(shipped):
    recomputed = recomputed_bits_per_char(shipped.card["name"])
    # Same characters, same model: only float rounding separates the two.
    assert abs(recomputed - shipped.card["metrics"]["test_check"]["bits_per_char"]) <= 0.002
    assert shipped.card["dataset"]["splits"]["test"] == 55770


def test_lstm_meets_the_quality_bar():
    model = zoo.load("char-lstm-shakespeare")
    assert model.card["metrics"]["test"]["nats_per_char"] <= LSTM_BAR_NATS


def test_card_matches_model_and_recipe(shipped):
    card = shipped.card
    assert card["parameters"] == shipped.count_params()
    assert card["dataset"]["name"] == "tiny_shakespeare"
    recipe = tomllib.loads((ROOT / card["recipe"]["file"]).read_text())
    for section in ("data", "model", "train"):
        for key, value in recipe[section].items():
            assert card["recipe"][section][key] == value, (section, key)
    assert card["architecture"]["cell"] == shipped.cell_name == recipe["model"]["cell"]
    assert set(card["files"]) == {"config.json", "model.weights.h5", "vocabulary.json"}


def test_equal_parameter_and_training_budgets():
    cards = [zoo.load(name).card for name in CHAR_LMS]
    params = [card["parameters"] for card in cards]
    assert max(params) / min(params) <= 1.05
    # The same data, schedule and regularisation; only the cell and its width differ.
    regularisation = ("output_dropout", "cell_options")
    budgets = {
        repr(
            (
                c["recipe"]["data"],
                c["recipe"]["train"],
                [c["recipe"]["model"][k] for k in regularisation],
            )
        )
        for c in cards
    }
    assert len(budgets) == 1


def word_hit_rate(text, words):
    found = re.findall(r"[A-Za-z']+", text)
    return sum(w in words for w in found) / max(len(found), 1)


def test_writes_shakespeare_like_text():
    """Most generated words are real words of the corpus; the same check on
    an untrained model of the same shape fails (the test can fail)."""
    words = set(re.findall(r"[A-Za-z']+", SHAKESPEARE.read_text(encoding="utf-8")))
    model = zoo.load("char-lstm-shakespeare")
    text = model.generate("ROMEO:\n", 600, temperature=0.8, seed=0)
    assert word_hit_rate(text, words) >= 0.75
    untrained = zoo.models.CharLM(model.vocabulary, units=model.units)
    untrained.build()
    assert word_hit_rate(untrained.generate("ROMEO:\n", 600, seed=0), words) < 0.5


def test_a_tampered_shipped_file_is_refused(tmp_path):
    copy = tmp_path / "char-lstm-shakespeare"
    shutil.copytree(registry.PRETRAINED / "char-lstm-shakespeare", copy)
    weights = copy / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(zoo.ChecksumError, match="corrupt or was modified"):
        zoo.load_path(copy)
