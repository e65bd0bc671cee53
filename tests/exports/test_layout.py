"""The one layout rule TF Serving and the embedded server both follow:
every numbered folder in a base path holds a SavedModel; an ONNX-only
export goes to <base>/onnx-only/<N>, numbered with the others.
models.config survives two exporters at once; verification failures are
their own exception, and the greedy check compares real tokens."""

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from exports import export, layout
from exports import verify as verify_module
from exports.verify import VerificationError
from serving import OnnxModel
from zoo import layers
from zoo_runtime.layout import versions as served_versions


def tiny_model():
    model = keras.Sequential([keras.Input((None, 3), name="x"), layers.GRU(4)], name="tiny")
    return model


def test_an_onnx_only_export_is_never_a_numbered_tf_serving_version(tmp_path):
    model = tiny_model()
    first = export(model, tmp_path)
    onnx_only = export(model, tmp_path, formats=("onnx",))
    third = export(model, tmp_path)
    base = tmp_path / "tiny"
    assert first == base / "1" and third == base / "3"
    assert onnx_only == base / "onnx-only" / "2"
    numbered = sorted(p.name for p in base.iterdir() if p.name.isdigit())
    assert numbered == ["1", "3"] and all((base / n / "saved_model.pb").is_file() for n in numbered)
    assert served_versions(base, "saved_model.pb") == [1, 3]  # what the embedded server loads
    config = layout.read_models_config(tmp_path / "models.config").model_config_list.config
    assert [entry.name for entry in config] == ["tiny"]
    assert OnnxModel(base).path == third
    export(model, tmp_path, formats=("onnx",))
    assert OnnxModel(base).path == base / "onnx-only" / "4"  # the newest export, whichever kind


def test_a_base_with_only_onnx_exports_is_left_out_of_models_config(tmp_path):
    export(tiny_model(), tmp_path, formats=("onnx",))
    assert (
        not (tmp_path / "models.config").exists()
        or not layout.read_models_config(tmp_path / "models.config").model_config_list.config
    )


WRITER = textwrap.dedent(
    """
    import sys
    from exports import layout
    out, label = sys.argv[1], sys.argv[2]
    for i in range(40):
        layout.models_config(out, f"{out}/models.config",
                             labels={"m%d" % (i % 3): {label: 1 + i % 2}})
    """
)


def test_two_processes_rewriting_models_config_at_once(tmp_path):
    for i in range(3):
        for version in (1, 2):
            folder = tmp_path / f"m{i}" / str(version)
            folder.mkdir(parents=True)
            (folder / "saved_model.pb").write_bytes(b"")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), label], stderr=subprocess.PIPE, text=True
        )
        for label in ("stable", "canary")
    ]
    for writer in writers:
        assert writer.wait(timeout=300) == 0, writer.stderr.read()
    config = layout.read_models_config(tmp_path / "models.config").model_config_list.config
    assert [entry.name for entry in config] == ["m0", "m1", "m2"]
    for entry in config:
        assert set(entry.version_labels) == {"stable", "canary"}  # neither writer's work lost
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_verification_failure_is_its_own_error_and_publishes_nothing(tmp_path, monkeypatch):
    assert not issubclass(VerificationError, AssertionError)
    monkeypatch.setattr(verify_module, "TOLERANCE", -1.0)  # nothing can agree to this
    with pytest.raises(VerificationError, match="max |difference|"):
        export(tiny_model(), tmp_path)
    assert not list((tmp_path / "tiny").glob("[0-9]*"))


def test_the_greedy_check_compares_real_tokens_and_fails_on_a_mismatch(exported_models):
    import json

    from exports.graphs import graphs_for

    directory = exported_models[1]["date-normalizer"]
    verified = json.loads((directory / "zoo.json").read_text())["verified"]
    assert verified["greedy decoding, tokens equal"] >= 20  # 3 dates x 10 characters

    graphs = graphs_for(__import__("zoo").load("date-normalizer"))
    examples = graphs.examples()
    real = graphs.greedy_ids
    graphs.greedy_ids = lambda feed: np.roll(np.asarray(real(feed)), 1, axis=1)
    with pytest.raises(VerificationError, match="greedy decoding"):
        verify_module.check_greedy(graphs, verify_module.onnx_runs(directory), examples)
