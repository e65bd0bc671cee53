"""`search.onnx`: an encoder-decoder's whole search in one ONNX graph,
composed from its `encoder.onnx` and `decoder.onnx`, so that an app in any
language translates or captions by one `Run` call.

Inputs: the encoder's own (source ids or an image), `beam_width` (int64
scalar, 1 to MAX_BEAM_WIDTH; 1 is greedy), `length_penalty` (float
scalar, Wu et al.'s weight; 0 for none) and `no_repeat_ngram_size` (int64
scalar, 0 to MAX_NGRAM_SIZE, 0 for none: no output holds any n-gram twice).
Outputs: `ids` (B, max_length) int32, padded after each row's end;
`log_prob` (B,), the chosen beam's summed log-probability, and
`log_prob_per_token` (B,), that divided by the tokens it chose (END
included); `steps`, how many decoder steps ran.

The search is zoo.decoding's `Search.beam` in ONNX ops, step for step: the
same banned ids, the same "a finished beam goes on with PAD at no cost",
TopK over beam x vocabulary (ties to the lower index, as keras.ops.top_k),
the best beam by log p / ((5 + length) / 6) ** length_penalty at the end.
It runs as a `Loop` that stops once every beam of every row has ended:
from there on zoo.decoding's fixed-length loop only appends padding, so
the answers are the same. With one beam it is greedy decoding.
"""

import numpy as np
import onnx
from onnx import TensorProto, compose, helper, numpy_helper

from zoo_runtime.limits import MAX_BEAM_WIDTH, MAX_NGRAM_SIZE
from zoo_runtime.search import NEG

FILE = "search.onnx"


class _Nodes:
    """Nodes of one graph with fresh names; constants go to the outer
    graph's initializers, which a Loop body may read."""

    def __init__(self, prefix, constants):
        self.prefix, self.nodes, self.constants, self.count = prefix, [], constants, 0

    def fresh(self, hint):
        self.count += 1
        return f"{self.prefix}{hint}_{self.count}"

    def const(self, value, dtype):
        name = f"{self.prefix}const_{len(self.constants)}"
        self.constants.append(numpy_helper.from_array(np.asarray(value, dtype), name))
        return name

    def op(self, op_type, *inputs, outputs=1, name=None, **attributes):
        outs = [self.fresh(op_type) for _ in range(outputs)]
        node = helper.make_node(op_type, list(inputs), outs, name=name or outs[0], **attributes)
        self.nodes.append(node)
        return outs[0] if outputs == 1 else outs

    def rename(self, source, target):
        self.nodes.append(helper.make_node("Identity", [source], [target], name=f"{target}/in"))


def max_beam_width(vocab_size, banned):
    """The widest beam a search graph takes: MAX_BEAM_WIDTH, and never more
    beams than ids that may be chosen (or ruled-out ids would fill them)."""
    return min(MAX_BEAM_WIDTH, vocab_size - len(set(banned)))


def contract(vocab_size, banned, max_length):
    """What zoo.json says of search.onnx."""
    return {
        "file": FILE,
        "inputs": "the encoder's, beam_width (int64 scalar, 1 = greedy), "
        "length_penalty (float32 scalar, 0 = none), no_repeat_ngram_size (int64 scalar, "
        "0 = none: no output holds any n-gram twice)",
        "outputs": "ids (B, max_length) int32, padded after end; log_prob (B,); "
        "log_prob_per_token (B,): log_prob / the tokens chosen, end included; "
        "steps (int64 scalar): decoder steps run",
        "max_beam_width": max_beam_width(vocab_size, banned),
        "max_length": max_length,
    }


