"""What each kind of zoo model exports. A `Graphs` (exports.graphs.base)
gives:

- `onnx`: file name -> (function, input signature) of the ONNX graphs,
  which take and return tensors (token ids, states, uint8 images);
- `signatures`: SavedModel signature name -> (function, input signature),
  taking and returning strings for text models and images for image models;
- `examples`: inputs for each of them (warmup records, verification);
- `contract`: what an app needs beyond the graphs (vocabularies, tokens),
  written to zoo.json with the model's task.

Every function returns a dict: its keys name the outputs. Input and output
names differ (tf2onnx cannot give an output the name of an input).

Every signature bounds what a request controls before the work starts
(`limits`, recorded in zoo.json): prompt and text lengths, generated
length, and decoded pixels, which are read from the image header before
anything is decoded.

One module per task, named for it (`char-lm` -> `exports.graphs.char_lm`),
holds that family's `GRAPHS` class; `graphs_for` finds it from the model's
`task`, so a new family adds a module here and edits nothing else. Any
other Keras model exports as `tensors`: its own inputs and outputs.
"""

from exports.graphs.base import GENERIC_TASK, LIMITS, Graphs, NotExportable, check_limits
from zoo_runtime.layout import task_module

__all__ = ["LIMITS", "Graphs", "NotExportable", "check_limits", "graphs_for", "module_for"]


def graphs_for(model, limits=None, input_signature=None):
    """The Graphs of a zoo model, or of any other Keras model (its tensors
    in and out); `limits` overrides entries of LIMITS, `input_signature`
    (tf.TensorSpecs) the inputs of a Keras model."""
    task = getattr(model, "task", None)
    if task is None:
        import keras

        if not isinstance(model, keras.Model):
            raise NotExportable(f"no exporter for {type(model).__name__}: not a Keras model")
        return module_for(GENERIC_TASK).GRAPHS(model, limits, input_signature)
    return module_for(task).GRAPHS(model, limits)


def module_for(task):
    """The module that exports `task`'s graphs."""
    module = task_module(__name__, task)
    if module is None:
        raise NotExportable(f"no exporter for task {task!r}: no module for it in {__name__}")
    return module
