"""Keras' GroupNormalization with one group per channel, as ONNX's
InstanceNormalization.

tf2onnx writes the layer as it is in TensorFlow: a reshape to (B, H, W,
groups, channels / groups), two ReduceMeans over it (mean, then variance)
and the affine arithmetic. onnxruntime runs those ReduceMeans over an NHWC
tensor slowly: 34% of a fast style network's time at 512 px, more than
its convolutions. With one channel per group the layer is instance
normalisation, which onnxruntime runs as one fused kernel between
transposes its layout optimiser cancels against the convolutions' own
(fast-style-wave at 512 px: 1.00 s -> 0.57 s).

The layer is found by the names tf2onnx keeps from TensorFlow's ops
(`<layer>/moments/mean`, `<layer>/Reshape_3`, ...); a graph without them
is returned unchanged, and the export's parity check (exports.verify)
compares the result with Keras either way.
"""

import numpy as np
from onnx import helper, numpy_helper

# The ops of one GroupNormalization, by the name tf2onnx gives each.
MEAN, ENTRY, SCALE, EPSILON, SHIFT, EXIT = (
    "moments/mean",
    "Reshape",
    "mul",
    "add",
    "add_1",
    "Reshape_3",
)


def with_instance_norm(model):
    """`model` (an onnx ModelProto, edited in place and returned) with each
    one-channel-per-group GroupNormalization replaced by Transpose (to
    NCHW), InstanceNormalization, Transpose (back to NHWC)."""
    graph = model.graph
    nodes = {n.name: n for n in graph.node}
    constants = {i.name: i for i in graph.initializer}
    replaced = {}  # the layer's last node -> the nodes that replace the layer
    for node in graph.node:
        if node.op_type == "ReduceMean" and node.name.endswith("/" + MEAN):
            prefix = node.name[: -len(MEAN) - 1]
            found = _layer(prefix, nodes, constants)
            if found is not None:
                replaced[f"{prefix}/{EXIT}"] = _instance_norm(graph, prefix, *found)
    if not replaced:
        return model
    ordered = []
    for node in graph.node:  # the new nodes where the layer ended: still topological
        ordered.extend(replaced.get(node.name, [node]))
    _keep_live(graph, ordered)
    return model


def _layer(prefix, nodes, constants):
    """(input, output, scale, shift, epsilon) of the layer at `prefix`, or
    None if it is not one group per channel (or not this pattern)."""
    ops = {k: nodes.get(f"{prefix}/{k}") for k in (ENTRY, SCALE, EPSILON, SHIFT, EXIT)}
    if any(op is None for op in ops.values()):
        return None
    scale = _constant(ops[SCALE].input, constants)
    shift = _constant(ops[SHIFT].input, constants)
    epsilon = _constant(ops[EPSILON].input, constants)
    if scale is None or shift is None or epsilon is None or epsilon.size != 1:
        return None
    if scale.ndim != 5 or scale.shape[-1] != 1 or shift.shape != scale.shape:
        return None  # (1, 1, 1, groups, channels per group): more than one channel per group
    return ops[ENTRY].input[0], ops[EXIT].output[0], scale.ravel(), shift.ravel(), float(epsilon)


def _constant(names, constants):
    found = [numpy_helper.to_array(constants[n]) for n in names if n in constants]
    return found[0] if len(found) == 1 else None


def _instance_norm(graph, prefix, x, y, scale, shift, epsilon):
    names = {k: f"{prefix}/instance_norm/{k}" for k in ("scale", "shift", "nchw", "normed")}
    graph.initializer.extend(
        [
            numpy_helper.from_array(scale.astype(np.float32), names["scale"]),
            numpy_helper.from_array(shift.astype(np.float32), names["shift"]),
        ]
    )
    to_nchw, to_nhwc = f"{prefix}/to_nchw", f"{prefix}/to_nhwc"
    return [
        helper.make_node("Transpose", [x], [names["nchw"]], to_nchw, perm=[0, 3, 1, 2]),
        helper.make_node(
            "InstanceNormalization",
            [names["nchw"], names["scale"], names["shift"]],
            [names["normed"]],
            f"{prefix}/instance_norm",
            epsilon=epsilon,
        ),
        helper.make_node("Transpose", [names["normed"]], [y], to_nhwc, perm=[0, 2, 3, 1]),
    ]


def _keep_live(graph, nodes):
    """The graph's nodes become `nodes` less those no output depends on
    (the replaced layers' remains), and its initializers those still read.
    (No subgraphs here: a style network has no Loop or If.)"""
    producer = {out: k for k, n in enumerate(nodes) for out in n.output}
    live, wanted = set(), [o.name for o in graph.output]
    while wanted:
        k = producer.get(wanted.pop())
        if k is not None and k not in live:
            live.add(k)
            wanted.extend(nodes[k].input)
    kept = [n for k, n in enumerate(nodes) if k in live]
    read = {i for n in kept for i in n.input}
    constants = [c for c in graph.initializer if c.name in read]
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(constants)
