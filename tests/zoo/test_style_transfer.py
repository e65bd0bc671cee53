"""Gatys style transfer with the real VGG19 ImageNet weights at 128 px."""

import numpy as np
import pytest
from PIL import Image

from training.data.text_data import data_dir
from zoo.models import vgg
from zoo.models.style_transfer import StyleTransfer, resize_longer, scale_sizes

DATA = data_dir()  # ../shared/data beside the checkout, or $ZOO_DATA_DIR
WEIGHTS = DATA / "vgg19_notop.weights.h5"
STEPS, SIZE = 50, 96  # small enough for CI, long enough to show the optimisation working


def photo(path):
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture(scope="module")
def run():
    if not WEIGHTS.is_file():
        pytest.fail(f"{WEIGHTS} is missing: the style tests read the shared VGG19 weights")
    st = StyleTransfer(WEIGHTS)
    content, style = photo(DATA / "content/chelsea.jpg"), photo(DATA / "styles/wave.jpg")
    image, history = st.stylize(content, style, steps=STEPS, size=SIZE, progress=False)
    return st, content, style, image, history


def test_result_shape_and_type(run):
    _, content, _, image, history = run
    assert image.dtype == np.uint8 and image.shape == resize_longer(content, SIZE).shape
    assert history.shape == (STEPS, 4) and np.isfinite(history).all()


def test_total_loss_falls_steadily(run):
    total = run[4][:, 0]
    assert (np.diff(total) <= 0.01 * total[:-1]).all()  # at most 1% upticks (Adam)
    assert total[-1] < 0.1 * total[0]


def test_style_distance_to_the_painting_falls_by_half(run):
    st, content, style, image, _ = run
    grams = st.loss.style_target(resize_longer(style, SIZE)[None])

    def distance(picture):
        _, feats = st.loss.features(np.asarray(picture, "float32")[None])
        return sum(float(vgg.style_loss(f, g)) for f, g in zip(feats, grams, strict=True))

    assert distance(image) <= 0.5 * distance(resize_longer(content, SIZE))


def test_result_still_resembles_the_content(run):
    """Its content distance stays below the painting's own distance from
    the photo."""
    st, content, style, image, _ = run
    target = st.loss.content_target(resize_longer(content, SIZE)[None])
    painting = st.loss.content_target(resize_longer(style, SIZE)[None])
    result = st.loss.content_target(image[None].astype("float32"))
    if painting.shape != target.shape:  # different aspect: compare on the overlap
        h, w = min(painting.shape[1], target.shape[1]), min(painting.shape[2], target.shape[2])
        painting, target_crop = painting[:, :h, :w], target[:, :h, :w]
    else:
        target_crop = target
    assert float(vgg.content_loss(result, target)) < float(vgg.content_loss(painting, target_crop))


def test_multi_scale_ends_at_the_full_size(run):
    st, content, style, _, _ = run
    image, history = st.stylize(content, style, steps=7, size=96, scales=3, progress=False)
    assert image.shape == resize_longer(content, 96).shape
    assert history.shape == (7, 4)
    assert scale_sizes(content.shape[:2], 96, 3) == [48, 96]  # 24 px would be under 32
    with pytest.raises(ValueError, match="shorter side"):
        st.stylize(content, style, steps=1, size=40, progress=False)


def test_bad_init_is_refused(run):
    st, content, style, _, _ = run
    with pytest.raises(ValueError, match="init"):
        st.stylize(content, style, steps=1, size=64, init="zeros", progress=False)