def with_checked_ids(model, id_inputs):
    """`model` whose inputs named in `id_inputs` ({name: vocabulary size})
    are checked first: not empty (onnxruntime's recurrent kernels crash on
    a batch of none), ids of that vocabulary. A bad input is refused with
    an error that names it."""
    checked = onnx.ModelProto()
    checked.CopyFrom(model)
    constants = []
    checks = _Nodes("checks/", constants)
    renamed = {name: _checked_ids(checks, name, size) for name, size in id_inputs.items()}
    for node in checked.graph.node:
        node.input[:] = [renamed.get(i, i) for i in node.input]
    nodes = [*checks.nodes, *checked.graph.node]
    del checked.graph.node[:]
    checked.graph.node.extend(nodes)
    checked.graph.initializer.extend(constants)
    onnx.checker.check_model(checked)
    return checked


def search_model(encoder, decoder, *, banned, start, end, pad, max_length):
    """The ModelProto of the whole search over `encoder` and `decoder`
    (ModelProtos written by exports.onnx_export)."""
    encoder = compose.add_prefix(encoder, "encoder/")
    decoder = compose.add_prefix(decoder, "decoder/")
    vocab = _last_dim(decoder.graph.output, "decoder/logits")
    step_inputs = [i.name.removeprefix("decoder/") for i in decoder.graph.input]
    states = [n for n in step_inputs if n.startswith("state_")]
    context = [n for n in step_inputs if n != "token_ids" and n not in states]
    constants = list(encoder.graph.initializer) + list(decoder.graph.initializer)

    outer = _Nodes("search/", constants)
    for value in encoder.graph.input:
        outer.rename(value.name.removeprefix("encoder/"), value.name)
    outer.nodes.extend(encoder.graph.node)
    k = _checked_int(outer, "beam_width", 1, max_beam_width(vocab, banned))
    ngram = _checked_int(outer, "no_repeat_ngram_size", 0, MAX_NGRAM_SIZE)
    k1 = outer.op("Reshape", k, outer.const([1], np.int64))
    first_input = encoder.graph.input[0].name.removeprefix("encoder/")
    batch = outer.op("Gather", outer.op("Shape", first_input), outer.const(0, np.int64), axis=0)
    rows = outer.op("Range", outer.const(0, np.int64), batch, outer.const(1, np.int64))
    batch1 = outer.op("Reshape", batch, outer.const([1], np.int64))
    rows_k = outer.op("Mul", rows, k)  # each example's first beam, in (B * k) rows
    beams = outer.op("Mul", batch, k)
    tile = outer.op(  # (B * k,): example b's row repeated k times
        "Reshape",
        outer.op(
            "Expand",
            outer.op("Unsqueeze", rows, outer.const([1], np.int64)),
            outer.op("Concat", batch1, k1, axis=0),
        ),
        outer.const([-1], np.int64),
    )
    tiled = {n: outer.op("Gather", f"encoder/{n}", tile, axis=0) for n in states + context}
    beams1 = outer.op("Reshape", beams, outer.const([1], np.int64))
    first_only = outer.op(  # all beams start equal: keep one, or they'd stay copies
        "Where",
        outer.op(
            "Equal",
            outer.op("Range", outer.const(0, np.int64), k, outer.const(1, np.int64)),
            outer.const(0, np.int64),
        ),
        outer.const(0.0, np.float32),
        outer.const(NEG, np.float32),
    )
    length = outer.const(max_length, np.int64)
    carried = {
        "tokens": (outer.op("Expand", outer.const(start, np.int32), beams1), TensorProto.INT32),
        **{s: (tiled[s], TensorProto.FLOAT) for s in states},
        "scores": (
            outer.op("Tile", first_only, batch1),
            TensorProto.FLOAT,
        ),
        "finished": (outer.op("Expand", outer.const(False, bool), beams1), TensorProto.BOOL),
        "lengths": (outer.op("Expand", outer.const(0, np.int32), beams1), TensorProto.INT32),
        "seqs": (
            outer.op(
                "Expand",
                outer.const(pad, np.int32),
                outer.op("Concat", beams1, outer.const([max_length], np.int64), axis=0),
            ),
            TensorProto.INT32,
        ),
        "steps": (outer.const(0, np.int64), TensorProto.INT64),
    }
    body = _step_body(
        decoder,
        states,
        context,
        tiled,
        carried,
        vocab=vocab,
        banned=banned,
        end=end,
        pad=pad,
        k1=k1,
        rows_k=rows_k,
        max_length=max_length,
        constants=constants,
        ngram=ngram,
    )
    final = outer.op(
        "Loop",
        length,
        outer.const(True, bool),
        *(v for v, _ in carried.values()),
        outputs=len(carried),
        body=body,
        name="search/loop",
    )
    final = dict(zip(carried, final, strict=True))
    _best_beam(outer, final, outer.op("Concat", batch1, k1, axis=0), rows_k)
    graph = helper.make_graph(
        outer.nodes,
        "search",
        [*_renamed_inputs(encoder), *_scalar_inputs()],
        [
            helper.make_tensor_value_info("ids", TensorProto.INT32, [None, max_length]),
            helper.make_tensor_value_info("log_prob", TensorProto.FLOAT, [None]),
            helper.make_tensor_value_info("log_prob_per_token", TensorProto.FLOAT, [None]),
            helper.make_tensor_value_info("steps", TensorProto.INT64, []),
        ],
        initializer=constants,
    )
    opsets = {o.domain: o.version for o in [*encoder.opset_import, *decoder.opset_import]}
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    model.ir_version = min(encoder.ir_version, decoder.ir_version)
    model.metadata_props.extend(encoder.metadata_props)
    onnx.checker.check_model(model)
    return model


