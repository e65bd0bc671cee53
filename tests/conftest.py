import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The captioner's encoder and the style models read VGG19 from the shared data.
_SHARED = os.environ.get("ZOO_DATA_DIR") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                         "shared", "data")  # fmt: skip
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
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def exported_models(tmp_path_factory):
    """Every exportable shipped model, exported once per test run (both
    formats, verified): (base directory, {name: version directory})."""
    import zoo
    from exports.exporter import export

    out = tmp_path_factory.mktemp("exports")
    names = [c["name"] for c in zoo.list_models() if c["name"] != "style-transfer-vgg19"]
    return out, {name: export(name, out) for name in names}


TINY_CAPTIONER = "caption-tiny"


@pytest.fixture(scope="session")
def tiny_captioner(tmp_path_factory):
    """A small seeded random Captioner over the real VGG19, exported (both
    formats, verified) under its own name in its own base directory: the
    caption paths of OnnxModel, Node and the server are tested on it
    whether or not a captioner is shipped. -> (model, base, version dir)"""
    from exports.exporter import export
    from tests.zoo.helpers import random_captioner
    from zoo.models.captioner import SPECIALS

    words = ["a", "dog", "man", "runs", "on", "the", "grass", "beach", "in", "red", "."]
    model = random_captioner([*SPECIALS, *words], seed=5, units=16, embedding_dim=8,
                             attention_units=8, memory_dim=12, max_length=10)  # fmt: skip
    base = tmp_path_factory.mktemp("tiny-captioner")
    return model, base, export(model, base, name=TINY_CAPTIONER)
