"""What a request costs, written into zoo.json (`work`) so a server can
refuse a request over its budget before running it (serving.work reads
it). A signature's cost is a list of terms, each `macs` multiply-adds per
unit of one input:

    {"input": "prompt", "per": "byte", "macs": 695000}

"per" is one of: "row" (each batch row), "element" (each value of a
tensor: a token of padded ids), "byte" (the batch times its
longest string, in bytes: a padded batch runs that many steps), "value"
(the batch times its largest integer: a generated length), "pixel" (an
NHWC tensor's B x H x W) or "declared_pixel" (the pixels each JPEG or PNG
header declares, summed). The figures are estimates from the model's
weights and graphs: a recurrent step reads every kernel once, a
convolution costs its kernel per output pixel."""

import numpy as np
import tensorflow as tf


def term(input_name, per, macs):
    return {"input": input_name, "per": per, "macs": int(np.ceil(macs))}


def weight_macs(model, lookups=()):
    """Multiply-adds of one step through `model`: every kernel (ndim >= 2)
    read once, except the tables of the `lookups` (embeddings), which
    are read one row a token."""
    skipped = {id(w) for layer in lookups for w in layer.weights}
    return sum(
        int(np.prod(w.shape)) for w in model.weights if len(w.shape) >= 2 and id(w) not in skipped
    )


MAC_OPS = ("Conv2D", "MatMul", "BatchMatMulV2")


def graph_macs(fn, *specs):
    """Multiply-adds of `fn` traced on fully known `specs`, from its
    convolutions and matrix products."""
    graph = tf.function(fn).get_concrete_function(*specs).graph
    return sum(_op_macs(op) for op in graph.get_operations() if op.type in MAC_OPS)


def _op_macs(op):
    out, a = op.outputs[0].shape, op.inputs[0].shape
    if not (out.is_fully_defined() and a.is_fully_defined()):
        return 0  # inside a loop: not counted here
    if op.type == "Conv2D":
        return int(np.prod(out)) * int(np.prod(op.inputs[1].shape[:3]))
    inner = a[-2] if op.get_attr("transpose_a" if op.type == "MatMul" else "adj_x") else a[-1]
    return int(np.prod(out)) * int(inner)


def image_macs(fn, sides=(64, 128)):
    """(per image, per pixel) multiply-adds of `fn` on uint8 NHWC images:
    a straight line through its cost at two sizes."""
    small, large = (graph_macs(fn, tf.TensorSpec((1, side, side, 3), tf.uint8)) for side in sides)
    per_pixel = (large - small) / (sides[1] ** 2 - sides[0] ** 2)
    return max(0.0, small - per_pixel * sides[0] ** 2), per_pixel


def image_signatures(per_row, per_pixel):
    """The terms of an image model's two signatures: serving_default (a
    uint8 NHWC `image`) and encoded (`image_bytes`, sized from headers)."""
    return {
        "serving_default": [term("image", "pixel", per_pixel), term("image", "row", per_row)],
        "encoded": [
            term("image_bytes", "declared_pixel", per_pixel),
            term("image_bytes", "row", per_row),
        ],
    }