def _checked(outer, x, ok, message):
    """x where `ok`, else an error whose text is `message`. ONNX has no
    Assert: a Gather past the end fails, and onnxruntime's error names the
    node (a Reshape to an impossible shape would not do: onnxruntime drops
    a Reshape whose output shape it already knows)."""
    index = outer.op("Where", ok, outer.const(0, np.int64), outer.const(1, np.int64))
    whole = outer.op("Unsqueeze", x, outer.const([0], np.int64))
    return outer.op("Gather", whole, index, axis=0, name=message)


def _checked_int(outer, name, low, high):
    """int64 scalar input `name`, which must lie in [low, high]."""
    ok = outer.op(
        "And",
        outer.op("GreaterOrEqual", name, outer.const(low, np.int64)),
        outer.op("LessOrEqual", name, outer.const(high, np.int64)),
    )
    return _checked(outer, name, ok, f"{name} must be an integer from {low} to {high}")


def _checked_ids(outer, name, size):
    """Input `name`, which must hold ids from 0 to size - 1, at least one."""
    ids_ok = outer.op(
        "And",
        outer.op(
            "GreaterOrEqual", outer.op("ReduceMin", name, keepdims=0), outer.const(0, np.int32)
        ),
        outer.op("Less", outer.op("ReduceMax", name, keepdims=0), outer.const(size, np.int32)),
    )
    some = outer.op("Greater", outer.op("Size", name), outer.const(0, np.int64))
    ok = outer.op("And", some, ids_ok)
    return _checked(outer, name, ok, f"{name} must hold ids from 0 to {size - 1}, at least one")


