"""int8 exports through `zoo export --quantize int8`: one with dynamic int8
kernels (char-lstm-shakespeare: DynamicQuantizeLSTM) and one calibrated
statically (the fast-style-wave specimen's folder: QDQ convolutions). The
gate's float32 figure is the card's own check figure, its int8 figure
what this test measures again on the published export (same fixed
subset), and both are within the tolerance."""

import json

import onnx
import pytest

import zoo
from exports.onnx_export import op_types
from serving import OnnxModel
from training import specimens
from training.core.held_out import NATS, POINTS
from training.data import text_data
from training.metrics import style_quality
from training.tasks.char_lm import CHECK_CHARS
from zoo.cli import main as zoo_main
from zoo.images import read_image

pytestmark = pytest.mark.artifact


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("int8")


def int8_export(out, name, source=None):
    """Exported as `name` (a package folder exports under its card's name)."""
    argv = ["export", str(source or name), "--quantize", "int8", "--out", str(out)]
    assert zoo_main(argv) == 0
    directory = out / name / "onnx-only" / "1"
    record = json.loads((directory / "zoo.json").read_text())["quantization"]
    return directory, record["metrics"]


def test_char_lm_int8_within_0_02_nats(out):
    directory, metrics = int8_export(out, "char-lstm-shakespeare")
    nats = metrics["nats_per_char"]
    card = zoo.load("char-lstm-shakespeare").card["metrics"]["test_check"]["nats_per_char"]
    assert nats["float32"] == pytest.approx(card, abs=1e-3)
    corpus = text_data.load_corpus("file", text_data.data_dir() / "tinyshakespeare.txt")
    again = OnnxModel(directory).nats_per_char(corpus["test"][:CHECK_CHARS])
    assert nats["int8"] == pytest.approx(again, abs=1e-4)
    assert again - card <= NATS
    assert "DynamicQuantizeLSTM" in op_types(onnx.load(str(directory / "model.onnx")))


def test_style_int8_within_half_a_point(out):
    source = specimens.path("fast-style-wave")
    directory, metrics = int8_export(out, "fast-style-wave", source)
    card = zoo.load_path(source).card["metrics"]
    assert metrics["style"]["float32"] == pytest.approx(100 * card["check"]["mean_style"], abs=0.05)
    assert metrics["blob"]["float32"] == pytest.approx(100 * card["check"]["mean_blob"], abs=0.05)
    data = text_data.data_dir()
    photos = sorted(data.glob(card["held_out_photos"]))[: card["check"]["photos"]]
    painting = read_image(data / "styles" / "wave.jpg")
    _, summary = style_quality.evaluate(
        OnnxModel(directory).stylize, painting, photos, data / "vgg19_notop.weights.h5"
    )
    assert metrics["style"]["int8"] == pytest.approx(100 * summary["mean_style"], abs=1e-3)
    assert metrics["blob"]["int8"] == pytest.approx(100 * summary["mean_blob"], abs=1e-3)
    for key in ("style", "blob"):
        assert metrics[key]["change"] <= POINTS
    ops = op_types(onnx.load(str(directory / "model.onnx")))
    assert ops.count("QuantizeLinear") > 5 and "InstanceNormalization" in ops
