"""The TensorFlow-free runtime install, as docs/serving.md gives it: a venv of
its own with `pip install -c constraints.txt ./serving`. There, importing
tensorflow, keras or tf2onnx fails, and OnnxModel and RestClient still give
the Keras model's strings for exported models."""

import json
import shutil
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

import zoo
from serving.server import EmbeddedServer

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = textwrap.dedent(
    """
    import importlib, json, sys
    from serving import OnnxModel, RestClient
    request = json.loads(sys.argv[1])
    missing = []
    for name in ("tensorflow", "keras", "tf2onnx", "zoo"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    lm = OnnxModel(request["lm"])
    dates = OnnxModel(request["dates"])
    rest = RestClient(request["url"], timeout=60)
    print(json.dumps({
        "missing": missing,
        "serving_from": __import__("serving").__file__,
        "runtime_from": __import__("zoo_runtime").__file__,
        "generate": lm.generate("ROMEO:", 40, temperature=0),
        "translate": dates.translate(request["texts"], beam_width=3),
        "rest": [r["output"] for r in rest.predict("date-normalizer", instances=request["texts"])],
    }))
    """
)
TEXTS = ["Tuesday, March 3rd 2015", "31/12/1999"]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    """A fresh venv holding the runtime distribution only, built from a copy
    of serving/ and zoo_runtime/ (which it ships): pip builds in the source
    tree, and a build/ left in the checkout would be installed next time
    with whatever it still holds."""
    home = tmp_path_factory.mktemp("runtime")
    skip = shutil.ignore_patterns("build", "*.egg-info", "node_modules", "__pycache__")
    for package in ("serving", "zoo_runtime"):
        shutil.copytree(ROOT / package, home / "src" / package, ignore=skip)
    source = home / "src" / "serving"
    venv.create(home / "venv", with_pip=True)
    python = home / "venv" / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "-c",
            str(ROOT / "constraints.txt"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    return home, python


def test_the_runtime_install_holds_no_tensorflow(runtime):
    _, python = runtime
    listed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"numpy", "onnxruntime", "zoo-serving"} <= names
    heavy = {"tensorflow", "tensorflow-cpu", "keras", "tf2onnx", "tensorflow-serving-api"}
    assert not names & heavy


def test_onnx_model_and_rest_client_work_there(runtime, exported_models, three_models):
    home, python = runtime
    exported = exported_models[1]
    with EmbeddedServer(three_models, rest_port=0, grpc_port=None) as server:
        request = {
            "lm": str(exported["char-lstm-shakespeare"]),
            "dates": str(exported["date-normalizer"]),
            "url": f"http://127.0.0.1:{server.rest_port}",
            "texts": TEXTS,
        }
        run = subprocess.run(
            [str(python), "-c", SCRIPT, json.dumps(request)],
            cwd=home,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.splitlines()[-1])
    assert got["missing"] == ["tensorflow", "keras", "tf2onnx", "zoo"]
    # the installed copies, not the checkout
    assert str(home) in got["serving_from"] and str(home) in got["runtime_from"]
    lm = zoo.load("char-lstm-shakespeare")
    assert got["generate"] == lm.generate("ROMEO:", 40, temperature=0)
    dates = zoo.load("date-normalizer")
    assert got["translate"] == dates.translate(TEXTS, beam_width=3)
    assert got["rest"] == dates.translate(TEXTS)