def _step_body(
    decoder,
    states,
    context,
    tiled,
    carried,
    *,
    vocab,
    banned,
    end,
    pad,
    k1,
    rows_k,
    max_length,
    constants,
    ngram,
):
    """The Loop body: one decoder step for every beam, then the k best
    (beam, token) continuations of each example."""
    body = _Nodes("step/", constants)
    names = {n: f"in/{n}" for n in carried}
    body.rename(names["tokens"], "decoder/token_ids")
    for s in states:
        body.rename(names[s], f"decoder/{s}")
    for c in context:
        body.rename(tiled[c], f"decoder/{c}")
    body.nodes.extend(decoder.graph.node)

    mask = np.zeros(vocab, np.float32)
    mask[list(banned)] = NEG
    pad_only = np.full(vocab, NEG, np.float32)
    pad_only[pad] = 0.0
    one = body.const([1], np.int64)
    allowed = body.op("Add", "decoder/logits", body.const(mask, np.float32))
    repeats = _repeats(body, names["seqs"], "in/iteration", ngram, vocab, max_length)
    allowed = body.op("Where", repeats, body.const(NEG, np.float32), allowed)
    logp = body.op("LogSoftmax", allowed, axis=-1)
    logp = body.op(
        "Where",
        body.op("Unsqueeze", names["finished"], one),
        body.const(pad_only, np.float32),
        logp,
    )
    total = body.op("Add", body.op("Unsqueeze", names["scores"], one), logp)
    wide = body.op(
        "Concat",
        body.const([-1], np.int64),
        body.op("Mul", k1, body.const([vocab], np.int64)),
        axis=0,
    )
    values, index = body.op("TopK", body.op("Reshape", total, wide), k1, outputs=2, axis=-1)
    v = body.const(vocab, np.int64)
    flat_shape = body.const([-1], np.int64)
    parent = body.op(
        "Reshape",
        body.op("Add", body.op("Div", index, v), body.op("Unsqueeze", rows_k, one)),
        flat_shape,
    )
    token = body.op(
        "Reshape", body.op("Cast", body.op("Mod", index, v), to=TensorProto.INT32), flat_shape
    )
    before = body.op("Gather", names["finished"], parent, axis=0)
    here = body.op("Equal", body.const(np.arange(max_length)[None], np.int64), "in/iteration")
    seqs = body.op(
        "Where",
        here,
        body.op("Unsqueeze", token, one),
        body.op("Gather", names["seqs"], parent, axis=0),
    )
    finished = body.op("Or", before, body.op("Equal", token, body.const(end, np.int32)))
    lengths = body.op(
        "Add",
        body.op("Gather", names["lengths"], parent, axis=0),
        body.op("Cast", body.op("Not", before), to=TensorProto.INT32),
    )
    done = body.op("ReduceMin", body.op("Cast", finished, to=TensorProto.INT32), keepdims=0)
    going = body.op("Not", body.op("Cast", done, to=TensorProto.BOOL))
    new = {
        "tokens": token,
        **{s: body.op("Gather", f"decoder/next_{s}", parent, axis=0) for s in states},
        "scores": body.op("Reshape", values, flat_shape),
        "finished": finished,
        "lengths": lengths,
        "seqs": seqs,
        "steps": body.op("Add", "in/iteration", body.const(1, np.int64)),
    }
    outs = [f"out/{n}" for n in carried]
    for n in carried:
        body.rename(new[n], f"out/{n}")
    body.rename(going, "out/going")
    info = helper.make_tensor_value_info
    return helper.make_graph(
        body.nodes,
        "step",
        [
            info("in/iteration", TensorProto.INT64, []),
            info("in/going", TensorProto.BOOL, []),
            *(info(names[n], t, None) for n, (_, t) in carried.items()),
        ],
        [
            info("out/going", TensorProto.BOOL, []),
            *(info(o, t, None) for o, (_, t) in zip(outs, carried.values(), strict=True)),
        ],
    )


