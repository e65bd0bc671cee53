"""zoo.models.CharLM against stock Keras layers and numpy: the forward pass,
the O(1) generation step, sampling, scoring and serialisation."""

import keras
import numpy as np
import pytest

from zoo.layers import CELLS
from zoo.models import CharLM
from zoo_runtime.chars import CharVocabulary
from zoo_runtime.search import sample

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n"
VOCAB = CharVocabulary.from_text(TEXT)


def tiny(cell="lstm", units=16, num_layers=1, **kwargs):
    model = CharLM(
        VOCAB.tokens, cell=cell, units=units, num_layers=num_layers, embedding_dim=8, **kwargs
    )
    model.build()
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(0, 0.5, w.shape) for w in model.get_weights()])
    return model


def keras_reference(model):
    """The same network from stock Keras layers, holding the model's weights."""
    layer = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[model.cell_name]
    ref = keras.Sequential(
        [keras.layers.Embedding(len(VOCAB), model.embedding_dim)]
        + [layer(model.units, return_sequences=True) for _ in range(model.num_layers)]
        + [keras.layers.Dense(len(VOCAB))]
    )
    ref.build((None, None))
    ref.set_weights(model.get_weights())
    return ref


def log_softmax(x):
    x = x - x.max(-1, keepdims=True)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forward_equals_stock_keras_layers(cell):
    model = tiny(cell, num_layers=2)
    ids = VOCAB.encode(TEXT)[None]
    np.testing.assert_allclose(model(ids), keras_reference(model)(ids), atol=1e-5)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_one_step_at_a_time_equals_the_whole_sequence(cell):
    model = tiny(cell, num_layers=2)
    ids = VOCAB.encode(TEXT[:20])[None]
    _, states = model.forward(ids[:, :1])
    steps = []
    for t in range(1, ids.shape[1]):
        logits, states = model.step(ids[:, t], states)
        steps.append(logits)
    np.testing.assert_allclose(np.stack(steps, 1), model(ids)[:, 1:], atol=1e-5)


def test_greedy_generation_equals_rerunning_the_prefix():
    """generate carries the state; the reference re-reads the whole prefix
    through stock Keras layers for every character."""
    model = tiny("lstm", units=24)
    ref = keras_reference(model)
    prompt = "Before we"
    ids = list(VOCAB.encode(prompt))
    for _ in range(40):
        logits = np.array(ref(np.array([ids])))[0, -1]
        logits[0] = -np.inf
        ids.append(int(np.argmax(logits)))
    expected = VOCAB.decode(ids[len(prompt) :])
    assert model.generate(prompt, 40, temperature=0) == expected


def test_seeded_generation_is_reproducible():
    model = tiny()
    a = model.generate("First", 60, temperature=1.0, seed=3)
    assert len(a) == 60
    assert a == model.generate("First", 60, temperature=1.0, seed=3)
    assert a != model.generate("First", 60, temperature=1.0, seed=4)


def test_top_k_of_one_is_greedy():
    model = tiny()
    assert model.generate("hear", 30, top_k=1, seed=1) == model.generate("hear", 30, temperature=0)


def test_generation_never_emits_the_oov_token():
    model = tiny()
    head_bias = model.head.bias
    head_bias.assign(np.where(np.arange(len(VOCAB)) == 0, 50.0, 0.0).astype("float32"))
    assert "\ufffd" not in model.generate("speak", 50, seed=0)


def test_prompts_with_unknown_characters_and_empty_prompts_work():
    model = tiny()
    assert len(model.generate("Zwölf €", 10, seed=0)) == 10
    assert len(model.generate("", 10, seed=0)) == 10
    assert model.generate("abc", 0) == ""


def test_one_trace_serves_prompts_and_texts_of_every_length():
    model = tiny()
    for text in ("a", "abc d", "the quick brown fox"):
        model.generate(text, 3, seed=0)
        model.nats_per_char(text + "!")
    assert model._prefill_fn.experimental_get_tracing_count() == 1
    assert model._score_fn.experimental_get_tracing_count() == 1


