"""The fast-style trainer: a tiny network trained a few steps with the real
VGG19 loss lowers that loss on a held-out photo and is written as a
package with its measures; the same recipe trains on Keras' JAX backend
in an interpreter without TensorFlow, and that package stylises alike in
the TensorFlow build."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from training.core.fit import read_history
from training.core.paths import data_dir
from training.core.recipe import load_recipe
from training.data import crops
from training.tasks import fast_style
from zoo import registry

ROOT = Path(__file__).resolve().parents[2]
DATA = data_dir()


TINY = """
name = "tiny-style"
task = "fast-style"
[data]
style = "styles/wave.jpg"
style_size = 64
content = ["content/astronaut.jpg", "content/coffee.jpg"]
validation = ["content/rocket.jpg"]
crop = 48
batch_size = 2
[model]
filters = [8, 16, 16]
residual_blocks = 1
[loss]
content_weight = 2e-2
[train]
epochs = 2
steps_per_epoch = 6
learning_rate = 1e-2
"""


def test_tiny_training_lowers_the_loss_and_packages(tmp_path):
    (tmp_path / "tiny-style.toml").write_text(TINY)
    recipe = load_recipe(tmp_path / "tiny-style.toml")
    keras.utils.set_random_seed(recipe["train"]["seed"])  # as train() does: same start
    untrained = fast_style.new_network(recipe, DATA)
    before = untrained.evaluate(*fast_style.validation(recipe, DATA), verbose=0)
    net, card = fast_style.train(recipe, tmp_path / "run", verbose=0)
    history = read_history(tmp_path / "run")
    assert len(history) == 2 and min(row["val_loss"] for row in history) < 0.9 * before
    loaded = registry.load_path(tmp_path / "run" / "model")
    photo = np.random.default_rng(0).integers(0, 256, (33, 40, 3), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.stylize(photo), net.stylize(photo))
    rows = card["metrics"]["per_photo"]
    assert set(rows) == {"rocket.jpg"} and card["metrics"]["check"]["photos"] == 1
    assert 0 < rows["rocket.jpg"]["style"] and 0 <= rows["rocket.jpg"]["blob"] <= 1
    assert card["data"]["content_photos"] == 2 and card["data"]["terms"]


def test_jax_without_tensorflow_trains_the_same_recipe_into_the_same_format(tmp_path):
    """Same recipe, same crops, same package layout: the JAX-trained package
    loads in this TensorFlow build and stylises as it did under JAX (+-1
    level: the two backends' convolutions round differently)."""
    (tmp_path / "tiny-style.toml").write_text(TINY)
    photo = np.random.default_rng(2).integers(0, 256, (41, 37, 3), dtype=np.uint8)
    np.save(tmp_path / "photo.npy", photo)
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    args = [
        tmp_path / "tiny-style.toml",
        tmp_path / "run",
        tmp_path / "photo.npy",
        tmp_path / "jax.npy",
    ]
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "training" / "jax_style_run.py"), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = registry.load_path(tmp_path / "run" / "model")
    card = json.loads((tmp_path / "run" / "model" / "card.json").read_text())
    assert card["versions"]["backend"] == "jax" and "tensorflow" not in card["versions"]
    assert len(read_history(tmp_path / "run")) == 2
    ours, theirs = loaded.stylize(photo).astype(int), np.load(tmp_path / "jax.npy").astype(int)
    assert np.abs(ours - theirs).max() <= 1
    assert np.abs(ours - photo).mean() > 1  # it trained into something, not the identity


def test_flickr8k_photos_are_unsquashed_by_the_recipe():
    for name in ("fast-style-scream",):  # the BSDS500 + Flickr8k configuration
        d = load_recipe(name)["data"]
        photos = crops.expand(d["content"], DATA, d["content_aspect"])
        names = {p.parent.parent.name + "/" + p.parent.name for p, _ in photos}
        assert "bsds500/test" not in names  # held out for the card
        assert {a for p, a in photos if "flickr8k" in str(p)} == {4 / 3}


def test_fast_style_refuses_distribution_options(tmp_path):
    (tmp_path / "tiny-style.toml").write_text(TINY)
    recipe = load_recipe(tmp_path / "tiny-style.toml")
    with pytest.raises(ValueError, match="one device"):
        fast_style.train(recipe, tmp_path / "run", distribute="mirrored")
