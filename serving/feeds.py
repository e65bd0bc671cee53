"""A predict request's inputs checked against a signature's specs before
anything runs: names, dtypes, shapes, one batch size within the server's
limit; and the outputs it asks for. Shared by the SavedModel and the
onnxruntime servables."""

import numpy as np

from serving.errors import invalid, names_shown
from serving.tensors_json import signature_named
from serving.work import check_work


class Requests:
    """What every servable answers before it runs a request, from its
    name, version, signatures, `work` terms and max_work_macs."""

    def signature(self, name):
        return signature_named(name, self.signatures, f"model {self.name} version {self.version}")

    def cost(self, signature_name, feed):
        """The multiply-adds `feed` would cost; INVALID_ARGUMENT over the
        server's budget (checked before the request is queued)."""
        name = self.signature(signature_name)
        where = f"model {self.name} version {self.version}"
        return check_work(self.work.get(name, []), feed, self.max_work_macs, where)


def checked_request(servable, signature_name, feed, output_filter=()):
    """(signature name, {input: numpy array}, outputs wanted or ()) of a
    request to `servable`; INVALID_ARGUMENT naming what is wrong."""
    name = servable.signature(signature_name)
    specs = servable.specs[name]
    arrays = checked_feed(feed, specs["inputs"], servable.max_batch)
    unknown = set(output_filter) - set(specs["outputs"])
    if unknown:
        raise invalid(
            f"unknown output(s) {names_shown(unknown)}; {name} gives {sorted(specs['outputs'])}"
        )
    return name, arrays, tuple(output_filter)


def checked_feed(feed, specs, max_batch):
    missing, extra = set(specs) - set(feed), set(feed) - set(specs)
    if missing or extra:
        raise invalid(
            f"inputs {names_shown(feed)} do not match the signature's {sorted(specs)}"
            + (f"; missing {sorted(missing)}" if missing else "")
            + (f"; unknown {names_shown(extra)}" if extra else "")
        )
    batches, arrays = set(), {}
    for key, (dtype, shape) in specs.items():
        value = np.asarray(feed[key])
        if dtype_name(value) != dtype:
            raise invalid(f"input {key!r} must be {dtype}, got {dtype_name(value)}")
        if value.ndim != len(shape) or any(
            want not in (-1, got) for want, got in zip(shape, value.shape, strict=True)
        ):
            raise invalid(f"input {key!r} must have shape {_shape(shape)}, got {value.shape}")
        if shape and shape[0] == -1:
            batches.add(value.shape[0])
        arrays[key] = value
    if len(batches) > 1:
        raise invalid(f"inputs have different batch sizes {sorted(batches)}")
    if batches and max(batches) > max_batch:
        raise invalid(f"a batch of {max(batches)} is over this server's limit {max_batch}")
    if batches and min(batches) == 0:
        raise invalid("the batch is empty")
    return arrays


def dtype_name(array):
    return "string" if array.dtype == object or array.dtype.kind in "SU" else array.dtype.name


def _shape(shape):
    return str(tuple(None if d == -1 else d for d in shape))
