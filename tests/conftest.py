import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The captioner's encoder and the style models read VGG19 from the shared data.
_SHARED = os.environ.get("ZOO_DATA_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data"
)
os.environ.setdefault("ZOO_VGG19_WEIGHTS", os.path.join(_SHARED, "vgg19_notop.weights.h5"))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state (numpy, Keras, TF)."""
    keras.utils.set_random_seed(1234)
    yield


@pytest.fixture
def offline_vgg(monkeypatch):
    """No $ZOO_VGG19_WEIGHTS and no internet: Keras' VGG19 download fails as
    it does offline. Returns the list of the weights Keras was asked for."""
    monkeypatch.delenv("ZOO_VGG19_WEIGHTS", raising=False)
    asked, vgg19 = [], keras.applications.VGG19

    def offline(*args, weights="imagenet", **kwargs):
        asked.append(weights)
        if weights == "imagenet":
            raise Exception("URL fetch failure: [Errno -2] Name or service not known")
        return vgg19(*args, weights=weights, **kwargs)

    monkeypatch.setattr(keras.applications, "VGG19", offline)
    return asked


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# The shipped models the export and serving tests export: one per kind of
# exported graph (a char LM per ONNX recurrent op the tests name, both
# decoders of the date normaliser, the subword translator, a classifier, the
# captioner, a style network, the word vectors). The other char LMs, sentiment-sst2 and
# fast-style-udnie are the same graphs with other weights; every cell's
# native ONNX node is tested on tiny models (tests/exports/test_onnx_rnn.py).
EXPORTED = (
    "caption-flickr8k",
    "char-lstm-shakespeare",
    "char-rnn-shakespeare",
    "date-normalizer",
    "date-normalizer-no-attention",
    "fast-style-wave",
    "sentiment-imdb",
    "translate-spa-eng",
    "word2vec-en",
)


# Of those, the ones no longer offered (training/specimens): real-size
# graphs the export and serving tests still need.
SPECIMENS = ("fast-style-wave",)


def package_dir(name):
    """The package folder of an EXPORTED model: shipped or a specimen."""
    from training import specimens
    from zoo.registry import PRETRAINED

    return specimens.path(name) if name in SPECIMENS else PRETRAINED / name


def load(name):
    """An EXPORTED model, checksum-verified, as zoo.load gives shipped ones."""
    import zoo

    return zoo.load_path(package_dir(name))


def task_of(name):
    """An EXPORTED model's task, from its card: tests branch on it, never on a name."""
    from zoo.registry import read_card

    return read_card(package_dir(name))["task"]


@pytest.fixture(scope="session")
def exported_models(tmp_path_factory):
    """The EXPORTED shipped models, exported once per test run (both
    formats, verified): (base directory, {name: version directory})."""
    from exports.exporter import export

    out = tmp_path_factory.mktemp("exports")
    return out, {name: export(package_dir(name), out, name=name) for name in EXPORTED}


CAPTIONER = "caption-flickr8k"


@pytest.fixture(scope="session")
def captioner_export(exported_models, tmp_path_factory):
    """The shipped captioner, its export, and a base directory that holds
    only that export (a link), for a server of its own -> (model, base,
    version dir)."""
    import zoo

    directory = exported_models[1][CAPTIONER]
    base = tmp_path_factory.mktemp("captioner")
    (base / CAPTIONER).symlink_to(directory.parent, target_is_directory=True)
    return zoo.load(CAPTIONER), base, directory


# ---- tiers ------------------------------------------------------------------------
# python -m pytest -m unit | artifact | system runs one tier (pyproject.toml).
# A file or test may mark its tier; else one that uses a shipped model's
# export is `artifact`, and the rest are `unit`.
TIERS = ("unit", "artifact", "system")
ARTIFACT_FIXTURES = {"exported_models", "captioner_export", "three_models"}


def pytest_collection_modifyitems(items):
    for item in items:
        marked = [t for t in TIERS if item.get_closest_marker(t)]
        if len(marked) > 1:
            raise pytest.UsageError(f"{item.nodeid} is in tiers {marked}; one only")
        if not marked:
            tier = "artifact" if ARTIFACT_FIXTURES & set(item.fixturenames) else "unit"
            item.add_marker(tier)
