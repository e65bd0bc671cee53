"""Bahdanau and Luong attention against numpy written from the equations:
weights, masks, the normalised form, serialisation."""

import keras
import numpy as np
import pytest

from zoo.layers import BahdanauAttention, LuongAttention


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def bahdanau_reference(layer, query, memory, mask):
    """score_j = v_a^T tanh(W_a s + U_a h_j), written per position j."""
    w, u, v = (
        np.asarray(x, np.float64) for x in (layer.query_kernel, layer.memory_kernel, layer.v)
    )
    b = np.zeros_like(v)
    if layer.normalize:
        v = float(layer.g) * v / np.linalg.norm(v)
        b = np.asarray(layer.b, np.float64)
    B, T, _ = memory.shape
    scores = np.empty((B, T))
    for i in range(B):
        for j in range(T):
            scores[i, j] = v @ np.tanh(query[i] @ w + memory[i, j] @ u + b)
    scores = np.where(mask, scores, -np.inf)
    weights = softmax(scores)
    return np.einsum("bt,btd->bd", weights, memory), weights


@pytest.fixture
def inputs(rng):
    query = rng.normal(size=(3, 5))
    memory = rng.normal(size=(3, 7, 6))
    mask = np.array([[1] * 7, [1] * 4 + [0] * 3, [1] + [0] * 6], bool)
    return query.astype("float32"), memory.astype("float32"), mask


def randomized(layer, rng):
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


@pytest.mark.parametrize("normalize", [False, True])
def test_bahdanau_matches_numpy(inputs, rng, normalize):
    query, memory, mask = inputs
    layer = BahdanauAttention(8, normalize=normalize)
    layer(query, memory, memory_mask=mask)
    randomized(layer, rng)
    context, weights = layer(query, memory, memory_mask=mask)
    ref_context, ref_weights = bahdanau_reference(layer, query, memory, mask)
    np.testing.assert_allclose(weights, ref_weights, atol=1e-5)
    np.testing.assert_allclose(context, ref_context, atol=1e-5)


@pytest.mark.parametrize(
    "make",
    [
        lambda: BahdanauAttention(8),
        lambda: LuongAttention("general"),
        lambda: LuongAttention("dot"),
    ],
)
def test_weights_sum_to_one_and_are_zero_on_padding(inputs, make):
    query, memory, mask = inputs
    if isinstance(make(), LuongAttention) and make().score == "dot":
        query = query[:, :5]
        memory = memory[..., :5]
    _, weights = make()(query, memory, memory_mask=mask)
    weights = np.asarray(weights)
    np.testing.assert_allclose(weights.sum(-1), 1.0, atol=1e-6)
    assert (weights[~mask] == 0).all()
    assert (weights[mask] > 0).all()


@pytest.mark.parametrize("score", ["dot", "general"])
def test_luong_matches_numpy(rng, score):
    query = rng.normal(size=(2, 4)).astype("float32")
    memory = rng.normal(size=(2, 5, 4)).astype("float32")
    layer = LuongAttention(score)
    layer(query, memory)
    if score == "general":
        randomized(layer, rng)
    w = np.asarray(layer.kernel) if score == "general" else np.eye(4)
    scores = np.einsum("bd,btk,kd->bt", query, memory, w)
    context, weights = layer(query, memory)
    np.testing.assert_allclose(weights, softmax(scores), atol=1e-5)
    np.testing.assert_allclose(context, np.einsum("bt,btd->bd", softmax(scores), memory), atol=1e-5)


def test_precomputed_keys_give_the_same_result(inputs):
    query, memory, mask = inputs
    layer = BahdanauAttention(8)
    a = layer(query, memory, memory_mask=mask)
    b = layer(query, memory, memory_mask=mask, keys=layer.keys(memory))
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)


def test_round_trip_and_bad_arguments(inputs, tmp_path):
    query, memory, mask = inputs
    for layer in (BahdanauAttention(8, normalize=True), LuongAttention("general")):
        layer(query, memory, memory_mask=mask)
        again = layer.__class__.from_config(layer.get_config())
        again(query, memory, memory_mask=mask)
        again.set_weights(layer.get_weights())
        np.testing.assert_array_equal(again(query, memory)[1], layer(query, memory)[1])
    with pytest.raises(ValueError, match="units"):
        BahdanauAttention(0)
    with pytest.raises(ValueError, match="score"):
        LuongAttention("concat")
    with pytest.raises(ValueError, match="one size"):
        LuongAttention("dot")(query, memory)
    assert keras.saving.get_registered_object("zoo>BahdanauAttention") is BahdanauAttention
