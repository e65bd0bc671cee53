"""Writing a model package (the layout zoo.registry reads): config.json
less its assets, model.weights.h5, one <asset>.json per entry of the
class's ASSETS, and card.json with the sha256 of every other file."""

import json
from pathlib import Path

import keras

from zoo_runtime.checksums import sha256

CARD = "card.json"
CONFIG = "config.json"
WEIGHTS = "model.weights.h5"


def asset_file(key):
    return f"{key}.json"


def write_package(model, directory, card):
    """Write `model` as a package with `card`; fills in the card's checksums."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = keras.saving.serialize_keras_object(model)
    assets = {key: config["config"].pop(key) for key in getattr(model, "ASSETS", ())}
    write_json(directory / CONFIG, config, indent=1)
    files = [CONFIG]
    if isinstance(model, keras.Model):  # external_weights may still add to these
        model.save_weights(directory / WEIGHTS)
        files.append(WEIGHTS)
    for key, value in assets.items():
        write_json(directory / asset_file(key), value)
        files.append(asset_file(key))
    card = {**card, "files": {f: sha256(directory / f) for f in files}}
    (directory / CARD).write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")
    return card


def rebuilt(model, **overrides):
    """A new, built model of `model`'s class and config (`overrides`
    replace config keys), with fresh weights and no optimizer."""
    copy = type(model).from_config({**model.get_config(), **overrides})
    copy.build()
    return copy


def inference_copy(model):
    """The model without its optimizer state (a third of the file size) and
    in float32 (float16 compute is a training-time choice)."""
    copy = rebuilt(model, dtype="float32")
    copy.set_weights(model.get_weights())
    return copy


def write_json(path, value, indent=None):
    path.write_text(json.dumps(value, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
