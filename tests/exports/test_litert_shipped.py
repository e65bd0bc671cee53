"""Every shipped model that has graphs exports to LiteRT: builtin ops only,
each graph within 1e-4 of Keras (exports.verify, batch 1, row by row), the
decoders' greedy tokens equal to Keras' and, in a fresh interpreter where
TensorFlow cannot be imported, the ai-edge-litert interpreter alone giving
the same numbers from the files."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import zoo
from exports.exporter import export
from exports.graphs import graphs_for
from exports.litert_export import litert_name
from exports.portable import portable
from exports.verify import _run_keras
from zoo.registry import list_models

pytestmark = pytest.mark.artifact

SHIPPED = [c["name"] for c in list_models() if c["task"] != "style-transfer"]  # Gatys: no graph
RECURRENT = {"char-lm", "sentiment", "seq2seq"}  # tasks whose first graph runs a recurrent loop
WITHOUT_TF = Path(__file__).with_name("litert_without_tf.py")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("litert")
    return {name: export(name, out, formats=("litert",)) for name in SHIPPED}


def contract(directory):
    return json.loads((directory / "zoo.json").read_text())


@pytest.mark.parametrize("name", SHIPPED)
def test_each_graph_is_builtin_and_verified(exported, name):
    found = contract(exported[name])
    graphs = found["litert"]
    assert graphs and set(graphs) <= {p.name for p in exported[name].glob("*.tflite")}
    for filename, entry in graphs.items():
        assert 0 <= found["verified"][filename] <= 1e-4
        assert all(op.isupper() for op in entry["ops"]), entry["ops"]  # no Flex or custom op
    encoder = graphs.get("encoder.tflite", graphs.get("model.tflite"))
    # The recurrent loop, in builtin control flow; a CNN has none.
    assert ("WHILE" in encoder["ops"]) == (found["task"] in RECURRENT)
    if "decoder.tflite" in graphs:
        assert found["verified"]["litert greedy decoding, tokens equal"] >= 10


def test_the_files_run_without_tensorflow(exported, tmp_path):
    """Keras' outputs for each graph's first example, computed here; the
    LiteRT files run in a fresh interpreter that cannot import TensorFlow."""
    asked, wanted = {}, {}
    for name, directory in exported.items():
        graphs = graphs_for(zoo.load(name))
        for filename, (fn, signature) in graphs.onnx.items():
            feed = graphs.examples()[filename][0]
            key, inputs = f"{name}/{litert_name(filename)}", tmp_path / f"{len(asked)}.npz"
            np.savez(inputs, **feed)
            asked[key] = [str(directory / litert_name(filename)), str(inputs)]
            with portable(graphs.model):
                wanted[key] = _run_keras(fn, signature, feed)
    done = subprocess.run(
        [sys.executable, str(WITHOUT_TF), str(tmp_path / "got")],
        input=json.dumps(asked),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["loaded"] == []
    for key, want in wanted.items():
        got = np.load(tmp_path / "got" / f"{key.replace('/', '__')}.npz")
        assert sorted(got.files) == sorted(want), key
        for output, value in want.items():
            if value.dtype.kind == "f":
                scale = max(1.0, float(np.abs(value).max()))
                assert np.abs(got[output] - value).max() <= 1e-4 * scale, (key, output)
            elif value.dtype == np.uint8:  # images: one level of rounding
                assert np.abs(got[output].astype(int) - value.astype(int)).max() <= 1, (key, output)
            else:
                np.testing.assert_array_equal(got[output], value, err_msg=f"{key} {output}")
