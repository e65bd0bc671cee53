"""The pretrained registry: `zoo.load(name)` and `zoo.list_models()`.

A model package is a directory holding
    config.json        the Keras-serialised model (class and constructor args),
                       less its assets
    model.weights.h5   its weights
    <asset>.json       each constructor argument the class lists in ASSETS
                       (its vocabularies: vocabulary.json, or source_ and
                       target_vocabulary.json), index = id
    card.json          the model card: data set, split, metrics, parameters,
                       recipe, and the sha256 of every other file
A card with "external_weights" says where the weights it does not ship come
from (Keras, a file or $ZOO_VGG19_WEIGHTS: VGG19's ImageNet weights are too
large to ship): style-transfer-vgg19 is only a configuration over them, with
no weights file; caption-flickr8k ships its decoder's and uses them as encoder.
Shipped packages live in zoo/pretrained/<name>/. Every file's checksum is
verified before anything is deserialised. zoo/pretrained/withdrawn.json
names packages no longer offered, and why: loading one says so.
"""

import difflib
import json
import re
import warnings
from pathlib import Path

import keras

import zoo.models  # noqa: F401  (registers the model classes that configs name)
from zoo.package_files import CARD, CONFIG, WEIGHTS, asset_file
from zoo_runtime.checksums import sha256

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class UnknownModelError(LookupError):
    """No shipped model has that name."""


class ChecksumError(ValueError):
    """A model file's sha256 differs from its card's: corrupt or modified."""


class BadPackageError(ValueError):
    """A model package's card cannot be read."""


def list_models():
    """The model cards of every shipped model, sorted by name. Hidden
    folders (a publish in progress, or one a killed publish left) are not
    packages; a package whose card cannot be read is left out with a
    warning naming its folder (zoo.load of it raises BadPackageError)."""
    cards = []
    for path in _package_folders():
        try:
            cards.append(read_card(path))
        except BadPackageError as error:
            warnings.warn(str(error), stacklevel=2)
    return cards


def _package_folders():
    return [
        path
        for path in sorted(PRETRAINED.iterdir())
        if not path.name.startswith(".") and (path / CARD).is_file()
    ]


def load(name):
    """The shipped model `name`, checksum-verified, offline."""
    return load_path(_package_dir(name))


def load_name_or_path(source):
    """A shipped model by name, or the package in the folder `source` (one
    zoo train or save_package wrote)."""
    path = Path(str(source))
    return load_path(path) if path.is_dir() else load(str(source))


def load_path(directory):
    """A model package from any directory (e.g. one written by training)."""
    directory = Path(directory)
    card = read_card(directory)
    verify_files(directory, card)
    config = with_assets(directory, json.loads((directory / CONFIG).read_text()))
    model = keras.saving.deserialize_keras_object(config)
    if WEIGHTS in card["files"]:
        if not model.built:
            model.build()
        model.load_weights(directory / WEIGHTS)
    model.card = card
    return model


def with_assets(directory, config):
    """The model's config with its assets (its class's ASSETS) read back in.
    A package from before assets left config.json (vocabularies inside it)
    loads too; where both hold one, they must agree."""
    model_class = keras.saving.get_registered_object(config.get("registered_name"))
    for key in getattr(model_class, "ASSETS", ()):
        path = Path(directory) / asset_file(key)
        if not path.is_file():
            continue
        value = json.loads(path.read_text(encoding="utf-8"))
        if key in config["config"] and config["config"][key] != value:
            raise ValueError(f"{path} disagrees with the {key} in {CONFIG}")
        config["config"][key] = value
    return config


def read_card(directory):
    path = Path(directory) / CARD
    if not path.is_file():
        raise FileNotFoundError(f"{directory} is not a model package: it has no {CARD}")
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadPackageError(
            f"{path} is not a valid model card ({error}); the package in {directory} is "
            "damaged: reinstall zoo, or publish the model again"
        ) from None
    if not isinstance(card, dict) or not isinstance(card.get("name"), str):
        raise BadPackageError(f"{path} is not a model card: it names no model")
    return card


def verify_files(directory, card):
    files = card.get("files") or {}
    # A package may use weights from elsewhere (style-transfer-vgg19: VGG19's).
    missing = {CONFIG} | ({WEIGHTS} if not card.get("external_weights") else set())
    missing -= set(files)
    if missing:
        raise ChecksumError(f"the card in {directory} lists no checksum for {sorted(missing)}")
    for filename, expected in files.items():
        path = Path(directory) / filename
        if Path(filename).name != filename or not path.is_file():
            raise ChecksumError(f"{path} is listed in the model card but missing")
        actual = sha256(path)
        if actual != expected:
            raise ChecksumError(
                f"{path} has sha256 {actual}, but its model card says {expected}: the file is "
                "corrupt or was modified. Restore it (reinstall zoo) or retrain the model "
                "with its recipe."
            )


def _withdrawn():
    """{name: why} of the packages no longer offered."""
    path = PRETRAINED / "withdrawn.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _package_dir(name):
    if not isinstance(name, str):
        raise TypeError(f"a model name must be a str, got {type(name).__name__}")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(
            f"{name!r} looks like a path; zoo.load takes a model name "
            "(see zoo.list_models()). Load a directory with zoo.load_path()."
        )
    if _NAME.match(name) and (PRETRAINED / name / CARD).is_file():
        return PRETRAINED / name
    withdrawn = _withdrawn().get(name)
    if withdrawn:
        raise UnknownModelError(f"{name!r} is no longer offered: {withdrawn}")
    names = [path.name for path in _package_folders()]  # only to explain the miss
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownModelError(
        f"no pretrained model named {name!r}.{hint} Available: {', '.join(names)}"
    )
