"""TF Serving's JSON encoding of tensors (the REST `:predict` API), in
numpy: the row format (`instances` -> `predictions`) and the columnar
format (`inputs` -> `outputs`); binary strings travel as {"b64": ...},
and string outputs whose name ends in `_bytes` are sent that way.

A spec is {input name: (dtype name, shape)}, with TensorFlow's dtype names
("string", "float32", ...) and -1 for a free dimension.
"""

import base64
import binascii
import json

import numpy as np

from serving.errors import invalid, names_shown, shown
from serving.limits import Budget, json_bytes

KINDS = {"f": "a number", "i": "an integer", "u": "an integer", "b": "true or false"}


def numpy_dtype(name):
    return np.dtype(object) if name == "string" else np.dtype(name)


# ---- requests -------------------------------------------------------------------
def parse_body(raw, specs, where, budget_bytes):
    """(signature name, feed, row format) of a raw request body. `specs`:
    {signature name: input spec} of the servable (`where` names it in
    errors). A plain function of plain values, so it can run in another
    process."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise invalid(f"JSON Parse error: {type(error).__name__}: {error}") from None
    signature = body.get("signature_name") if isinstance(body, dict) else None
    if signature is not None and not isinstance(signature, str):
        raise invalid("'signature_name' must be a string")
    signature = signature_named(signature, specs, where)
    feed, rows = parse_request(body, specs[signature], Budget(budget_bytes))
    return signature, feed, rows


def signature_named(name, available, where):
    """The signature a request names (serving_default when it names none),
    if `available` has it."""
    name = name or "serving_default"
    if name not in available:
        raise invalid(f"signature '{shown(name)}' is not in {where}; it has {sorted(available)}")
    return name


def parse_request(body, spec, budget):
    """(feed {name: array}, row_format) from a decoded JSON request body;
    each input's size is charged to `budget` (serving.limits) first."""
    if not isinstance(body, dict):
        raise invalid("the request body must be a JSON object with 'instances' or 'inputs'")
    unknown = set(body) - {"signature_name", "instances", "inputs"}
    if unknown:
        raise invalid(f"unknown request fields {names_shown(unknown)}")
    if ("instances" in body) == ("inputs" in body):
        raise invalid("a request must have exactly one of 'instances' (row) or 'inputs' (columnar)")
    if "instances" in body:
        columns = _rows_to_columns(body["instances"], list(spec))
    else:
        columns = _named(body["inputs"], list(spec), "inputs")
    for name in spec:
        budget.spend(name, json_bytes(columns[name], spec[name][0]), "would take")
    return {name: to_array(columns[name], *spec[name], name) for name in spec}, "instances" in body


def _rows_to_columns(instances, names):
    if not isinstance(instances, list) or not instances:
        raise invalid("'instances' must be a non-empty list")
    rows = [_named(row, names, f"instances[{i}]") for i, row in enumerate(instances)]
    return {name: [row[name] for row in rows] for name in names}


def _named(value, names, where):
    """{input name: value}; a signature with one input may take the bare value."""
    if isinstance(value, dict) and set(value) != {"b64"}:
        missing, extra = set(names) - set(value), set(value) - set(names)
        if extra:
            raise invalid(
                f"{where}: unknown input(s) {names_shown(extra)}; the signature takes {names}"
            )
        if missing:
            raise invalid(f"{where}: missing input(s) {sorted(missing)}")
        return value
    if len(names) != 1:
        raise invalid(f"{where} must be an object naming the inputs {names}")
    return {names[0]: value}


def to_array(value, dtype, shape, name):
    """A JSON value as an array of the signature's dtype, or a clear error."""
    target = numpy_dtype(dtype)
    if dtype == "string":
        return _strings(value, name)
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nesting
        raise invalid(f"input {name!r}: lists of unequal lengths ({error})") from None
    if array.size and not _fits(array.dtype, target):
        raise invalid(
            f"input {name!r} must hold {KINDS.get(target.kind, target.name)} ({dtype}); "
            f"got {array.dtype.name} values"
        )
    if target.kind in "iu" and array.size:
        info = np.iinfo(target)
        if array.min() < info.min or array.max() > info.max:
            raise invalid(f"input {name!r}: values outside the range of {dtype}")
    return array.astype(target)


