"""The shipped captioner's export: the same captions from Keras, the
SavedModel (uint8 images and encoded bytes) and OnnxModel; PNG alpha,
palette and 16-bit images converted alike; non-images, truncated files,
tiny images and over-large ones refused on every path."""

import io

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import zoo
from serving import OnnxModel
from training.data.features import split_names
from training.data.text_data import data_dir
from zoo.images import ImageError, decode_image, read_image

NAME = "caption-flickr8k"
FLICKR = data_dir() / "flickr8k"


@pytest.fixture(scope="module")
def exported(exported_models):
    directory = exported_models[1][NAME]
    return zoo.load(NAME), directory, tf.saved_model.load(str(directory))


@pytest.fixture(scope="module")
def photos():
    names = split_names(FLICKR, "test")[:3]
    return [read_image(FLICKR / "images" / n) for n in names]


def encoded(image, fmt="PNG", mode=None):
    buffer = io.BytesIO()
    picture = Image.fromarray(image)
    (picture.convert(mode) if mode else picture).save(buffer, fmt)
    return buffer.getvalue()


def strings(tensor):
    return [t.decode() for t in tensor.numpy()]


def test_every_path_captions_alike(exported, photos):
    model, directory, loaded = exported
    want = model.caption(photos, beam_width=1)
    served = loaded.signatures["serving_default"](image=tf.constant(np.stack(photos)))
    assert strings(served["caption"]) == want
    # PNG: Pillow and TF's JPEG decoders differ by a level on some pixels
    files = [encoded(p) for p in photos]
    as_bytes = loaded.signatures["encoded"](image_bytes=tf.constant(files))
    assert strings(as_bytes["caption"]) == want
    runtime = OnnxModel(directory)
    assert runtime.caption(photos, beam_width=1) == want
    assert runtime.caption(photos, beam_width=3) == model.caption(photos, beam_width=3)
    wide = np.asarray(Image.fromarray(photos[0]).resize((300, 180)))
    assert runtime.caption([wide], 1) == model.caption([wide], 1)


def test_alpha_palette_and_16_bit_pngs_read_alike(exported, photos):
    model, _, loaded = exported
    photo = photos[1]
    rgba = np.concatenate(
        [photo, (np.arange(224) % 256).astype(np.uint8)[None, :, None].repeat(224, 0)], -1
    )
    grey16 = Image.fromarray(photo[..., 1].astype(np.uint16) * 257)  # mode I;16
    buffer = io.BytesIO()
    grey16.save(buffer, "PNG")
    files = [encoded(rgba), encoded(photo, mode="P"), buffer.getvalue()]
    decoded = [decode_image(f) for f in files]
    np.testing.assert_array_equal(decoded[0], zoo.images.on_white(rgba))
    got = strings(loaded.signatures["encoded"](image_bytes=tf.constant(files))["caption"])
    assert got == model.caption(decoded, beam_width=1)
    runtime = OnnxModel(exported[1])
    assert runtime.caption([rgba], 1) == model.caption([rgba], 1) == got[:1]


def test_bad_images_are_refused_on_every_path(exported, photos):
    model, directory, loaded = exported
    runtime = OnnxModel(directory)
    jpeg = (FLICKR / "images" / split_names(FLICKR, "test")[0]).read_bytes()
    bad = {  # not an image, a truncated JPEG, a tiny PNG
        "not an image": b"hello, world",
        "truncated": jpeg[:3000],
        "tiny": encoded(np.zeros((8, 8, 3), np.uint8)),
    }
    for data in bad.values():
        with pytest.raises(ImageError):
            decode_image(data)
        with pytest.raises(tf.errors.InvalidArgumentError):
            loaded.signatures["encoded"](image_bytes=tf.constant([data]))
    # the header alone gets a huge image refused: nothing is decoded
    sof = jpeg.index(b"\xff\xc0") + 5  # the frame header's height and width
    huge = jpeg[:sof] + b"\x7f\xff\x7f\xff" + jpeg[sof + 4 :]  # 32767 x 32767
    assert tf.io.extract_jpeg_shape(huge).numpy().tolist()[:2] == [32767, 32767]
    with pytest.raises(tf.errors.InvalidArgumentError, match="image pixels"):
        loaded.signatures["encoded"](image_bytes=tf.constant([huge]))
    tiny = np.zeros((1, 8, 8, 3), np.uint8)
    with pytest.raises(tf.errors.InvalidArgumentError, match="image sides"):
        loaded.signatures["serving_default"](image=tf.constant(tiny))
    with pytest.raises(ValueError, match="image 0 is 8x8"):
        runtime.caption([tiny[0]])
    with pytest.raises(TypeError, match="dtype float32"):
        runtime.caption([photos[0].astype(np.float32)])
    with pytest.raises(TypeError, match="list of images"):
        runtime.caption(photos[0])
    with pytest.raises(ValueError, match="at most"):
        runtime.caption([np.zeros((4097, 4097, 3), np.uint8)])
    assert runtime.caption([]) == []


def test_export_command_passes_vgg_weights_to_the_encoder(tmp_path, capsys, offline_vgg):
    """`--vgg-weights` reaches the captioner's encoder (a missing file is
    named); without it, offline and with no $ZOO_VGG19_WEIGHTS, the error
    names the ways to give them; nothing is published either time."""
    from exports.__main__ import main

    out = ["--out", str(tmp_path), "--models-config", str(tmp_path / "models.config")]
    assert main([NAME, "--vgg-weights", str(tmp_path / "mine.h5"), *out]) == 2
    assert "mine.h5 not found" in capsys.readouterr().err
    assert main([NAME, *out]) == 2
    assert "--vgg-weights" in capsys.readouterr().err
    assert not (tmp_path / NAME).exists()
