"""The style networks' crops: windows of the photo resized as Pillow resizes
it, reproducible from (seed, step), resumable, and the same batches from
the numpy feeder (TensorFlow-free hosts) and from tf.data."""

import numpy as np
import pytest
from PIL import Image

from training.core.paths import data_dir
from training.data import crops, image_data

DATA = data_dir()
PHOTOS = [DATA / "content" / f"{n}.jpg" for n in ("astronaut", "coffee", "chelsea")]


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory):
    """A 40 x 60 photo-like PNG: smooth gradients plus detail."""
    y, x = np.mgrid[0:40, 0:60]
    rng = np.random.default_rng(1)
    image = np.stack([4 * x, 6 * y, 2 * (x + y)], -1) + rng.integers(0, 40, (40, 60, 3))
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(path)
    return path


def windows_distance(patch, reference):
    """Smallest max-abs difference of `patch` to any window of `reference`
    or of its mirror image."""
    h, w = patch.shape[:2]
    best = np.inf
    for ref in (reference, reference[:, ::-1]):
        for top in range(ref.shape[0] - h + 1):
            for left in range(ref.shape[1] - w + 1):
                diff = np.abs(ref[top : top + h, left : left + w] - patch).max()
                best = min(best, diff)
    return best


@pytest.mark.parametrize("aspect", [1.0, 1.5])
def test_a_crop_is_a_window_of_the_photo_resized_as_pillow_does(photo_file, aspect):
    """max_zoom 1: the shorter side becomes the crop size; the width is
    first stretched by `aspect`, as Flickr8k's squashed photos are."""
    feeder = crops.Crops([(photo_file, aspect)], 20, 1, seed=3, max_zoom=1.0, jitter=0)
    size = (int(np.ceil(60 * aspect * 20 / 40)), 20)  # Pillow: (width, height)
    reference = np.asarray(Image.open(photo_file).resize(size, Image.BILINEAR), "float32")
    for k in range(6):
        patch = feeder.crop_at(k)
        assert patch.shape == (20, 20, 3) and patch.dtype == np.float32
        assert windows_distance(patch, reference) <= 2.0  # Pillow rounds to uint8


def test_jitter_changes_colour_within_its_bounds(photo_file):
    plain = crops.Crops([photo_file], 20, 1, seed=0, max_zoom=1.0, jitter=0)
    jittered = crops.Crops([photo_file], 20, 1, seed=0, max_zoom=1.0, jitter=0.1)
    a, b = plain.crop_at(0), jittered.crop_at(0)
    assert not np.allclose(a, b)
    assert np.abs(a.mean() - b.mean()) <= 0.1 * 255 + 1  # brightness within +-10%
    assert b.min() >= 0 and b.max() <= 255


def test_batches_are_reproducible_vary_and_resume():
    def take(seed, start, n):
        feed = crops.Crops(PHOTOS, 32, 2, seed=seed).batches(start)
        return np.stack([next(feed)[0] for _ in range(n)])

    first = take(5, 0, 4)
    np.testing.assert_array_equal(first, take(5, 0, 4))
    np.testing.assert_array_equal(take(5, 2, 2), first[2:])
    assert not np.array_equal(first[0], take(6, 0, 1)[0])
    assert not np.array_equal(first[0][0], first[0][1])  # crops within a batch differ


def test_tf_data_gives_the_numpy_feeders_batches():
    numpy_feed = crops.Crops(PHOTOS, 32, 3, seed=7).batches(start_step=5)
    ds = image_data.training_batches(PHOTOS, 32, 3, seed=7, start_step=5)
    for (x, y), (nx, ny) in zip(ds.take(3), (next(numpy_feed) for _ in range(3)), strict=True):
        np.testing.assert_array_equal(x.numpy(), nx)
        np.testing.assert_array_equal(y.numpy(), ny)


def test_every_photo_is_drawn():
    feeder = crops.Crops(PHOTOS, 16, 1, seed=0)
    picks = {np.random.Generator(np.random.Philox(key=[0, k])).integers(3) for k in range(30)}
    assert picks == {0, 1, 2}
    # and crop k really comes from the photo its generator picked
    means = [np.asarray(Image.open(p), "float32").mean(axis=(0, 1)) for p in PHOTOS]
    plain = crops.Crops(PHOTOS, 64, 1, seed=0, max_zoom=1.0, jitter=0)
    for k in range(6):
        pick = int(np.random.Generator(np.random.Philox(key=[0, k])).integers(3))
        colour = plain.crop_at(k).mean(axis=(0, 1))
        assert np.argmin([np.abs(colour - m).sum() for m in means]) == pick
    assert feeder.batch(0).shape == (1, 16, 16, 3)


def test_content_patterns_expand_with_their_aspect(tmp_path):
    for name in ("b.png", "a.png", "c.jpg"):
        (tmp_path / name).write_bytes(b"")
    found = crops.expand(["*.png", "c.jpg"], tmp_path, {"*.png": 1.25})
    assert [(p.name, a) for p, a in found] == [("a.png", 1.25), ("b.png", 1.25), ("c.jpg", 1.0)]
    with pytest.raises(ValueError, match="matches no file"):
        crops.expand(["*.gif"], tmp_path)
    with pytest.raises(ValueError, match="no content images"):
        crops.Crops([], 32, 2, seed=0)
