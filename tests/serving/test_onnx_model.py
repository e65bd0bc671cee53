"""serving.OnnxModel runs exported graphs with numpy + onnxruntime only:
in a subprocess where importing tensorflow fails, it gives the Keras
model's strings (greedy and sampled generation, greedy and beam
translation) and images; damaged or wrong artifacts are refused clearly."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from serving import OnnxModel
from serving.onnx_model import ArtifactError
from tests.conftest import load, task_of
from tests.serving import cases

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def without_tf(exported_models):
    """Each exported model's answers from OnnxModel in a process where
    TensorFlow cannot be imported (tests/serving/cases/<task>.py asks)."""
    models = {}
    for name, directory in exported_models[1].items():
        task = task_of(name)
        models[name] = [str(directory.parent), task, cases.for_task(task).onnx_request(name)]
    script = Path(__file__).with_name("onnx_without_tf.py")
    # On stdin: the photos' pixels are far over the OS limit on argv.
    run = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps({"models": models}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return models, json.loads(run.stdout.splitlines()[-1])


def test_runs_where_tensorflow_cannot_be_imported(without_tf):
    assert without_tf[1]["loaded"] == []


def test_same_outputs_as_the_keras_models(without_tf):
    models, answers = without_tf
    for name, (_, task, request) in models.items():
        got = answers["outputs"][name]
        cases.for_task(task).check_onnx(load(name), name, request, got)


def test_a_captioner_gives_the_keras_captions(without_tf, captioner_export):
    name = captioner_export[2].parent.name
    photos = [np.asarray(p, np.uint8) for p in without_tf[0][name][2]["photos"]]
    want = [captioner_export[0].caption(photos, beam_width=w) for w in (1, 3)]
    assert without_tf[1]["outputs"][name] == want
    assert all(want[0]) and want[0][0] != want[0][1]  # words, and not one fixed string


def test_beam_search_is_exercised(without_tf):
    greedy, beam = without_tf[1]["outputs"]["date-normalizer-no-attention"]
    assert greedy != beam  # else the beam comparison above would prove nothing


def test_damaged_graph_is_refused(exported_models, tmp_path):
    copy = shutil.copytree(exported_models[1]["char-rnn-shakespeare"], tmp_path / "3")
    data = bytearray((copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        OnnxModel(copy)
    with pytest.raises(ArtifactError, match="no exported model"):
        OnnxModel(tmp_path / "nothing-here")


def test_the_class_is_the_one_zoo_json_names_and_nothing_is_guessed(exported_models, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(exported_models[1]["date-normalizer"], copy)
    assert type(OnnxModel(copy)).__name__ == "Seq2SeqOnnx"
    sidecar = json.loads((copy / "zoo.json").read_text())
    for task, message in (
        (None, "names no task"),
        ("poetry", "no app support for task 'poetry'"),
        ("../x", "names no task that apps can run"),
    ):
        (copy / "zoo.json").write_text(json.dumps({**sidecar, "task": task}))
        with pytest.raises(ArtifactError, match=message):
            OnnxModel(copy)


def test_picks_the_highest_version_and_checks_arguments(exported_models, tmp_path):
    base = tmp_path / "m"
    shutil.copytree(exported_models[1]["date-normalizer"], base / "2")
    shutil.copytree(exported_models[1]["char-rnn-shakespeare"], base / "10")
    model = OnnxModel(base)
    assert model.path.name == "10" and model.task == "char-lm"
    with pytest.raises(AttributeError, match="is a char-lm model; it has no translate"):
        model.translate(["1 Feb 2003"])
    with pytest.raises(ValueError, match="length"):
        model.generate("a", -1)
    translator = OnnxModel(base / "2")
    with pytest.raises(ValueError, match="input 0 is empty"):
        translator.translate([" "])
    with pytest.raises(TypeError, match="list of strings"):
        translator.translate("1 Feb 2003")
    with pytest.raises(ValueError, match="beam_width"):
        translator.translate(["1 Feb 2003"], beam_width=0)
