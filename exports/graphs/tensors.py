"""Graphs of any Keras model (Functional, Sequential or subclassed) that is
not a zoo model class: tensors in, tensors out, under the model's own input
and output names, in the SavedModel's serving_default and in model.onnx.

Input specs come from the model's `Input`s; for a model built by calling
it (a Sequential without an Input, a subclassed model) they come from the
first call's shapes, with the batch and every axis but the last left free
(pass `input_signature` to say otherwise, e.g. integer token ids)."""

import keras
import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import Graphs, NotExportable
from zoo import compat


class KerasGraphs(Graphs):
    def __init__(self, model, limits=None, input_signature=None):
        super().__init__(model, limits)
        if not model.built:
            raise NotExportable(f"{model.name} is not built: call it once (or build it) first")
        self.specs = list(input_signature) if input_signature else _input_specs(model)
        names = _declared_output_names(model) or self._called_output_names()
        inputs = {s.name for s in self.specs}
        self.output_names = [f"{n}_out" if n in inputs else n for n in names]

    @property
    def onnx(self):
        return {"model.onnx": (self.forward, self.specs)}

    @property
    def signatures(self):
        return {"serving_default": (self.forward, self.specs)}

    def work(self):
        return {
            "serving_default": [work.term(self.specs[0].name, "row", work.weight_macs(self.model))]
        }

    def forward(self, *tensors):
        outputs = self.model(_inputs_for(self.model, list(tensors)), training=False)
        flat = list(outputs.values()) if isinstance(outputs, dict) else keras.tree.flatten(outputs)
        if len(flat) != len(self.output_names):
            raise NotExportable(
                f"{self.model.name} gave {len(flat)} outputs, expected {len(self.output_names)}"
            )
        return dict(zip(self.output_names, flat, strict=True))

    def _called_output_names(self):
        """A subclassed model's outputs, from one call on the small example:
        a dict's keys, else output_0, output_1, ..."""
        feed = self.examples()["serving_default"][-1]
        tensors = [tf.constant(feed[s.name], s.dtype) for s in self.specs]
        outputs = self.model(_inputs_for(self.model, tensors), training=False)
        if isinstance(outputs, dict):
            return list(outputs)
        return [f"output_{i}" for i in range(len(keras.tree.flatten(outputs)))]

    def reference(self, signature, feed):
        tensors = [tf.constant(feed[s.name], s.dtype) for s in self.specs]
        return {k: np.asarray(v) for k, v in self.forward(*tensors).items()}

    def examples(self):
        """Two batches per input: random values, integer ids with padding
        (zeros) at the end, at the start and in the middle of rows."""
        rng = np.random.default_rng(0)
        vocab = _smallest_vocabulary(self.model)
        feeds = []
        for batch, steps in ((3, 7), (1, 4)):
            feed = {}
            for spec in self.specs:
                shape = [batch] + [d if d is not None else steps for d in spec.shape[1:]]
                feed[spec.name] = _example(rng, shape, spec.dtype, vocab)
            feeds.append(feed)
        return {"model.onnx": feeds, "serving_default": feeds}

    def contract(self):
        return {
            **super().contract(),
            "class": type(self.model).__name__,
            "inputs": [s.name for s in self.specs],
            "outputs": self.output_names,
        }


def _input_specs(model):
    inputs = getattr(model, "inputs", None)
    if inputs and _declared(model):
        return [
            tf.TensorSpec((None, *t.shape[1:]), t.dtype, name=_name(t.name, f"input_{i}"))
            for i, t in enumerate(inputs)
        ]
    shapes = list((getattr(model, "_build_shapes_dict", None) or {}).values())
    if not shapes and inputs:
        shapes = [tuple(t.shape) for t in inputs]
    if not shapes:
        raise NotExportable(
            f"cannot tell {model.name}'s inputs: call it once, or pass input_signature="
        )
    dtype = model.input_dtype
    return [
        tf.TensorSpec(
            (None, *[None] * (len(s) - 2), s[-1]) if len(s) > 2 else (None, *s[1:]),
            dtype,
            name=f"input_{i}",
        )
        for i, s in enumerate(shapes)
    ]


def _declared(model):
    """True where the inputs come from `keras.Input` (a free batch axis),
    not from the shapes of a first call."""
    return all(t.shape[0] is None for t in model.inputs)


def _name(name, fallback):
    """A tensor's own name, unless Keras made it up (keras_tensor_12)."""
    return fallback if not name or name.startswith("keras_tensor") else name


def _declared_output_names(model):
    """The output names a Sequential or Functional model declares, or None."""
    if isinstance(model, keras.Sequential):
        return [model.layers[-1].name]
    return list(model.output_names) if getattr(model, "output_names", None) else None


def _inputs_for(model, tensors):
    """The model's call argument: its own input structure for a Functional
    model (a list, a dict...), else one tensor or a list."""
    structure = compat.input_structure(model)
    if structure is not None:
        return keras.tree.pack_sequence_as(structure, tensors)
    return tensors[0] if len(tensors) == 1 else tensors


def _smallest_vocabulary(model):
    sizes = [
        layer.input_dim
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.Embedding)
    ]
    return min(sizes) if sizes else 10


def _example(rng, shape, dtype, vocab):
    if dtype.is_floating:
        return rng.normal(size=shape).astype(dtype.as_numpy_dtype)
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    if not dtype.is_integer:
        raise NotExportable(f"no example values for a {dtype.name} input; export its tensors")
    ids = rng.integers(1, max(vocab, 2), shape).astype(dtype.as_numpy_dtype)
    if len(shape) == 2 and shape[0] >= 3 and shape[1] >= 4:
        ids[0, -2:] = 0  # right padding
        ids[1, :2] = 0  # left padding
        ids[2, 1] = 0  # a hole
    return ids


GRAPHS = KerasGraphs
