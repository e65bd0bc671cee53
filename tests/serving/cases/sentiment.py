"""Text classifiers: probabilities and labels, and the explain signature's
tokens and weights."""

import numpy as np

REVIEWS = ["A wonderful, moving film.", "Dull and tedious; I didn't care.", "not bad"]
ONNX_REVIEWS = ["A wonderful, moving film.", "Dull<br />and TEDIOUS; I didn't care.", "café naïve"]


def expected(model, name):
    return model.predict_proba(REVIEWS), model.classify(REVIEWS), model.explain(REVIEWS[0])


def check_rest(rest, name, want):
    rows = rest.predict(name, instances=REVIEWS)
    np.testing.assert_allclose([r["probability"] for r in rows], want[0], atol=1e-5)
    assert [r["label"] for r in rows] == want[1]
    columns = rest.predict(name, inputs={"text": REVIEWS})
    np.testing.assert_allclose(columns["probability"], want[0], atol=1e-5)


def check_grpc(client, name, want):
    got = client.predict(name, {"text": np.array(REVIEWS, object)})
    np.testing.assert_allclose(got["probability"], want[0], atol=1e-5)
    assert [t.decode() for t in got["label"]] == want[1]
    text = {"text": np.array(REVIEWS[:1], object)}
    explained = client.predict(name, text, signature_name="explain")
    tokens, weights = want[2]
    assert [t.decode() for t in explained["tokens"][0]] == tokens
    np.testing.assert_allclose(explained["weights"][0], weights, atol=1e-5)


def onnx_request(name):
    return {"reviews": ONNX_REVIEWS}


def run_onnx(model, request):
    reviews = request["reviews"]
    tokens, weights = model.explain(reviews[0])
    return [
        model.predict_proba(reviews).tolist(),
        model.classify(reviews),
        tokens,
        weights.tolist(),
    ]


def check_onnx(model, name, request, got):
    probs, labels, tokens, weights = got
    reviews = request["reviews"]
    np.testing.assert_allclose(probs, model.predict_proba(reviews), atol=1e-5)
    assert labels == model.classify(reviews)
    want_tokens, want_weights = model.explain(reviews[0])
    assert tokens == want_tokens
    np.testing.assert_allclose(weights, want_weights, atol=1e-5)
