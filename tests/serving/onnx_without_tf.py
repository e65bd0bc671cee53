"""Run by test_onnx_model in a fresh interpreter where importing
tensorflow (or keras, or zoo) fails: serving.OnnxModel must not need them.
Prints the outputs as JSON."""

import importlib.abc
import json
import sys

BLOCKED = ("tensorflow", "keras", "tf2onnx", "zoo", "exports", "training")


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked: serving's ONNX path must not import it")
        return None


sys.meta_path.insert(0, Block())

import numpy as np  # noqa: E402

from serving import OnnxModel  # noqa: E402

request = json.load(sys.stdin)
out = {}
for name, (directory, task, texts, width) in request["models"].items():
    model = OnnxModel(directory)
    if task == "char-lm":
        out[name] = [
            model.generate(p, n, temperature=t, seed=s) for p, n, t, s in request["prompts"]
        ]
    elif task == "sentiment":
        reviews = request["reviews"]
        tokens, weights = model.explain(reviews[0])
        out[name] = [
            model.predict_proba(reviews).tolist(),
            model.classify(reviews),
            tokens,
            weights.tolist(),
        ]
    elif task == "seq2seq":
        out[name] = [model.translate(texts), model.translate(texts, beam_width=width)]
    elif task == "caption":
        photos = [np.asarray(p, np.uint8) for p in request["photos"]]
        out[name] = [model.caption(photos, beam_width=1), model.caption(photos, beam_width=3)]
    elif task == "fast-style":
        image = np.random.default_rng(0).integers(0, 256, (33, 40, 3)).astype(np.uint8)
        out[name] = model.stylize(image).tolist()
    else:
        raise SystemExit(f"no inputs for task {task!r}")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"outputs": out, "loaded": loaded}))
