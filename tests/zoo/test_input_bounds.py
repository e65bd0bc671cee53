"""The Python API bounds what an input controls as the exports do
(zoo_runtime.limits), with clear errors before any work: prompts and lengths,
image sizes and values, decoded pixels from the header, lone surrogates;
and what a killed writer leaves behind (staging folders, half-published
packages, a truncated card) is cleaned, hidden or named, never listed."""

import io
import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest
from PIL import Image, ImageFile

import zoo
from zoo import registry, staging
from zoo.images import ImageError, decode_image
from zoo.models import CharLM, FastStyle
from zoo_runtime import limits
from zoo_runtime.chars import CharVocabulary

from ..serving.hostile import png_declaring
from .test_registry import package


@pytest.fixture(scope="module")
def tiny_lm():
    model = CharLM(CharVocabulary.from_text("abc ROME:\n").tokens, units=8, embedding_dim=4)
    model.build()
    return model


def test_generate_refuses_what_the_exports_refuse(tiny_lm, monkeypatch):
    with monkeypatch.context() as patch:  # refused before the prompt is read
        patch.setattr(tiny_lm, "_vocab", None)
        with pytest.raises(ValueError, match="the most read is 4,096"):
            tiny_lm.generate("ROMEO: " * 17_000, 20)
        with pytest.raises(ValueError, match="at most 4,096"):
            tiny_lm.generate("ROMEO:", limits.MAX_GENERATE_LENGTH + 1)
    assert len(tiny_lm.generate("a" * limits.MAX_PROMPT_CHARS, 3, seed=0)) == 3


@pytest.fixture(scope="module")
def tiny_style():
    model = FastStyle(filters=(4, 8, 8), residual_blocks=1)
    model.build((None, None, None, 3))
    return model


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros((0, 0, 3)), "at least 16 px"),
        (np.zeros((20, 20)), "expected \\(H, W, 3\\)"),
        (np.zeros((20, 20, 4), np.uint8), "zoo.images.as_rgb"),
        (np.full((20, 20, 3), np.nan, np.float32), "NaN"),
        (np.zeros((2049, 2048, 3), np.uint8), "the most one call stylizes is 4,194,304"),
        (np.array([["a"] * 3] * 20), "dtype"),
    ],
)
def test_stylize_checks_its_input(tiny_style, image, message):
    with pytest.raises(ImageError, match=message):
        tiny_style.stylize(image)


def test_stylize_still_takes_uint8_and_float_images(tiny_style):
    image = np.random.default_rng(0).integers(0, 256, (20, 24, 3)).astype(np.uint8)
    out = tiny_style.stylize(image)
    assert out.shape == (20, 24, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(tiny_style.stylize(image.astype(np.float32)), out)


def test_images_are_refused_from_their_header_before_decoding(monkeypatch):
    huge = png_declaring(13_000, 13_000)  # 169 Mpx; Pillow would only warn

    def decoding(image):
        raise AssertionError("the pixels were decoded")

    with monkeypatch.context() as patch:
        patch.setattr(ImageFile.ImageFile, "load", decoding)
        with pytest.raises(ImageError, match="declares 13000x13000"):
            decode_image(huge)
    with pytest.raises(ImageError, match="under 16 px on the shorter"):
        decode_image(png_declaring(16, 100_000))  # was shrunk to (1, 4096, 3)


def test_a_large_jpeg_is_decoded_scaled_down(recwarn):
    data = io.BytesIO()
    Image.new("RGB", (9000, 1200), (200, 30, 40)).save(data, "JPEG")
    image = decode_image(data.getvalue())
    assert image.shape == (546, 4096, 3)
    assert np.abs(image[0, 0].astype(int) - (200, 30, 40)).max() <= 3
    assert any("resized to 4096" in str(w.message) for w in recwarn)


def test_lone_surrogates_are_value_errors_naming_the_input():
    model = zoo.load("date-normalizer")
    with pytest.raises(ValueError, match="input 1: the text holds a lone surrogate"):
        model.translate(["abc", "a\ud800"])


# ---- debris --------------------------------------------------------------------------
WRITER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("staging", sys.argv[1])
staging = importlib.util.module_from_spec(spec)
spec.loader.exec_module(staging)
with staging.staging_folder(sys.argv[2], "staging") as folder:
    (folder / "half").write_bytes(b"x" * 1000)
    print(folder, flush=True)
    time.sleep(60)
"""


def writer(parent):
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, staging.__file__, str(parent)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_killed_writers_staging_is_removed_and_a_live_ones_kept(tmp_path):
    killed, live = writer(tmp_path), writer(tmp_path)
    try:
        dead_folder = killed.stdout.readline().strip()
        live_folder = live.stdout.readline().strip()
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait(10)
        (tmp_path / ".staging-from-an-old-export").mkdir()  # no lock file: no writer
        assert os.path.isdir(dead_folder)
        removed = staging.remove_stale(tmp_path, "staging")
        assert sorted(map(str, removed)) == sorted(
            [dead_folder, str(tmp_path / ".staging-from-an-old-export")]
        )
        assert os.path.isdir(live_folder)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
            [os.path.basename(live_folder), os.path.basename(live_folder) + ".lock"]
        )
    finally:
        live.kill()
        live.wait(10)


def test_a_staging_folder_takes_the_umask_mode(tmp_path):
    old = os.umask(0o022)
    try:
        with staging.staging_folder(tmp_path, "staging") as folder:
            assert folder.stat().st_mode & 0o777 == 0o755
    finally:
        os.umask(old)
    assert not list(tmp_path.iterdir())  # folder and lock are gone


def test_hidden_and_broken_packages_are_never_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "PRETRAINED", tmp_path)
    package(tmp_path, "char-lstm-tiny")
    for debris in (".publish-char-lstm-tiny-x1", ".char-lstm-tiny.abc"):  # killed publishes
        package(tmp_path, debris[1:])
        (tmp_path / debris[1:]).rename(tmp_path / debris)
    package(tmp_path, "char-gru-tiny")
    card = tmp_path / "char-gru-tiny" / "card.json"
    card.write_text(card.read_text()[:40])  # truncated
    with pytest.warns(UserWarning, match="char-gru-tiny.*not a valid model card"):
        assert [c["name"] for c in zoo.list_models()] == ["char-lstm-tiny"]
    with pytest.raises(zoo.UnknownModelError, match="Did you mean char-lstm-tiny"):
        zoo.load("char-lstm-tin")
    with pytest.raises(zoo.BadPackageError, match="char-gru-tiny"):
        zoo.load("char-gru-tiny")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        card.unlink()
        assert [c["name"] for c in zoo.list_models()] == ["char-lstm-tiny"]
