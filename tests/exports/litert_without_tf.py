"""Run by test_litert_shipped in a fresh interpreter where importing
tensorflow (or keras, or any stage package) fails: a LiteRT export must
run with ai-edge-litert, numpy and zoo_runtime alone. Reads {key: [tflite
file, npz of inputs]} as JSON on stdin, writes each key's outputs to
<out>/<key with / as __>.npz and prints the blocked modules it saw loaded."""

import importlib.abc
import json
import sys
from pathlib import Path

BLOCKED = ("tensorflow", "keras", "tf2onnx", "zoo", "exports", "training", "serving")


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: a LiteRT app must not need it")
        return None


sys.meta_path.insert(0, Block())
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

from zoo_runtime.litert import LiteRTGraph  # noqa: E402

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
for key, (model_path, inputs) in json.load(sys.stdin).items():
    graph = LiteRTGraph(Interpreter(model_path=model_path))
    feed = dict(np.load(inputs))
    np.savez(out / f"{key.replace('/', '__')}.npz", **graph.run(feed))
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"loaded": loaded}))
