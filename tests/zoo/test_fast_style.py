"""FastStyle: any input size comes back at its own size, a saved and
reloaded network computes exactly the same image, only a normalisation
by map statistics lets a local spike reach the whole image, and the
residual output is the photo plus the last conv."""

import keras
import numpy as np
import pytest

from tests.zoo.helpers import randomize
from zoo import package_files, registry
from zoo.models import FastStyle
from zoo.models.fast_style import NORMS


@pytest.fixture(scope="module")
def net():
    model = FastStyle(filters=(8, 16, 32), residual_blocks=2, style="test")
    model.build()
    return model


@pytest.mark.parametrize("shape", [(1, 16, 16), (2, 33, 47), (1, 61, 18), (1, 64, 64)])
def test_output_has_the_input_shape(net, rng, shape):
    images = rng.uniform(0, 255, (*shape, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(net(images))
    assert out.shape == images.shape
    assert out.min() >= 0 and out.max() <= 255


def test_stylize_single_image_gives_uint8_of_same_shape(net, rng):
    photo = rng.integers(0, 256, (35, 29, 3), dtype=np.uint8)
    out = net.stylize(photo)
    assert out.dtype == np.uint8 and out.shape == photo.shape
    batch = net.stylize(photo[None])
    np.testing.assert_array_equal(batch[0], out)


def test_instance_norm_makes_each_image_independent_of_its_batch(net, rng):
    a, b = rng.uniform(0, 255, (2, 24, 24, 3)).astype("float32")
    alone = keras.ops.convert_to_numpy(net(a[None]))[0]
    together = keras.ops.convert_to_numpy(net(np.stack([a, b])))[0]
    np.testing.assert_allclose(alone, together, atol=1e-3)


def test_package_round_trip_is_identical(net, rng, tmp_path):
    package_files.write_package(net, tmp_path / "pkg", {"name": "t", "task": "fast-style"})
    loaded = registry.load_path(tmp_path / "pkg")
    assert isinstance(loaded, FastStyle) and loaded.style == "test"
    images = rng.uniform(0, 255, (1, 37, 41, 3)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(images)), keras.ops.convert_to_numpy(net(images))
    )


def test_keras_file_round_trip_is_identical(net, rng, tmp_path):
    net.save(tmp_path / "net.keras")
    loaded = keras.saving.load_model(tmp_path / "net.keras")
    images = rng.uniform(0, 255, (1, 20, 30, 3)).astype("float32")
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(images)), keras.ops.convert_to_numpy(net(images))
    )


def test_training_changes_the_output(rng):
    """The layers are wired to the loss: one gradient step moves the image."""
    model = FastStyle(filters=(4, 8, 8), residual_blocks=1)
    model.build()
    images = rng.uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    before = keras.ops.convert_to_numpy(model(images))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(images, np.zeros_like(images), epochs=1, verbose=0)
    assert np.abs(keras.ops.convert_to_numpy(model(images)) - before).mean() > 1e-3


@pytest.mark.parametrize("norm", NORMS)
def test_only_map_statistics_let_a_local_spike_reach_the_far_corner(norm):
    """The droplet's mechanism (docs/style.md): a map normalised by its own
    statistics is rescaled everywhere by a spike anywhere, so a few bright
    pixels in one corner change the opposite corner, far beyond any conv's
    reach. Centring each map (no rescaling) lets the spike shift it there
    too. Batch statistics (fixed at inference), demodulated kernels and
    per-pixel normalisation keep the network local."""
    rng = np.random.default_rng(5)
    net = FastStyle(filters=(4, 8, 8), residual_blocks=1, norm=norm, activation="linear")
    net.build()
    randomize(net, rng)
    for layer in net._flatten_layers():
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_variance.assign(np.abs(layer.moving_variance.numpy()) + 0.5)
    image = rng.normal(128, 20, (1, 128, 128, 3)).astype(np.float32)
    spiked = image.copy()
    spiked[0, 4:8, 4:8] = 255.0
    change = np.abs(np.asarray(net(spiked)) - np.asarray(net(image)))
    assert change[0, :12, :12].max() > 1.0  # the spike's own place, always
    assert (change[0, -24:, -24:].max() > 1e-3) == (norm in ("instance", "centred"))


def test_residual_output_is_the_photo_plus_the_last_conv(rng):
    """activation="residual": with the last conv silenced the network gives
    the photo back exactly; with it, photo + conv * 127.5."""
    net = FastStyle(filters=(4, 8, 8), residual_blocks=1, norm="pixel", activation="residual")
    net.build()
    images = rng.uniform(0, 255, (1, 21, 19, 3)).astype("float32")
    conv = net.to_rgb[1]
    last = {}
    net.forward(images, lambda block, x: last.setdefault(id(block), _run(block, x)))
    delta = np.asarray(last[id(net.to_rgb)])
    np.testing.assert_allclose(np.asarray(net(images)), images + delta * 127.5, atol=1e-3)
    conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
    conv.bias.assign(np.zeros(conv.bias.shape, "float32"))
    np.testing.assert_array_equal(np.asarray(net(images)), images)


def _run(block, x):
    for layer in block:
        x = layer(x)
    return x
