"""The fast-style image pipeline and trainer: reproducible augmented crops,
a resumed run sees the same crops, and a tiny network trained a few steps
with the real VGG19 loss lowers that loss on a held-out photo and is written as a package."""

import keras
import numpy as np
import pytest

from training import fast_style, image_data
from training.fit import read_history
from training.recipe import load_recipe
from training.text_data import data_dir
from zoo import registry

DATA = data_dir()
PHOTOS = [DATA / "content" / f"{n}.jpg" for n in ("astronaut", "coffee", "chelsea")]


def take(ds, n):
    return [b.numpy() for b, _ in zip(ds, range(n), strict=False)]


def test_crops_have_the_asked_shape_and_range():
    (batch,) = take(image_data.training_batches(PHOTOS, 48, 3, seed=0), 1)
    assert batch.shape == (3, 48, 48, 3) and batch.dtype == np.float32
    assert batch.min() >= 0 and batch.max() <= 255 and batch.std() > 10


def test_crops_are_reproducible_vary_and_resume():
    first = take(image_data.training_batches(PHOTOS, 32, 2, seed=5), 4)
    again = take(image_data.training_batches(PHOTOS, 32, 2, seed=5), 4)
    other = take(image_data.training_batches(PHOTOS, 32, 2, seed=6), 4)
    resumed = take(image_data.training_batches(PHOTOS, 32, 2, seed=5, start_step=2), 2)
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    assert not np.array_equal(first[0], other[0])
    assert not np.array_equal(first[0][0], first[0][1])  # crops within a batch differ
    np.testing.assert_array_equal(np.stack(resumed), np.stack(first[2:]))


def test_every_photo_is_used():
    """Each crop's mean colour is near one photo's; all photos appear."""
    batches = take(image_data.training_batches(PHOTOS, 32, 8, seed=0, jitter=0), 8)
    means = [image_data.decode(str(p)).numpy().mean(axis=(0, 1)) for p in PHOTOS]
    crops = np.concatenate(batches)
    assert len(crops) == 64
    # not a proof per crop, but a photo never sampled would leave its colour absent
    nearest = {
        int(np.argmin([np.abs(c.mean(axis=(0, 1)) - m).sum() for m in means])) for c in crops
    }
    assert nearest == {0, 1, 2}


def test_no_photos_is_an_error():
    with pytest.raises(ValueError, match="no content images"):
        image_data.training_batches([], 32, 2, seed=0)


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
    untrained = fast_style.new_trainer(recipe, DATA)
    untrained.compile()
    held_out = image_data.evaluation_batches([DATA / "content" / "rocket.jpg"], 48)
    before = untrained.evaluate(held_out, verbose=0, return_dict=True)["loss"]
    net, card = fast_style.train(recipe, tmp_path / "run", verbose=0)
    history = read_history(tmp_path / "run")
    assert len(history) == 2 and min(row["val_loss"] for row in history) < 0.9 * before
    loaded = registry.load_path(tmp_path / "run" / "model")
    photo = np.random.default_rng(0).integers(0, 256, (33, 40, 3), dtype=np.uint8)
    np.testing.assert_array_equal(loaded.stylize(photo), net.stylize(photo))
    assert set(card["metrics"]["validation_style_distance"]) == {"rocket.jpg"}
    assert "content photos only" in card["data"]["note"]


def test_fast_style_refuses_distribution_options(tmp_path):
    (tmp_path / "tiny-style.toml").write_text(TINY)
    recipe = load_recipe(tmp_path / "tiny-style.toml")
    with pytest.raises(ValueError, match="one device"):
        fast_style.train(recipe, tmp_path / "run", distribute="mirrored")
