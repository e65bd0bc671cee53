"""Run by test_onnx_model (and, with "runtime": "litert", by
test_litert_shipped) in a fresh interpreter where importing tensorflow (or
keras, or zoo) fails: serving.OnnxModel must not need them. Prints the
outputs as JSON."""

import importlib.abc
import json
import sys
from pathlib import Path

BLOCKED = ("tensorflow", "keras", "tf2onnx", "zoo", "exports", "training")


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: serving's ONNX path must not import it")
        return None


sys.meta_path.insert(0, Block())

from serving import OnnxModel  # noqa: E402

# The per-task cases (tests/serving/cases) import numpy only at module level.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.serving import cases  # noqa: E402

request = json.load(sys.stdin)
out = {}
for name, (directory, task, asked) in request["models"].items():
    model = OnnxModel(directory, runtime=request.get("runtime", "onnxruntime"))
    out[name] = cases.for_task(task).run_onnx(model, asked)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"outputs": out, "loaded": loaded}))
