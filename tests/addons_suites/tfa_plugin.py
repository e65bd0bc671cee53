"""pytest plugin (`-p tests.addons_suites.tfa_plugin`): TensorFlow Addons'
own rnn and seq2seq test files, unmodified, see `zoo.addons` as
`tensorflow_addons`.

An import hook answers every `tensorflow_addons.*` name: the public API
(`tensorflow_addons.rnn`, `tensorflow_addons.seq2seq` and its submodules)
is zoo.addons itself, the same module objects; everything else (the test
files, their conftest, `utils.test_utils`, `options`) is read from TFA's
files in $ZOO_TFA_TESTS, as they are."""

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

from keras._tf_keras.keras import layers as tf_keras_layers  # what tf.keras.layers is

from zoo import layers as zoo_layers

TFA_ROOT = Path(os.environ["ZOO_TFA_TESTS"]) / "tensorflow_addons"
PREFIX = "tensorflow_addons"


def zoo_name(fullname):
    """zoo.addons' module for a TFA public name, or None for TFA's own
    files (tests, test utilities)."""
    parts = fullname.split(".")[1:]
    if not parts or parts[0] not in ("rnn", "seq2seq") or "tests" in parts:
        return None
    return ".".join(["zoo.addons", *parts])


class _Alias(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


class _Package(importlib.abc.Loader):
    """The top package: TFA's folder for its files, zoo.addons' names."""

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        addons = importlib.import_module("zoo.addons")
        for name in getattr(addons, "__all__", ()):
            setattr(module, name, getattr(addons, name))


class TfaFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == PREFIX:
            spec = importlib.machinery.ModuleSpec(fullname, _Package(), is_package=True)
            spec.submodule_search_locations = [str(TFA_ROOT)]
            return spec
        if not fullname.startswith(PREFIX + "."):
            return None
        target_name = zoo_name(fullname)
        if target_name is not None:
            target_spec = importlib.util.find_spec(target_name)
            if target_spec is None:
                return None
            package = target_spec.submodule_search_locations is not None
            return importlib.util.spec_from_loader(
                fullname, _Alias(target_name), is_package=package
            )
        return self._tfa_file(fullname)

    def _tfa_file(self, fullname):
        where = TFA_ROOT.joinpath(*fullname.split(".")[1:])
        if (where / "__init__.py").exists():
            return importlib.util.spec_from_file_location(
                fullname, where / "__init__.py", submodule_search_locations=[str(where)]
            )
        if where.with_suffix(".py").exists():
            return importlib.util.spec_from_file_location(fullname, where.with_suffix(".py"))
        if where.is_dir():  # a folder without __init__.py: a namespace package
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = [str(where)]
            return spec
        return None


sys.meta_path.insert(0, TfaFinder())

# TFA's tests build tf.keras.layers.LSTMCell / GRUCell and call Keras 2's
# get_initial_state(batch_size=, dtype=), which Keras 3's cells refuse; the
# names resolve to zoo's drop-ins, which take that form (as
# tests/keras_suites puts them in Keras' own suites).
# ZOO_TFA_KERAS_CELLS=1 leaves Keras 3's cells in place, to measure that.
CELLS = () if os.environ.get("ZOO_TFA_KERAS_CELLS") == "1" else ("LSTMCell", "GRUCell")
for _name in CELLS:
    setattr(tf_keras_layers, _name, getattr(zoo_layers, _name))


def pytest_report_header(config):
    cells = ", ".join(f"tf.keras.layers.{n}=zoo.layers.{n}" for n in CELLS)
    return f"tensorflow_addons -> zoo.addons (TFA's test files from {TFA_ROOT}); {cells}"
