"""What one request may make the server allocate, checked before anything
is allocated: a TensorProto's declared shape (a 131-byte message can
declare 200 million floats, which `tf.make_ndarray` would expand) and the
elements of a JSON tensor, each times its dtype's size, against a byte
budget shared by all of a request's inputs."""

import numpy as np

from serving.errors import invalid, shown

# DataType enum values of tensorflow/core/framework/types.proto -> bytes per
# element; strings count their bytes plus STRING_ITEM each.
ITEM_BYTES = {
    1: 4,
    2: 8,
    3: 4,
    4: 1,
    5: 2,
    6: 1,
    9: 8,
    10: 1,
    14: 2,
    17: 2,
    19: 2,
    22: 4,
    23: 8,
}
DT_STRING = 7
# What one string costs beyond its bytes, once parsed and held as an array:
# the message's string view, a Python bytes object and a pointer (measured
# about 70 B for a TensorProto's string_val; a JSON string costs as much).
STRING_ITEM = 72


class Budget:
    """Bytes a request's inputs may take once decoded; `spend` refuses
    the input that would go over."""

    def __init__(self, limit_bytes):
        self.limit, self.left = int(limit_bytes), int(limit_bytes)

    def spend(self, name, count, what):
        if count > self.left:
            raise invalid(
                f"input '{shown(name)}' {what}: {count:,} bytes, over what is left of this "
                f"server's {self.limit:,}-byte request budget"
            )
        self.left -= count


def check_declared_batch(name, proto, max_batch):
    """Refuse a TensorProto that declares a batch (its first dimension:
    every served input is batched) over `max_batch`, from its shape alone,
    before tf.make_ndarray builds it."""
    dims = proto.tensor_shape.dim
    if dims and dims[0].size > max_batch:
        raise invalid(
            f"input '{shown(name)}' declares a batch of {dims[0].size:,}; this server's limit "
            f"is {max_batch}"
        )


def proto_bytes(name, proto):
    """Bytes `proto` (a TensorProto) expands to, from its declared shape."""
    shape = proto.tensor_shape
    if shape.unknown_rank:
        raise invalid(f"input '{shown(name)}': the TensorProto declares no shape")
    dims = [d.size for d in shape.dim]
    if any(d < 0 for d in dims):
        raise invalid(f"input '{shown(name)}': declared shape {dims} has a negative dimension")
    elements = 1
    for d in dims:
        elements *= d  # Python ints: no overflow however large the claim
    if proto.dtype == DT_STRING:
        return elements * STRING_ITEM + sum(len(s) for s in proto.string_val)
    if proto.dtype not in ITEM_BYTES:
        raise invalid(f"input '{shown(name)}': TensorProto dtype {proto.dtype} is not served")
    size = elements * ITEM_BYTES[proto.dtype]
    if proto.tensor_content and len(proto.tensor_content) != size:
        raise invalid(
            f"input '{shown(name)}': tensor_content holds {len(proto.tensor_content)} bytes, "
            f"its declared shape {dims} needs {size}"
        )
    return size


def json_bytes(value, dtype):
    """Bytes a JSON tensor becomes as an array of `dtype` ("string" or a
    numpy dtype name); counted without building the array."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return len(value) * STRING_ITEM + sum(map(len, value))  # the common case, at C speed
    elements, text = 0, 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
            continue
        elements += 1
        if isinstance(item, str):
            text += len(item)
        elif isinstance(item, dict) and isinstance(item.get("b64"), str):
            text += len(item["b64"]) * 3 // 4
    if dtype == "string":
        return elements * STRING_ITEM + text
    return elements * np.dtype(dtype).itemsize