def _best_beam(outer, final, by_example, rows_k):
    """ids and log_prob of each example's best beam by the length-penalised
    score (`by_example`: the shape (B, k)), and the steps taken."""
    scores = outer.op("Reshape", final["scores"], by_example)
    lengths = outer.op(
        "Cast", outer.op("Reshape", final["lengths"], by_example), to=TensorProto.FLOAT
    )
    penalty = outer.op(
        "Pow",
        outer.op(
            "Div",
            outer.op("Add", lengths, outer.const(5.0, np.float32)),
            outer.const(6.0, np.float32),
        ),
        "length_penalty",
    )
    best = outer.op("ArgMax", outer.op("Div", scores, penalty), axis=1, keepdims=0)
    row = outer.op("Add", best, rows_k)
    outer.nodes.append(
        helper.make_node("Gather", [final["seqs"], row], ["ids"], axis=0, name="ids")
    )
    outer.nodes.append(
        helper.make_node("Gather", [final["scores"], row], ["log_prob"], axis=0, name="log_prob")
    )
    chosen = outer.op(  # the best beam's tokens, END included (its length)
        "Cast", outer.op("Gather", final["lengths"], row, axis=0), to=TensorProto.FLOAT
    )
    per_token = ["log_prob", outer.op("Max", chosen, outer.const(1.0, np.float32))]
    outer.nodes.append(helper.make_node("Div", per_token, ["log_prob_per_token"], name="per_token"))
    outer.rename(final["steps"], "steps")


def _repeats(body, written, t, n, vocab, length):
    """(R, V) bool: zoo.decoding.repeats in ONNX ops, for a size n known
    only at run time: the n - 1 comparisons are unrolled to the largest n
    allowed, those past n - 1 count as equal, and n = 0 blocks nothing."""
    starts = np.arange(length, dtype=np.int64)  # where an n-gram may begin
    last = body.const(length - 1, np.int64)
    zero = body.const(0, np.int64)

    def column(index):  # written[:, index] for (L,) or () indices, clipped
        return body.op("Gather", written, body.op("Clip", index, zero, last), axis=1)

    before = body.op("Sub", n, body.const(1, np.int64))  # n - 1
    end_at = body.op("Add", body.const(starts, np.int64), before)  # the n-gram's last step
    match = body.op(
        "And",
        body.op("Less", end_at, t),  # written before step t
        body.op("Greater", n, zero),
    )
    match = body.op("Unsqueeze", match, body.const([0], np.int64))
    tail_start = body.op("Sub", t, before)
    for i in range(MAX_NGRAM_SIZE - 1):
        offset = body.const(i, np.int64)
        same = body.op(
            "Equal",
            column(body.op("Add", body.const(starts, np.int64), offset)),
            body.op(
                "Unsqueeze", column(body.op("Add", tail_start, offset)), body.const([1], np.int64)
            ),
        )
        unused = body.op("GreaterOrEqual", offset, before)  # i >= n - 1: not compared
        match = body.op("And", match, body.op("Or", same, unused))
    ends = body.op("Cast", column(end_at), to=TensorProto.INT64)
    hits = body.op(
        "ScatterElements",
        body.op(
            "ConstantOfShape",
            body.op(
                "Concat",
                body.op(
                    "Slice",
                    body.op("Shape", written),
                    body.const([0], np.int64),
                    body.const([1], np.int64),
                ),
                body.const([vocab], np.int64),
                axis=0,
            ),
            value=numpy_helper.from_array(np.zeros(1, np.float32)),
        ),
        ends,
        body.op("Cast", match, to=TensorProto.FLOAT),
        axis=1,
        reduction="max",
    )
    return body.op("Greater", hits, body.const(0.0, np.float32))


def _renamed_inputs(encoder):
    out = []
    for value in encoder.graph.input:
        copy = onnx.ValueInfoProto()
        copy.CopyFrom(value)
        copy.name = value.name.removeprefix("encoder/")
        out.append(copy)
    return out


def _scalar_inputs():
    return [
        helper.make_tensor_value_info("beam_width", TensorProto.INT64, []),
        helper.make_tensor_value_info("length_penalty", TensorProto.FLOAT, []),
        helper.make_tensor_value_info("no_repeat_ngram_size", TensorProto.INT64, []),
    ]


def _last_dim(values, name):
    for value in values:
        if value.name == name:
            return value.type.tensor_type.shape.dim[-1].dim_value
    raise ValueError(f"the decoder graph has no output {name!r}")
