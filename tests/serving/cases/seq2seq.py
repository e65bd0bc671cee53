"""Translators: texts in, texts out; greedy through the server, greedy and
beam search through ONNX."""

import numpy as np

DATES = ["Tuesday, March 3rd 2015", "1 Feb 2003", "on 31.12.99 at noon"]
SPANISH = ["¿Dónde está la estación?", "Tengo 3 gatos.", "¡Qué día más bonito!"]
# The last one: the no-attention model's beam and greedy answers differ.
MORE_DATES = [*DATES, "3/4/2021", "3.3.15"]
# Accents, ¿¡, numbers, a word never seen, characters never seen.
MORE_SPANISH = [
    "¿Dónde está la estación?",
    "¡Tengo 3 gatos y 12 perros!",
    "El ornitorrinco desayuna.",
    "Tom   no\tquería ☃ hacerlo…",
    "Ella dijo: «sí».",
]
SPANISH_MODELS = {"translate-spa-eng"}  # the rest read dates


def texts(name):
    return SPANISH if name in SPANISH_MODELS else DATES


def expected(model, name):
    return model.translate(texts(name))


def check_rest(rest, name, want):
    rows = rest.predict(name, instances=texts(name))
    assert [r["output"] for r in rows] == want
    assert all(r["log_prob"] < 0 for r in rows)
    assert list(rest.predict(name, inputs={"text": texts(name)})["output"]) == want


def check_grpc(client, name, want):
    got = client.predict(name, {"text": np.array(texts(name), object)})
    assert [t.decode() for t in got["output"]] == want


def onnx_request(name):
    """The texts and the beam width its issue names."""
    if name in SPANISH_MODELS:
        return {"texts": MORE_SPANISH, "beam_width": 5}
    return {"texts": MORE_DATES, "beam_width": 4}


def run_onnx(model, request):
    texts, width = request["texts"], request["beam_width"]
    return [model.translate(texts), model.translate(texts, beam_width=width)]


def check_onnx(model, name, request, got):
    assert got == run_onnx(model, request), name
