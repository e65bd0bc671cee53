"""The style-network measures on images whose answers are known: blobs of
a colour in neither painting nor photo are found and sized, colours that
are in either are not blobs, and an unchanged photo has style ratio 1 and
content distance 0."""

import numpy as np
import pytest

from training.core.paths import data_dir
from training.metrics import style_quality
from zoo.images import read_image
from zoo.models.style_transfer import resize_to

DATA = data_dir()
BLUE, GREY, GREEN = (30, 60, 200), (128, 128, 128), (40, 220, 40)


def flat(colour, shape=(100, 100)):
    return np.broadcast_to(np.array(colour, np.uint8), (*shape, 3)).copy()


def test_the_largest_novel_region_is_measured():
    painting, photo = flat(BLUE), flat(GREY)
    result = flat(GREY)
    result[10:20, 10:20] = GREEN  # 100 px
    result[50:56, 50:56] = GREEN  # 36 px, a second, smaller blob
    assert style_quality.largest_blob(result, painting, photo) == pytest.approx(0.01)
    result[20:30, 20:30] = GREEN  # touches the first at a corner: 8-connected
    assert style_quality.largest_blob(result, painting, photo) == pytest.approx(0.02)


def test_colours_of_either_image_and_their_shades_are_not_blobs():
    painting, photo = flat(BLUE), flat(GREY)
    result = flat(GREY)
    result[:50] = np.array(BLUE) + 9  # a shade of the painting's blue
    result[50:, :50] = np.array(GREY) - 12  # a shade of the photo's grey
    assert style_quality.largest_blob(result, painting, photo) == 0.0
    result[60:70, 60:70] = np.array(BLUE) + 70  # far from both
    assert style_quality.largest_blob(result, painting, photo) == pytest.approx(0.01)


def test_rare_colours_do_not_enter_the_palette():
    """A few pixels of green in the photo (under MIN_SHARE) do not excuse
    a large green region in the result."""
    photo = flat(GREY, (200, 200))
    photo[0, :3] = GREEN  # 3 of 40,000 px
    result = flat(GREY, (200, 200))
    result[:20, :20] = GREEN
    assert style_quality.largest_blob(result, flat(BLUE), photo) == pytest.approx(0.01)


@pytest.fixture(scope="module")
def judge():
    painting = read_image(DATA / "styles" / "wave.jpg")
    return style_quality.Judge(painting, DATA / "vgg19_notop.weights.h5")


def test_an_unchanged_photo_scores_one_and_zero(judge, rng):
    photo = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    m = judge.measure(photo, photo)
    assert m["style"] == pytest.approx(1.0, rel=1e-4)
    assert m["content"] == pytest.approx(0.0, abs=1e-6) and m["blob"] == 0.0


def test_the_painting_itself_is_closer_in_style_than_a_photo(judge):
    photo = read_image(DATA / "content" / "chelsea.jpg")
    painting = resize_to(judge.painting, photo.shape[:2]).round().astype(np.uint8)
    m = judge.measure(photo, painting)
    assert m["style"] < 0.5 and m["content"] > 0.3


def test_summary_is_mean_and_worst():
    rows = {
        "a": {"style": 0.2, "content": 1.0, "blob": 0.0},
        "b": {"style": 0.4, "content": 3.0, "blob": 0.01},
    }
    s = style_quality.summarise(rows)
    assert s["photos"] == 2 and s["mean_style"] == pytest.approx(0.3)
    assert s["max_style"] == 0.4 and s["max_blob"] == 0.01 and s["mean_content"] == 2.0
