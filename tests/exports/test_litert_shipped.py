"""Every shipped model that has graphs exports to LiteRT: builtin ops only,
its LSTM layers as LiteRT's fused sequence op,
each graph within 1e-4 of Keras (exports.verify, batch 1, row by row), the
decoders' greedy tokens equal to Keras' and, in a fresh interpreter where
TensorFlow cannot be imported, OnnxModel(..., runtime="litert") giving the
Keras model's answers."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exports.exporter import export
from tests.conftest import SPECIMENS, load, package_dir, task_of
from tests.serving import cases
from zoo.registry import list_models

# Gatys has no graph; the specimens are real-size graphs of families a user trains.
SHIPPED = [c["name"] for c in list_models() if c["task"] != "style-transfer"] + list(SPECIMENS)
RECURRENT = {"char-lm", "sentiment", "seq2seq"}  # tasks whose first graph runs a recurrent loop
LSTMS = {"lstm", "peephole", "cifg"}  # cells LiteRT's fused LSTM op computes
WITHOUT_TF = Path(__file__).parents[1] / "serving" / "onnx_without_tf.py"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("litert")
    return {
        name: export(package_dir(name), out, name=name, formats=("litert",)) for name in SHIPPED
    }


def cell_of(name):
    config = package_dir(name) / "config.json"
    return json.loads(config.read_text())["config"].get("cell")


def contract(directory):
    return json.loads((directory / "zoo.json").read_text())


@pytest.mark.artifact
@pytest.mark.parametrize("name", SHIPPED)
def test_each_graph_is_builtin_and_verified(exported, name):
    found = contract(exported[name])
    graphs = found["litert"]
    assert graphs and set(graphs) <= {p.name for p in exported[name].glob("*.tflite")}
    for filename, entry in graphs.items():
        assert 0 <= found["verified"][filename] <= 1e-4
        assert all(op.isupper() for op in entry["ops"]), entry["ops"]  # no Flex or custom op
    # A layer over a sequence, not a decoder's single step.
    fused = found["task"] in RECURRENT and cell_of(name) in LSTMS
    every_op = {op for entry in graphs.values() for op in entry["ops"]}
    assert ("UNIDIRECTIONAL_SEQUENCE_LSTM" in every_op) == fused
    encoder = graphs.get("encoder.tflite", graphs.get("model.tflite"))
    # Other recurrent loops, in builtin control flow; a CNN has none.
    assert ("WHILE" in encoder["ops"]) == (found["task"] in RECURRENT and not fused)
    if "decoder.tflite" in graphs:
        assert found["verified"]["litert greedy decoding, tokens equal"] >= 10


@pytest.mark.system
def test_the_task_api_over_litert_gives_kerass_answers_without_tensorflow(exported):
    """OnnxModel(..., runtime="litert") in a process where TensorFlow cannot
    be imported: each family's requests (tests/serving/cases) give the Keras
    model's strings and images (greedy and beam search in numpy over
    decoder.tflite)."""
    models = {}
    for name, directory in exported.items():
        task = task_of(name)
        models[name] = [str(directory.parent.parent), task, cases.for_task(task).onnx_request(name)]
    done = subprocess.run(
        [sys.executable, str(WITHOUT_TF)],
        input=json.dumps({"models": models, "runtime": "litert"}),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers = json.loads(done.stdout.splitlines()[-1])
    assert answers["loaded"] == []
    for name, (_, task, request) in models.items():
        cases.for_task(task).check_onnx(load(name), name, request, answers["outputs"][name])
