"""int8 exports (exports.quantize) of tiny random translators: int8
kernels in the graphs, search.onnx composed from them, the gate's record
in zoo.json equal to a fresh measurement of the published export, and an
export whose metric drops by more than its tolerance refused with the
figure, nothing published."""

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from exports.exporter import export
from exports.onnx_export import op_types
from exports.quantize import QualityError
from serving import OnnxModel
from tests.zoo.test_seq2seq import TEXTS, tiny
from training.core.held_out import Judge


def closeness_judge(model, tolerance):
    """-1000 x mean |greedy log-probability - Keras'| over TEXTS: 0 for
    the Keras model, below 0 for a graph that rounds differently."""
    source = model.encode_texts(TEXTS)
    want = np.asarray(model.decode(source)[1])

    def score(subject):
        if isinstance(subject, Path):
            session = ort.InferenceSession(str(subject / "search.onnx"))
            feed = {"source_ids": source, "beam_width": np.array(1, np.int64)}
            feed["length_penalty"] = np.array(0.0, np.float32)
            feed["no_repeat_ngram_size"] = np.array(0, np.int64)
            got = session.run(["log_prob"], feed)[0]
        else:
            got = np.asarray(subject.decode(source)[1])
        return {"closeness": -1000 * float(np.abs(got - want).mean())}

    return Judge("TEXTS, greedy", {"closeness": (True, tolerance)}, score)


@pytest.fixture(scope="module", params=["lstm", "gru"])
def int8_export(request, tmp_path_factory):
    model = tiny(attention="bahdanau", cell=request.param, max_output_length=9, scale=1.2)
    out = tmp_path_factory.mktemp("int8")
    judge = closeness_judge(model, tolerance=1e9)
    directory = export(model, out, ("onnx",), name="tiny", quantize="int8", judge=judge)
    return model, directory, judge


def test_the_graphs_hold_int8_kernels(int8_export):
    model, directory, _ = int8_export
    encoder = op_types(onnx.load(str(directory / "encoder.onnx")))
    search = op_types(onnx.load(str(directory / "search.onnx")))
    if model.cell_name == "lstm":
        assert "DynamicQuantizeLSTM" in encoder and "LSTM" not in encoder
    else:  # onnxruntime has no int8 GRU: its matrix products are int8
        assert "GRU" in encoder
    assert "MatMulInteger" in search or "DynamicQuantizeMatMul" in search
    assert "Loop" in search


def test_zoo_json_records_what_the_published_export_measures(int8_export):
    model, directory, judge = int8_export
    record = json.loads((directory / "zoo.json").read_text())["quantization"]
    assert record["scheme"] == "int8" and record["held_out"] == "TEXTS, greedy"
    assert record["method"]["search.onnx"] == "composed from the int8 graphs"
    assert record["method"]["decoder.onnx"].startswith("dynamic")
    closeness = record["metrics"]["closeness"]
    assert closeness["float32"] == 0.0
    again = judge.measure(directory)["closeness"]
    assert closeness["int8"] == pytest.approx(again, abs=1e-4) and again < 0
    translations = OnnxModel(directory).translate(TEXTS, beam_width=3)
    assert len(translations) == len(TEXTS) and all(isinstance(t, str) for t in translations)


def test_an_export_worse_than_its_tolerance_is_refused_and_not_published(tmp_path):
    model = tiny(attention="bahdanau", cell="lstm", max_output_length=9, scale=1.2)
    judge = closeness_judge(model, tolerance=0.0)
    with pytest.raises(QualityError, match=r"closeness 0 -> -\d") as refused:
        export(model, tmp_path, ("onnx",), name="tiny", quantize="int8", judge=judge)
    assert "at most 0 lower allowed" in str(refused.value)
    home = tmp_path / "tiny" / "onnx-only"
    assert not [p for p in home.iterdir() if p.name.isdigit()]


def test_int8_needs_onnx_only_and_a_judge(tmp_path):
    model = tiny(attention="bahdanau", cell="gru", max_output_length=9)
    judge = closeness_judge(model, 1.0)
    with pytest.raises(ValueError, match=r"holds one format: pass formats=\('onnx',\)"):
        export(model, tmp_path, ("savedmodel", "onnx"), quantize="int8", judge=judge)
    with pytest.raises(ValueError, match="needs a judge"):
        export(model, tmp_path, ("onnx",), quantize="int8")
    with pytest.raises(ValueError, match="quantization must be one of"):
        export(model, tmp_path, ("onnx",), quantize="int4", judge=judge)


def test_a_model_without_a_held_out_judge_is_refused_by_name():
    from training.core.held_out import judge_for

    class Unjudged:
        task = "style-transfer"  # an optimisation: no int8 export
        card = {"name": "style-transfer-vgg19"}

    with pytest.raises(ValueError, match="style-transfer model has no int8 export"):
        judge_for(Unjudged())
