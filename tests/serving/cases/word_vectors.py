"""Word vectors: a word's vector and whether it is known, its nearest
words, and (ONNX) similarity and analogy from the table."""

import numpy as np

WORDS = ["good", "Film", "not one word", "zzzqqqxxx"]
K = 5


def expected(model, name):
    known = [w in ("good", "Film") for w in WORDS]
    zeros = np.zeros(model.embedding_dim, np.float32)
    vectors = np.stack(
        [model.vector(w) if ok else zeros for w, ok in zip(WORDS, known, strict=True)]
    )
    return vectors, known, model.nearest("good", K)


def check_rest(rest, name, want):
    rows = rest.predict(name, instances=WORDS)
    np.testing.assert_allclose([r["vector"] for r in rows], want[0], atol=1e-6)
    assert [r["known"] for r in rows] == want[1]


def check_grpc(client, name, want):
    got = client.predict(name, {"word": np.array(WORDS, object)})
    np.testing.assert_allclose(got["vector"], want[0], atol=1e-6)
    assert got["known"].tolist() == want[1]
    asked = {"word": np.array(["good", "zzzqqqxxx"], object), "k": np.int32(K)}
    near = client.predict(name, asked, signature_name="nearest")
    assert [w.decode() for w in near["words"][0]] == [w for w, _ in want[2]]
    np.testing.assert_allclose(near["cosines"][0], [c for _, c in want[2]], atol=1e-5)
    assert near["known"].tolist() == [True, False] and set(near["words"][1]) == {b""}


def onnx_request(name):
    return {
        "words": ["good", "Beach", "dog"],
        "pair": ["good", "great"],
        "analogy": ["man", "king", "woman"],
    }


def run_onnx(model, request):
    return [
        [model.nearest(w, K) for w in request["words"]],
        model.similarity(*request["pair"]),
        model.analogy(*request["analogy"], k=3),
    ]


def check_onnx(model, name, request, got):
    nearest, similarity, analogy = got
    for word, found in zip(request["words"], nearest, strict=True):
        want = model.nearest(word, K)
        assert [w for w, _ in found] == [w for w, _ in want]
        np.testing.assert_allclose([c for _, c in found], [c for _, c in want], atol=1e-5)
    np.testing.assert_allclose(similarity, model.similarity(*request["pair"]), atol=1e-5)
    assert [w for w, _ in analogy] == [w for w, _ in model.analogy(*request["analogy"], k=3)]
