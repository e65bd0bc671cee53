"""Character LMs: greedy texts through the server; greedy and sampled
texts (one seed, one sampler) through ONNX."""

import numpy as np

PROMPTS = ["ROMEO:", "First Citizen:\n", ""]
LENGTHS = [50, 20, 35]
# (prompt, length, temperature, seed, no_repeat_ngram_size)
SAMPLED = [
    ("ROMEO:", 60, 0, None, 0),
    ("", 30, 0, None, 0),
    ("ROMEO:", 60, 0.8, 3, 0),
    ("ROMEO:", 150, 0, None, 8),  # greedy loops by then without blocking
]


BLOCKING = [8, 0, 3]  # the `no_repeat` signature's n per row


def expected(model, name):
    """Keras' greedy texts per signature: serving_default's, and no_repeat's
    with BLOCKING."""
    plain = [model.generate(p, n, temperature=0) for p, n in zip(PROMPTS, LENGTHS, strict=True)]
    blocked = [
        model.generate(p, n, temperature=0, no_repeat_ngram_size=b)
        for p, n, b in zip(PROMPTS, LENGTHS, BLOCKING, strict=True)
    ]
    return {"serving_default": plain, "no_repeat": blocked}


def columns():
    return {"prompt": PROMPTS, "length": LENGTHS, "temperature": [0.0] * 3, "seed": [0] * 3}


def check_rest(rest, name, want):
    feed = columns()
    instances = [dict(zip(feed, row, strict=True)) for row in zip(*feed.values(), strict=True)]
    plain = want["serving_default"]
    assert [r["text"] for r in rest.predict(name, instances=instances)] == plain, name
    assert list(rest.predict(name, inputs=feed)["text"]) == plain, name
    blocked = rest.predict(
        name, inputs={**feed, "no_repeat_ngram_size": BLOCKING}, signature_name="no_repeat"
    )
    assert list(blocked["text"]) == want["no_repeat"], name


def check_grpc(client, name, want):
    feed = {
        "prompt": np.array(PROMPTS, object),
        "length": np.array(LENGTHS, np.int32),
        "temperature": np.zeros(3, np.float32),
        "seed": np.zeros(3, np.int64),
    }
    assert [t.decode() for t in client.predict(name, feed)["text"]] == want["serving_default"], name


def onnx_request(name):
    return {"prompts": SAMPLED}


def generated(model, request):
    return [
        model.generate(p, n, temperature=t, seed=s, no_repeat_ngram_size=b)
        for p, n, t, s, b in request["prompts"]
    ]


def run_onnx(model, request):
    return generated(model, request)


def check_onnx(model, name, request, got):
    assert got == generated(model, request), name