def test_sample_follows_softmax_over_the_top_k():
    """Seeded Gumbel-max draws, one seed each: the frequencies of the top 2
    follow their softmax at temperature 0.5; OOV (id 0) is never drawn."""
    logits = np.array([5.0, 2.0, 1.0, 0.5, -1.0])
    draws = np.array([sample(logits, 0.5, 2, seed, 3) for seed in range(4000)])
    assert set(draws) == {1, 2}
    p1 = 1 / (1 + np.exp((1.0 - 2.0) / 0.5))  # softmax of [2, 1] / 0.5
    assert abs(np.mean(draws == 1) - p1) < 0.025
    full = np.array([sample(logits, 1.0, None, 11, step) for step in range(4000)])
    expected = np.exp(logits[1:]) / np.exp(logits[1:]).sum()
    np.testing.assert_allclose(np.bincount(full, minlength=5)[1:] / 4000, expected, atol=0.025)
    assert sample(logits, 1.0, None, 11, 5) == sample(logits, 1.0, None, 11, 5)  # a seed repeats


def test_nats_per_char_equals_numpy_cross_entropy():
    model = tiny("gru")
    ids = VOCAB.encode(TEXT)
    logits = np.asarray(keras_reference(model)(ids[None, :-1]))[0]
    expected = -np.mean(log_softmax(logits)[np.arange(len(ids) - 1), ids[1:]])
    assert model.nats_per_char(TEXT) == pytest.approx(expected, abs=1e-5)


def test_keras_round_trip_is_exact(tmp_path):
    model = tiny("peephole", num_layers=2, cell_options={"dropout": 0.1})
    path = tmp_path / "lm.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert isinstance(again, CharLM) and again.vocabulary == model.vocabulary
    assert again.recurrent[0].cell.peepholes and again.recurrent[0].cell.dropout == 0.1
    ids = VOCAB.encode(TEXT)[None]
    np.testing.assert_array_equal(again(ids), model(ids))
    assert again.generate("First", 30, seed=5) == model.generate("First", 30, seed=5)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"prompt": 5}, TypeError, "prompt"),
        ({"length": -1}, ValueError, "length"),
        ({"length": 2.5}, ValueError, "length"),
        ({"temperature": -0.1}, ValueError, "temperature"),
        ({"temperature": float("nan")}, ValueError, "temperature"),
        ({"top_k": 0}, ValueError, "top_k"),
        ({"seed": 2**63}, ValueError, "seed"),
        ({"seed": "0"}, ValueError, "seed"),
    ],
)
def test_bad_generate_arguments(kwargs, error, match):
    model = tiny()
    args = {"prompt": "a", "length": 5, **kwargs}
    with pytest.raises(error, match=match):
        model.generate(**args)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="unknown cell"):
        CharLM(VOCAB.tokens, cell="transformer")
    with pytest.raises(ValueError, match="num_layers"):
        CharLM(VOCAB.tokens, num_layers=0)
    with pytest.raises(ValueError, match="first token"):
        CharLM(["a", "b"])


def test_output_dropout_acts_in_training_only_and_is_kept_in_the_config():
    model = tiny(num_layers=2, output_dropout=0.5)
    ids = keras.ops.convert_to_tensor(VOCAB.encode(TEXT)[None, :30])
    plain = keras.ops.convert_to_numpy(model(ids))
    np.testing.assert_allclose(plain, keras_reference(model)(ids), atol=1e-5)  # off at inference
    keras.utils.set_random_seed(0)
    dropped = keras.ops.convert_to_numpy(model(ids, training=True))
    assert not np.allclose(dropped, plain)
    again = CharLM.from_config(model.get_config())
    assert again.output_dropout == 0.5
    with pytest.raises(ValueError, match="output_dropout"):
        CharLM(VOCAB.tokens, output_dropout=1.0)
