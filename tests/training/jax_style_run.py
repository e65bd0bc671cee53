"""Run by test_fast_style_training in a fresh interpreter on Keras' JAX
backend where importing TensorFlow fails, as on a GPU host that has JAX but
no TensorFlow: trains a recipe with `python -m training`, loads the package
it wrote and writes its output for a photo.
argv: recipe, run dir, photo (.npy), output (.npy)."""

import importlib.abc
import os
import sys


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "tf2onnx", "tensorflow_datasets"):
            raise ImportError(f"{name} is blocked: this host has no TensorFlow")
        return None


sys.meta_path.insert(0, Block())
assert os.environ.get("KERAS_BACKEND") == "jax"

import numpy as np  # noqa: E402

from training.__main__ import main  # noqa: E402
from zoo import registry  # noqa: E402

recipe_path, run_dir, photo_path, out_path = sys.argv[1:5]
assert main([recipe_path, "--run-dir", run_dir, "--quiet"]) == 0
net = registry.load_path(f"{run_dir}/model")
np.save(out_path, net.stylize(np.load(photo_path)))
