"""Image files for style transfer: every mode becomes RGB, bad files give
clear errors, and a failed write never damages an existing file."""

import os
import stat
import warnings

import numpy as np
import pytest
from PIL import Image

from zoo.images import ImageError, read_image, write_image


def saved(tmp_path, image, name):
    path = tmp_path / name
    image.save(path)
    return path


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA", "I;16", "CMYK"])
def test_every_mode_reads_as_rgb_uint8(tmp_path, mode):
    rgb = Image.new("RGB", (20, 18), (200, 100, 50))
    image = rgb.convert(mode) if mode != "I;16" else Image.new("I;16", (20, 18), 40000)
    path = saved(tmp_path, image, "x.png" if mode != "CMYK" else "x.jpg")
    array = read_image(path)
    assert array.dtype == np.uint8 and array.shape == (18, 20, 3)


def test_transparency_is_composited_on_white(tmp_path):
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))  # fully transparent red
    image.putpixel((0, 0), (255, 0, 0, 255))
    array = read_image(saved(tmp_path, image, "a.png"))
    assert tuple(array[0, 0]) == (255, 0, 0)
    assert tuple(array[5, 5]) == (255, 255, 255)


def test_greyscale_keeps_its_values(tmp_path):
    grey = np.arange(16 * 16, dtype=np.uint8).reshape(16, 16)
    array = read_image(saved(tmp_path, Image.fromarray(grey, "L"), "g.png"))
    for channel in range(3):
        np.testing.assert_array_equal(array[..., channel], grey)


def test_oversized_images_are_shrunk_with_a_warning(tmp_path):
    path = saved(tmp_path, Image.new("RGB", (300, 100)), "big.png")
    with pytest.warns(UserWarning, match="resized to 150"):
        array = read_image(path, max_side=150)
    assert array.shape == (50, 150, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_image(path).shape == (100, 300, 3)


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such image"):
        read_image(tmp_path / "missing.jpg")
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        read_image(tmp_path / "empty.jpg")
    (tmp_path / "text.png").write_text("hello, not an image")
    with pytest.raises(ImageError, match="not an image"):
        read_image(tmp_path / "text.png")
    good = saved(tmp_path, Image.new("RGB", (64, 64), (1, 2, 3)), "whole.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(good[: len(good) // 2])
    with pytest.raises(ImageError, match="corrupt or truncated"):
        read_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageError, match="at least 16"):
        read_image(saved(tmp_path, Image.new("RGB", (8, 40)), "tiny.png"))


def test_write_round_trips_png_and_refuses_other_extensions(tmp_path, rng):
    array = rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    write_image(tmp_path / "out.png", array)
    np.testing.assert_array_equal(read_image(tmp_path / "out.png"), array)
    write_image(tmp_path / "out.jpg", array)
    assert read_image(tmp_path / "out.jpg").shape == array.shape
    with pytest.raises(ImageError, match=".jpg, .jpeg or .png"):
        write_image(tmp_path / "out.gif", array)


def test_a_failed_write_leaves_the_old_file(tmp_path, rng, monkeypatch):
    path = tmp_path / "keep.png"
    write_image(path, rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    before = path.read_bytes()

    def disk_full(self, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(Image.Image, "save", disk_full)
    with pytest.raises(OSError, match="No space"):
        write_image(path, np.zeros((16, 16, 3), np.uint8))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]  # no temp left


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600)])
def test_written_files_get_the_umask_mode_not_mkstemps(tmp_path, rng, umask, expected):
    """zoo stylize's output and export files read by other users (a server
    in a container) need the mode any file the user makes gets."""
    from exports.layout import write_atomically

    old = os.umask(umask)
    try:
        write_image(tmp_path / "out.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
        write_atomically(tmp_path / "models.config", "model_config_list {}\n")
    finally:
        os.umask(old)
    for name in ("out.png", "models.config"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name
