"""The registry: packages round trip, checksums guard every file, names
are names (never paths), unknown names get suggestions."""

import json

import numpy as np
import pytest

import zoo
from zoo import package_files, registry
from zoo.models import CharLM
from zoo_runtime.chars import CharVocabulary

VOCAB = CharVocabulary.from_text("abcdefgh .\n")


def package(directory, name="char-test-model"):
    model = CharLM(VOCAB.tokens, units=8, embedding_dim=4)
    model.build()
    card = package_files.write_package(model, directory / name, {"name": name, "task": "char-lm"})
    return model, card


@pytest.fixture
def shelf(tmp_path, monkeypatch):
    """A stand-in for zoo/pretrained with two packages."""
    monkeypatch.setattr(registry, "PRETRAINED", tmp_path)
    package(tmp_path, "char-lstm-tiny")
    package(tmp_path, "char-gru-tiny")
    return tmp_path


def test_package_round_trip(tmp_path):
    model, card = package(tmp_path)
    assert set(card["files"]) == {"config.json", "model.weights.h5", "vocabulary.json"}
    directory = tmp_path / "char-test-model"
    assert "vocabulary" not in json.loads((directory / "config.json").read_text())["config"]
    assert json.loads((directory / "vocabulary.json").read_text()) == VOCAB.tokens
    loaded = zoo.load_path(tmp_path / "char-test-model")
    assert loaded.card == card
    ids = VOCAB.encode("abc def.")[None]
    np.testing.assert_array_equal(loaded(ids), model(ids))


def test_load_by_name_and_list(shelf):
    assert [c["name"] for c in zoo.list_models()] == ["char-gru-tiny", "char-lstm-tiny"]
    assert zoo.load("char-gru-tiny").card["name"] == "char-gru-tiny"


def test_tampered_weights_are_refused(tmp_path):
    package(tmp_path)
    weights = tmp_path / "char-test-model" / "model.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(
        zoo.ChecksumError, match=r"model\.weights\.h5 has sha256 .* corrupt or was modified"
    ):
        zoo.load_path(tmp_path / "char-test-model")
    assert weights.read_bytes() == bytes(data)  # refused, not "repaired"


@pytest.mark.parametrize("victim", ["config.json", "vocabulary.json"])
def test_every_listed_file_is_checked(tmp_path, victim):
    package(tmp_path)
    path = tmp_path / "char-test-model" / victim
    path.write_text(path.read_text().replace("a", "b", 1))
    with pytest.raises(zoo.ChecksumError, match=victim):
        zoo.load_path(tmp_path / "char-test-model")


def test_missing_file_and_card_without_checksums(tmp_path):
    package(tmp_path)
    directory = tmp_path / "char-test-model"
    (directory / "vocabulary.json").unlink()
    with pytest.raises(zoo.ChecksumError, match="missing"):
        zoo.load_path(directory)
    card = json.loads((directory / "card.json").read_text())
    (directory / "card.json").write_text(json.dumps({**card, "files": {}}))
    with pytest.raises(zoo.ChecksumError, match="no checksum"):
        zoo.load_path(directory)
    with pytest.raises(FileNotFoundError, match="not a model package"):
        zoo.load_path(tmp_path)


def old_style(directory, vocabulary_file):
    """The package as zoo wrote it before assets: the vocabulary inside
    config.json, and vocabulary.json holding `vocabulary_file` (or none)."""
    config = json.loads((directory / "config.json").read_text())
    config["config"]["vocabulary"] = VOCAB.tokens
    (directory / "config.json").write_text(json.dumps(config))
    card = json.loads((directory / "card.json").read_text())
    card["files"]["config.json"] = registry.sha256(directory / "config.json")
    if vocabulary_file is None:
        (directory / "vocabulary.json").unlink()
        del card["files"]["vocabulary.json"]
    else:
        (directory / "vocabulary.json").write_text(json.dumps(vocabulary_file))
        card["files"]["vocabulary.json"] = registry.sha256(directory / "vocabulary.json")
    (directory / "card.json").write_text(json.dumps(card))


def test_a_package_from_before_assets_loads(tmp_path):
    model, _ = package(tmp_path)
    directory = tmp_path / "char-test-model"
    for vocabulary_file in (None, VOCAB.tokens):
        old_style(directory, vocabulary_file)
        assert zoo.load_path(directory).vocabulary == model.vocabulary


def test_a_vocabulary_file_must_agree_with_the_config(tmp_path):
    package(tmp_path)
    directory = tmp_path / "char-test-model"
    old_style(directory, VOCAB.tokens[::-1])
    with pytest.raises(ValueError, match="disagrees"):
        zoo.load_path(directory)


@pytest.mark.parametrize("name", ["../char-lstm-tiny", "a/b", "a\\b", "/etc/passwd", "..", "."])
def test_names_that_look_like_paths_are_refused(shelf, name):
    with pytest.raises(ValueError, match="looks like a path"):
        zoo.load(name)


def test_unknown_names_list_close_matches(shelf):
    with pytest.raises(zoo.UnknownModelError, match="Did you mean char-lstm-tiny"):
        zoo.load("char-lstm-tiney")
    with pytest.raises(zoo.UnknownModelError, match="Available: char-gru-tiny, char-lstm-tiny"):
        zoo.load("resnet")
    with pytest.raises(TypeError, match="str"):
        zoo.load(None)


def test_a_withdrawn_name_says_why_and_is_not_listed(shelf):
    (shelf / "withdrawn.json").write_text(json.dumps({"char-old": "it loops; train your own"}))
    with pytest.raises(zoo.UnknownModelError, match="'char-old' is no longer offered: it loops"):
        zoo.load("char-old")
    assert [card["name"] for card in zoo.list_models()] == ["char-gru-tiny", "char-lstm-tiny"]


def test_withdrawn_packages_are_not_shipped():
    withdrawn = json.loads((registry.PRETRAINED / "withdrawn.json").read_text())
    assert withdrawn and not {card["name"] for card in zoo.list_models()} & set(withdrawn)


def test_shipped_packages_keep_their_vocabularies_out_of_the_config():
    import keras

    for card_path in sorted(registry.PRETRAINED.glob("*/card.json")):
        directory = card_path.parent
        config = json.loads((directory / "config.json").read_text())
        model_class = keras.saving.get_registered_object(config["registered_name"])
        for key in getattr(model_class, "ASSETS", ()):
            assert key not in config["config"], (directory.name, key)
            assert package_files.asset_file(key) in json.loads(card_path.read_text())["files"]
