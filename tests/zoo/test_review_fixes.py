"""Defects found in reading the code, each pinned by a test that failed
before its fix: EXIF orientation, StyleTransfer's stale loss, attention
masks under float16, whitespace-only text, the atomic package publish and
the bounded cache of compiled decoders."""

import os
import threading

import keras
import numpy as np
import pytest
from PIL import Image

from zoo import staging
from zoo.images import read_image
from zoo.layers import BahdanauAttention, LuongAttention
from zoo.models import StyleTransfer, encoder_decoder
from zoo.models import style_transfer as style_module

from .test_seq2seq import TEXTS, tiny


def test_read_image_applies_the_exif_orientation(tmp_path):
    """A phone stores sensor rows plus 'rotate 90° clockwise to view'
    (orientation 6): the left half of the stored image is the top of the
    photo as seen."""
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = (255, 0, 0)
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6
    path = tmp_path / "phone.png"
    image.save(path, exif=exif)
    upright = read_image(path)
    assert upright.shape == (40, 20, 3)
    assert upright[:20, :, 0].mean() > 250 and upright[20:, :, 0].mean() < 5


def test_style_transfer_rebuilds_its_loss_when_settings_change(monkeypatch):
    built = []

    class Recorder:
        def __init__(self, weights, content_layer, style_layers, alpha, beta, tv):
            built.append((weights, content_layer, alpha, tv))

    monkeypatch.setattr(style_module.vgg, "Perceptual", Recorder)
    model = StyleTransfer(weights="first.h5")
    first = model.loss
    assert model.loss is first and len(built) == 1  # cached while nothing changes
    model.weights = "second.h5"
    assert model.loss is not first
    model.tv_weight = 0.5
    _ = model.loss
    model.content_style_ratio = 1e-2
    _ = model.loss
    model.style_layers["block1_conv1"] = 1.0
    _ = model.loss
    assert [b[0] for b in built] == ["first.h5", "second.h5", "second.h5", "second.h5", "second.h5"]
    assert built[2][3] == 0.5 and built[3][2] == 1e-2 and len(built) == 5


@pytest.mark.parametrize("make", [lambda: BahdanauAttention(6), lambda: LuongAttention()])
def test_masked_attention_stays_finite_in_float16(make):
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(-1e9)), "the old mask value overflows float16"
    layer = make()
    layer.dtype_policy = keras.DTypePolicy("float16")
    rng = np.random.default_rng(0)
    query = rng.normal(size=(3, 6)).astype("float16")
    memory = rng.normal(size=(3, 5, 6)).astype("float16")
    mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    _, weights = layer(query, memory, memory_mask=mask)
    weights = np.asarray(weights, np.float32)
    assert np.isfinite(weights).all()
    np.testing.assert_array_equal(weights[1], 0.0)  # no real position: all zero
    assert (weights[0, 3:] == 0).all()
    np.testing.assert_allclose(weights[[0, 2]].sum(-1), 1.0, atol=5e-3)


@pytest.mark.parametrize("text", ["", "   ", "\t\n", " \r\f\v "])
def test_blank_text_is_refused_by_translate(text):
    with pytest.raises(ValueError, match="empty or only whitespace"):
        tiny().translate(["fine 12", text])


def test_the_compiled_decoder_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(encoder_decoder, "DECODER_CACHE", 2)  # two compiles, not eight
    model = tiny()
    ids = model.encode_texts(TEXTS[:2])
    for penalty in np.linspace(0, 1, encoder_decoder.DECODER_CACHE + 2):
        model.decode(ids, beam_width=2, length_penalty=float(penalty))
    assert len(model._decoders) == encoder_decoder.DECODER_CACHE
    newest = (2, 1.0, model.max_output_length, (), 0)  # ..., no_repeat_ngram_size
    assert newest in model._decoders  # the newest kept


@pytest.mark.parametrize("beam_width", [1, 3])
def test_one_trace_serves_every_batch_size_and_length(beam_width):
    """Each call below has a new batch size and longest text: a trace per
    shape took 1.6-3.2 s a call and warned of retracing."""
    model = tiny()
    alone = [model.translate([text], beam_width=beam_width)[0] for text in TEXTS[:4]]
    for n in (2, 3, 4):
        assert model.translate(TEXTS[:n], beam_width=beam_width) == alone[:n]
    (decoder,) = model._decoders._functions.values()
    assert decoder.experimental_get_tracing_count() == 1


def package(path, marker):
    path.mkdir()
    for i in range(20):
        (path / f"part{i}").write_text(marker)
    return path


def test_publish_swaps_packages_so_readers_never_see_a_gap(tmp_path):
    destination = package(tmp_path / "model", "old")
    new = [package(tmp_path / f"new{i}", f"v{i}") for i in range(15)]
    seen, stop = [], threading.Event()

    def reader():  # one listing is one look at the folder: whole, partial or gone
        while not stop.is_set():
            try:
                fd = os.open(destination, os.O_RDONLY | os.O_DIRECTORY)
            except FileNotFoundError:
                seen.append(0)
                continue
            try:
                names = os.listdir(fd)
                # A folder swapped out while listed is the old package, being
                # deleted under the reader: not what the name shows now.
                if os.fstat(fd).st_ino == os.stat(destination).st_ino:
                    seen.append(len(names))
            except FileNotFoundError:
                seen.append(0)
            finally:
                os.close(fd)

    thread = threading.Thread(target=reader)
    thread.start()
    for source in new:
        staging.publish(source, destination)
    stop.set()
    thread.join()
    assert len(seen) > 100 and set(seen) == {20}
    assert {p.read_text() for p in destination.iterdir()} == {"v14"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failed_publish_leaves_the_old_package(tmp_path):
    destination = package(tmp_path / "model", "old")
    with pytest.raises(FileNotFoundError):
        staging.publish(tmp_path / "no-such-run", destination)
    assert {p.read_text() for p in destination.iterdir()} == {"old"}
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
