"""Style-transfer losses against numpy written from their definitions, and
the VGG weight sources' errors."""

import keras
import numpy as np
import pytest

from zoo.models import vgg


def test_gram_matches_numpy(rng):
    f = rng.normal(size=(2, 5, 7, 4)).astype("float32")
    expected = np.stack([x.reshape(-1, 4).T @ x.reshape(-1, 4) / 35 for x in f])
    np.testing.assert_allclose(vgg.gram(f), expected, rtol=1e-5, atol=1e-5)


def test_losses_match_numpy(rng):
    a, b = rng.normal(size=(2, 1, 6, 5, 3)).astype("float32")
    assert float(vgg.content_loss(a, b)) == pytest.approx(0.5 * np.sum((a - b) ** 2), rel=1e-5)
    ga = a[0].reshape(-1, 3).T @ a[0].reshape(-1, 3) / 30
    target = rng.normal(size=(1, 3, 3)).astype("float32")
    # Gatys et al.: unnormalised Grams, sum (G - A)^2 / (4 N^2 M^2), N = 3, M = 30.
    g_raw, a_raw = ga * 30, target[0] * 30
    assert float(vgg.style_loss(a, target)) == pytest.approx(
        np.sum((g_raw - a_raw) ** 2) / (4 * 3**2 * 30**2), rel=1e-5
    )
    tv = np.mean((a[:, 1:] - a[:, :-1]) ** 2) + np.mean((a[:, :, 1:] - a[:, :, :-1]) ** 2)
    assert float(vgg.total_variation(a)) == pytest.approx(tv, rel=1e-5)


def test_preprocess_equals_keras_preprocess_input(rng):
    images = rng.uniform(0, 255, size=(2, 4, 4, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input(images.copy())  # edits in place
    np.testing.assert_allclose(vgg.preprocess(images), expected, atol=1e-4)


def test_missing_weights_are_clear_errors(tmp_path, offline_vgg):
    with pytest.raises(ValueError, match="could not download.*ZOO_VGG19_WEIGHTS"):
        vgg.vgg19()
    assert offline_vgg == ["imagenet"]  # with nothing named, Keras' download is tried
    with pytest.raises(FileNotFoundError, match="not found"):
        vgg.vgg19(tmp_path / "none.h5")
