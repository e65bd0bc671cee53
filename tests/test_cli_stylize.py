"""`zoo stylize`: both model kinds (Gatys by name, a fast-style network by
its package folder) write an image of the asked size, and bad input is a
message with exit status 2, never a traceback or a file."""

import numpy as np
from PIL import Image

from training import specimens
from training.data.text_data import data_dir
from zoo import cli
from zoo.images import read_image
from zoo.models import vgg

DATA = data_dir()
PHOTO = DATA / "content" / "chelsea.jpg"  # 451 x 300
PAINTING = DATA / "styles" / "wave.jpg"
WEIGHTS = DATA / "vgg19_notop.weights.h5"
FAST = str(specimens.path("fast-style-wave"))  # a real-size network, not offered


def test_gatys_writes_an_image_of_the_asked_size(tmp_path, capsys):
    out = tmp_path / "cat.png"
    args = ["stylize", "style-transfer-vgg19", str(PHOTO), "--style", str(PAINTING)]
    status = cli.main(
        [
            *args,
            "-o",
            str(out),
            "--size",
            "96",
            "--steps",
            "3",
            "--vgg-weights",
            str(WEIGHTS),
            "--scales",
            "2",
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert read_image(out).shape == (64, 96, 3)


def test_fast_style_keeps_the_photo_size_or_resizes(tmp_path):
    out = tmp_path / "cat.jpg"
    assert cli.main(["stylize", FAST, str(PHOTO), "-o", str(out)]) == 0
    assert Image.open(out).size == (451, 300)
    assert cli.main(["stylize", FAST, str(PHOTO), "-o", str(out), "--size", "90"]) == 0
    assert Image.open(out).size == (90, 60)


def test_any_image_mode_is_accepted(tmp_path):
    rgba = Image.open(PHOTO).convert("RGBA")
    rgba.save(tmp_path / "cat.png")
    Image.open(PHOTO).convert("P").save(tmp_path / "palette.png")
    for name in ("cat.png", "palette.png"):
        out = tmp_path / f"out-{name}"
        assert cli.main(["stylize", FAST, str(tmp_path / name), "-o", str(out)]) == 0
        assert np.asarray(Image.open(out)).shape == (300, 451, 3)


def error_of(capsys, argv):
    assert cli.main(argv) == 2
    return capsys.readouterr().err


def test_bad_inputs_are_messages(tmp_path, capsys, offline_vgg):
    out = tmp_path / "out.png"
    (tmp_path / "notes.jpg").write_text("not a picture")
    (tmp_path / "empty.png").write_bytes(b"")
    fast = ["stylize", FAST]
    assert "not an image" in error_of(capsys, [*fast, str(tmp_path / "notes.jpg"), "-o", str(out)])
    assert "empty" in error_of(capsys, [*fast, str(tmp_path / "empty.png"), "-o", str(out)])
    assert "no such image" in error_of(capsys, [*fast, str(tmp_path / "nope.jpg"), "-o", str(out)])
    assert ".png" in error_of(capsys, [*fast, str(PHOTO), "-o", str(tmp_path / "out.bmp")])
    assert "--style is for" in error_of(
        capsys, [*fast, str(PHOTO), "-o", str(out), "--style", str(PAINTING)]
    )  # noqa: E501
    gatys = ["stylize", "style-transfer-vgg19", str(PHOTO), "-o", str(out)]
    assert "needs --style" in error_of(capsys, gatys)
    assert "not a style-transfer" in error_of(
        capsys, ["stylize", "date-normalizer", str(PHOTO), "-o", str(out)]
    )  # noqa: E501
    assert vgg.WEIGHTS_ENV in error_of(capsys, [*gatys, "--style", str(PAINTING), "--steps", "1"])
    assert not out.exists()