def _fits(got, target):
    if target.kind == "f":
        return got.kind in "iuf"
    if target.kind in "iu":
        return got.kind in "iu"
    return got.kind == target.kind


def _strings(value, name):
    def convert(v):
        if isinstance(v, list):
            return [convert(x) for x in v]
        if isinstance(v, str):
            try:
                return v.encode()
            except UnicodeEncodeError as error:  # JSON allows "\ud83d" alone; UTF-8 does not
                raise invalid(
                    f"input '{shown(name)}': a string holds a lone surrogate at position "
                    f"{error.start}: not valid Unicode"
                ) from None
        if isinstance(v, dict) and set(v) == {"b64"} and isinstance(v["b64"], str):
            try:
                return base64.b64decode(v["b64"], validate=True)
            except (binascii.Error, ValueError):
                raise invalid(f"input {name!r}: 'b64' holds invalid base64") from None
        raise invalid(f"input {name!r} takes strings or {{'b64': ...}}; got {type(v).__name__}")

    converted = convert(value)
    try:
        shape = np.shape(converted)
    except ValueError:
        shape = None
    if shape is None or not _rectangular(converted, shape):
        raise invalid(f"input {name!r}: lists of unequal lengths")
    array = np.empty(shape, object)
    array[...] = converted
    return array


def _rectangular(nested, shape):
    if not shape:
        return not isinstance(nested, list)
    return (
        isinstance(nested, list)
        and len(nested) == shape[0]
        and all(_rectangular(x, shape[1:]) for x in nested)
    )


# ---- responses -----------------------------------------------------------------
def format_response(outputs, row_format):
    """The JSON body for `outputs` {name: array}: `predictions` (one entry
    per row, an object when there are several outputs) or `outputs`."""
    if not row_format:
        values = {k: to_json(v, k) for k, v in outputs.items()}
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    batch = {len(v) if np.ndim(v) else None for v in outputs.values()}
    if len(batch) != 1 or None in batch:
        raise invalid(
            "outputs do not share a batch dimension; ask for the columnar format ('inputs')"
        )
    columns = {k: to_json(v, k) for k, v in outputs.items()}
    if len(columns) == 1:
        return {"predictions": next(iter(columns.values()))}
    rows = range(batch.pop())
    return {"predictions": [{k: column[i] for k, column in columns.items()} for i in rows]}


def to_json(array, name):
    array = np.asarray(array)
    if array.dtype != object and array.dtype.kind != "S":
        return array.tolist()
    binary = name.endswith("_bytes")
    return _map(array.tolist(), lambda b: _text_or_b64(b, binary))


def _text_or_b64(value, binary):
    value = value.encode() if isinstance(value, str) else bytes(value)
    if not binary:
        try:
            return value.decode()
        except UnicodeDecodeError:
            pass  # not text: fall through to base64 rather than corrupt it
    return {"b64": base64.b64encode(value).decode()}


def _map(nested, fn):
    return [_map(x, fn) for x in nested] if isinstance(nested, list) else fn(nested)


# ---- clients ---------------------------------------------------------------------
def to_wire(value):
    """Client side: arrays, bytes and lists as JSON values (bytes as b64)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, bytes | bytearray):
        return {"b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_wire(value):
    """Client side: {"b64": ...} objects back to bytes, lists to arrays."""

    def unwrap(v):
        if isinstance(v, dict) and set(v) == {"b64"}:
            return base64.b64decode(v["b64"])
        if isinstance(v, list):
            return [unwrap(x) for x in v]
        if isinstance(v, dict):
            return {k: unwrap(x) for k, x in v.items()}
        return v

    value = unwrap(value)
    if isinstance(value, dict):
        return {k: _array(v) for k, v in value.items()}
    return _array(value)


def _array(value):
    leaf = _leaf(value)
    if isinstance(value, list) and leaf is not None and not isinstance(leaf, dict):
        if isinstance(leaf, bytes | str):
            array = np.empty(np.shape(value), object)
            array[...] = value
            return array
        return np.asarray(value)
    return value


def _leaf(nested):
    while isinstance(nested, list):
        if not nested:
            return None
        nested = nested[0]
    return nested
