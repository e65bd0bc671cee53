"""zoo.models.TextClassifier on tiny models: masking, pooling against numpy
written from the equations, bucketed batches, the `.keras` round trip,
explain, and bad input."""

import resource

import keras
import numpy as np
import pytest

from tests.zoo.helpers import randomize
from zoo.models import TextClassifier
from zoo.words import WordVocabulary

TEXTS = ["a good film", "a bad , dull film", "not good at all", "great fun", "dull and slow ."]
VOCABULARY = WordVocabulary.from_texts(TEXTS, 50, 1).tokens


def tiny(pooling="attention+max", cell="gru", **kwargs):
    model = TextClassifier(
        VOCABULARY,
        cell=cell,
        units=6,
        embedding_dim=5,
        attention_units=4,
        pooling=pooling,
        max_tokens=8,
        head_tokens=3,
        **kwargs,
    )
    model.build()
    randomize(model, np.random.default_rng(0))
    return model


def run(model, ids):
    logits, weights = model.forward(keras.ops.convert_to_tensor(ids))
    return keras.ops.convert_to_numpy(logits), keras.ops.convert_to_numpy(weights)


@pytest.mark.parametrize("pooling", ["attention", "max", "attention+max"])
@pytest.mark.parametrize("cell", ["gru", "lstm", "peephole", "cifg", "rnn"])
def test_a_padded_batch_gives_what_each_text_gives_alone(pooling, cell):
    model = tiny(pooling, cell)
    ids, tokens = model.encode_texts(TEXTS)
    logits, weights = run(model, ids)
    for row, items in enumerate(tokens):
        alone_logits, alone_weights = run(model, ids[row : row + 1, : len(items)])
        np.testing.assert_allclose(logits[row], alone_logits[0], atol=1e-6)
        np.testing.assert_allclose(weights[row, : len(items)], alone_weights[0], atol=1e-6)
        assert np.all(weights[row, len(items) :] == 0)
        assert weights[row].sum() == pytest.approx(1.0, abs=1e-6)


def test_attention_and_max_pooling_match_numpy():
    model = tiny("attention+max")
    ids, _ = model.encode_texts(TEXTS[1:3])
    mask = ids != 0
    memory = keras.ops.convert_to_numpy(
        model.encoder(model.embedding(ids), mask=keras.ops.convert_to_tensor(mask))
    )
    attention = model.attention.attention
    q, w_q, w_m, v = (
        keras.ops.convert_to_numpy(x)
        for x in (
            model.attention.query,
            attention.query_kernel,
            attention.memory_kernel,
            attention.v,
        )
    )
    scores = np.tanh(memory @ w_m + (q @ w_q)[:, None, :]) @ v
    scores = np.where(mask, scores, -np.inf)
    a = np.exp(scores - scores.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    context = np.einsum("bt,btd->bd", a, memory)
    maxima = np.where(mask[:, :, None], memory, -np.inf).max(1)
    kernel, bias = (keras.ops.convert_to_numpy(x) for x in model.head.weights)
    want = (np.concatenate([context, maxima], -1) @ kernel + bias)[:, 0]
    logits, weights = run(model, ids)
    np.testing.assert_allclose(logits, want, atol=1e-5)
    np.testing.assert_allclose(weights, a, atol=1e-6)


def test_bucketed_batches_equal_one_padded_batch():
    from training.tasks.sentiment import batches

    model = tiny()
    ids, tokens = model.encode_texts(TEXTS * 3)
    rows = [ids[i, : len(items)] for i, items in enumerate(tokens)]
    labels = np.arange(len(rows), dtype=np.int32)  # the label carries the row index
    data = {"buckets": [2, 3, 4], "batch_size": 2}
    whole, _ = run(model, ids)
    seen = []
    for batch_ids, batch_labels in batches(rows, labels, data):
        assert batch_ids.shape[1] == max(len(tokens[int(i)]) for i in batch_labels)
        got, _ = run(model, batch_ids.numpy())
        index = batch_labels.numpy().astype(int)
        np.testing.assert_allclose(got, whole[index], atol=1e-6)
        seen.extend(index.tolist())
    assert sorted(seen) == list(range(len(rows)))


def test_keras_file_roundtrip_is_exact(tmp_path):
    model = tiny(embedding_dropout=0.1, dropout=0.2, cell_options={"recurrent_dropout": 0.1})
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))


def test_api_and_explain():
    model = tiny()
    probs = model.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS),) and np.all((probs > 0) & (probs < 1))
    assert model.classify(TEXTS) == ["positive" if p >= 0.5 else "negative" for p in probs]
    tokens, weights = model.explain("Not GOOD at all, a dull film!!")
    # 9 tokens, over max_tokens=8: the first 3 and the last 5 are kept.
    assert tokens == ["not", "good", "at", "a", "dull", "film", "!", "!"]
    assert weights.shape == (8,) and weights.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.all(weights >= 0)


def test_softmax_head_for_more_labels():
    model = tiny(labels=["neg", "neutral", "pos"])
    probs = model.predict_proba(TEXTS)
    assert probs.shape == (len(TEXTS), 3)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-6)
    assert model.classify(TEXTS) == [["neg", "neutral", "pos"][i] for i in probs.argmax(-1)]


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        ("a good film", TypeError, "wrap a single string"),
        (["good", 3], TypeError, "input 1 is a int"),
        ([b"good"], TypeError, "input 0 is a bytes"),
        (["good", "   "], ValueError, "input 1 is empty or only whitespace"),
        (["", "good"], ValueError, "input 0 is empty"),
    ],
)
def test_bad_input_is_refused(texts, error, message):
    model = tiny()
    for method in (model.predict_proba, model.classify):
        with pytest.raises(error, match=message):
            method(texts)


def test_a_one_megabyte_review_is_truncated_in_bounded_memory():
    model = tiny()
    review = "a good film , " * 75_000  # 1.05 MB, 300k tokens
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tokens, weights = model.explain(review)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert tokens == ["a", "good", "film"] + [",", "a", "good", "film", ","]  # head 3, tail 5
    assert model.predict_proba([review]).shape == (1,)
    assert grown_mb < 300
    with pytest.raises(ValueError, match="characters; at most"):
        model.predict_proba(["a" * ((1 << 22) + 1)])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="pooling"):
        TextClassifier(VOCABULARY, pooling="mean")
    with pytest.raises(ValueError, match="head_tokens"):
        TextClassifier(VOCABULARY, max_tokens=4, head_tokens=5)
    with pytest.raises(ValueError, match="labels"):
        TextClassifier(VOCABULARY, labels=["only"])
