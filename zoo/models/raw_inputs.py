"""Keras-style training on raw inputs, as keras-hub's tasks do: `fit`,
`evaluate` and `predict` take what the model's own API takes (texts, or a
tf.data.Dataset of them) as well as the encoded arrays `call` takes.

Preprocessing is part of the model: its `preprocess(x, y)` encodes one
batch by the model's tokenisation contract (zoo_runtime, the code every
runtime uses), run in the tf.data map, so the ids are those of
`predict_proba`, the SavedModel and the ONNX apps. A model that was never
compiled compiles itself with its family's defaults on the first `fit`.

    model = zoo.load("sentiment-sst2")
    model.fit(texts, labels, epochs=2, validation_data=(texts2, labels2))
    model.save_package("my-classifier")   # zoo.load_path, export, serve
"""

from pathlib import Path

import numpy as np

from zoo import package_files, staging

CHECK_CHUNK = 4096  # inputs checked per preprocess call before training


class RawInputs:
    """Mixin for a keras.Model with `preprocess(x, y=None) -> (x,) or (x, y)`
    over one numpy batch, `raw_signature(labelled)` (the same structure of
    tf.TensorSpecs), `is_raw(x)` and `compile_defaults()`."""

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """keras.Model.compile; "auto" takes the family's default."""
        defaults = self.compile_defaults()
        super().compile(
            optimizer=defaults["optimizer"] if optimizer == "auto" else optimizer,
            loss=defaults["loss"] if loss == "auto" else loss,
            metrics=defaults["metrics"] if metrics == "auto" else metrics,
            **kwargs,
        )

    def fit(self, x=None, y=None, batch_size=None, validation_data=None, shuffle=True, **kwargs):
        """keras.Model.fit, also on raw inputs (a list, or a batched
        tf.data.Dataset of raw (x, y)); raw validation_data too."""
        if self.is_raw(x):
            _refuse_with_raw(kwargs, "validation_split", "sample_weight")
            x = self.raw_dataset(x, y, batch_size, shuffle=shuffle)
            y = batch_size = None
            shuffle = False  # the dataset shuffles
        validation_data = self._validation(
            validation_data, kwargs.pop("validation_batch_size", None)
        )
        if not self.compiled:
            self.compile()
        return super().fit(
            x, y, batch_size=batch_size, validation_data=validation_data, shuffle=shuffle, **kwargs
        )

    def _validation(self, data, batch_size):
        """validation_data as fit takes it: raw as a whole (a text, a
        Dataset) or as a tuple of raw (x, y), encoded like the training data."""
        if data is not None and self.is_raw(data):
            return self.raw_dataset(data, None, batch_size)
        if isinstance(data, tuple | list) and data and self.is_raw(data[0]):
            return self.raw_dataset(*data, batch_size)
        return data

    def evaluate(self, x=None, y=None, batch_size=None, **kwargs):
        if self.is_raw(x):
            _refuse_with_raw(kwargs, "sample_weight")
            x, y, batch_size = self.raw_dataset(x, y, batch_size), None, None
        if not self.compiled:
            self.compile()
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    def predict(self, x, batch_size=None, **kwargs):
        """What `call` returns (logits for a classifier), for raw inputs too."""
        if self.is_raw(x):
            x, batch_size = self.raw_dataset(x, None, batch_size), None
        return super().predict(x, batch_size=batch_size, **kwargs)

    def raw_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None):
        """A tf.data.Dataset of encoded batches from raw `x` (and `y`).
        A list is checked whole first, so a bad item fails before training
        with its index; a Dataset (batched, of raw (x,) or (x, y)) is
        checked batch by batch as it is read."""
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            if y is not None:
                raise ValueError("with a tf.data.Dataset, put the labels in it: (x, y) batches")
            batches, labelled = x, isinstance(x.element_spec, tuple) and len(x.element_spec) > 1
        else:
            x, y = self.check_raw(x, y)
            columns = (x,) if y is None else (x, y)
            batches = tf.data.Dataset.from_tensor_slices(columns)
            if shuffle:
                batches = batches.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
            batches, labelled = batches.batch(batch_size or 32), y is not None
        signature = self.raw_signature(labelled)  # nested, as fit takes it: (x, y)
        flat = tf.nest.flatten(signature)

        def encode(*batch):
            out = tf.numpy_function(
                lambda *arrays: tf.nest.flatten(self.preprocess(*arrays)),
                list(batch[:2]),
                [spec.dtype for spec in flat],
                stateful=False,
            )
            for tensor, spec in zip(out, flat, strict=True):
                tensor.set_shape(spec.shape)
            return tf.nest.pack_sequence_as(signature, out)

        return batches.map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)

    def check_raw(self, x, y=None):
        """(x, y) as arrays tf.data takes, every item encoded once so a bad
        one fails now, named by its index."""
        x = list(x)
        if y is not None and len(y) != len(x):
            raise ValueError(f"{len(x)} inputs but {len(y)} labels")
        for start in range(0, len(x), CHECK_CHUNK):
            end = start + CHECK_CHUNK
            try:
                self.preprocess(x[start:end], None if y is None else y[start:end])
            except ValueError as error:
                raise ValueError(f"{error} (counting from {start})" if start else error) from None
        return x, None if y is None else np.asarray(y)

    def save_package(self, directory, name=None, description="", card=None, overwrite=False):
        """Write the model as a package that zoo.load_path, `zoo export`
        and `zoo serve` take: float32, no optimizer state, its card saying
        what it was trained from (`card` adds to it, e.g. the data set).
        The package appears whole or not at all."""
        directory = Path(directory)
        if directory.exists() and any(directory.iterdir()) and not overwrite:
            raise FileExistsError(f"{directory} exists; pass overwrite=True to replace it")
        card = {**self.package_card(name or directory.name, description), **(card or {})}
        with staging.staging_folder(directory.parent, f"save-{directory.name}") as folder:
            card = package_files.write_package(package_files.inference_copy(self), folder, card)
            staging.publish(folder, directory)
        return card

    def package_card(self, name, description):
        """The card of a package saved from Python: no claim about the
        data it was trained on unless the caller's card makes one."""
        base = getattr(self, "card", None)
        return {
            "name": name,
            "task": self.task,
            "description": description,
            "parameters": self.count_params(),
            "base_model": base["name"] if base else None,
            "dataset": {"name": "not recorded: saved with save_package from Python"},
            "architecture": {"class": f"zoo.models.{type(self).__name__}"},
        }


def _refuse_with_raw(kwargs, *names):
    for name in names:
        if kwargs.get(name) is not None and kwargs.get(name) != 0.0:
            raise ValueError(
                f"{name} is not taken with raw inputs: pass validation_data, or put "
                "weights in a tf.data.Dataset"
            )


def holds_strings(x):
    """Is `x` raw text: strings, or a tf.data.Dataset whose inputs are?"""
    if type(x).__module__.startswith("tensorflow") and hasattr(x, "element_spec"):
        spec = x.element_spec[0] if isinstance(x.element_spec, tuple) else x.element_spec
        return getattr(spec, "dtype", None) is not None and spec.dtype.name == "string"
    if isinstance(x, str):
        raise TypeError("pass a list of texts, not one str")
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return x.size > 0 and isinstance(x.flat[0], str | bytes)
        return x.dtype.kind in "US"
    return isinstance(x, list | tuple) and bool(x) and isinstance(x[0], str | bytes)


def as_strs(items):
    """Texts as str, whether tf.data handed them over as bytes or not."""
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in items]
