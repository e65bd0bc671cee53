"""zoo.models.Seq2Seq: decoding (greedy, beam search, end token, maximum
length), scheduled sampling, attention matrices, serialisation, bad input.
Log-probabilities are re-scored independently with teacher forcing."""

import keras
import numpy as np
import pytest

from zoo.models import Seq2Seq
from zoo_runtime.chars import END, PAD, START, CharVocabulary

SOURCE = CharVocabulary.from_text("abcdefghij klmnop,.0123456789", specials=(PAD,))
TARGET = CharVocabulary.from_text("0123456789-", specials=(PAD, START, END))
TEXTS = ["abc 12", "j 9", "hello, 2015", "ponmlk", "0.1.2.3", "a", "fedcba 999", "ij kl"]


def tiny(attention="bahdanau", cell="gru", max_output_length=8, scale=0.8, seed=3):
    model = Seq2Seq(
        SOURCE.tokens,
        TARGET.tokens,
        cell=cell,
        units=12,
        embedding_dim=6,
        attention=attention,
        max_output_length=max_output_length,
        seed=0,
    )
    model.build()
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.normal(0, scale, np.shape(w)).astype("float32") for w in model.get_weights()]
    )
    model.sampling_probability.assign(0.0)
    return model


def log_prob(model, source_ids, tokens):
    """Teacher-forced log-probability of each row of `tokens` (up to and
    including END), with the decoder's banned tokens removed as it does."""
    end, pad = model.end, model.pad
    rows = []
    for src, seq in zip(source_ids, tokens, strict=True):
        seq = list(seq)
        seq = seq[: seq.index(end) + 1] if end in seq else [t for t in seq if t != pad]
        tgt_in = np.array([[model.start, *seq[:-1]]], np.int32)
        logits = np.asarray(model((src[None], tgt_in)), np.float64)[0]
        logits[:, [0, model.pad, model.start]] = -np.inf
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        rows.append(logp[np.arange(len(seq)), seq].sum())
    return np.array(rows)


@pytest.mark.parametrize("attention", ["bahdanau", "luong", "none"])
def test_greedy_scores_are_the_teacher_forced_log_probability(attention):
    model = tiny(attention)
    ids = model.encode_texts(TEXTS)
    tokens, logp, _ = model.decode(ids)
    np.testing.assert_allclose(logp, log_prob(model, ids, tokens), atol=1e-4)


def test_beam_width_one_equals_greedy():
    model = tiny()
    ids = model.encode_texts(TEXTS)
    greedy = model.greedy(ids, 8)
    beam = model.beam_search(ids, 8, beam_width=1)
    np.testing.assert_array_equal(beam[0], greedy[0])
    np.testing.assert_allclose(beam[1], greedy[1], atol=1e-5)
    np.testing.assert_allclose(beam[2], greedy[2], atol=1e-6)


def exhaustive_best(model, source_ids, length):
    """The most likely output of each row by scoring every sequence the
    decoder may write (up to `length` tokens, stopping at END)."""
    allowed = [t for t in range(len(model.target)) if t not in (0, model.pad, model.start)]
    candidates = [[]]
    for _ in range(length):
        candidates = [c + [t] for c in candidates if model.end not in c for t in allowed] + [
            c for c in candidates if model.end in c
        ]
    padded = np.array([c + [model.pad] * (length - len(c)) for c in candidates], np.int32)
    best = []
    for src in source_ids:
        scores = log_prob(model, np.repeat(src[None], len(padded), 0), padded)
        best.append((padded[int(np.argmax(scores))], scores.max()))
    return best


def test_raw_beam_search_finds_the_exhaustive_optimum():
    """Without the greedy fallback: a beam as wide as every prefix of a
    3-token vocabulary keeps them all, so it must find the best sequence."""
    target = CharVocabulary.from_text("01", specials=(PAD, START, END))
    model = Seq2Seq(
        SOURCE.tokens, target.tokens, units=8, embedding_dim=4, max_output_length=3, seed=0
    )
    model.build()
    rng = np.random.default_rng(7)
    model.set_weights(
        [rng.normal(0, 1.5, np.shape(w)).astype("float32") for w in model.get_weights()]
    )
    ids = model.encode_texts(TEXTS[:4])
    tokens, logp, _ = model.beam_search(ids, 3, beam_width=9)
    for row, score, (want, want_score) in zip(
        np.asarray(tokens), np.asarray(logp), exhaustive_best(model, ids, 3), strict=True
    ):
        np.testing.assert_array_equal(row, want)
        assert abs(score - want_score) < 1e-3


@pytest.mark.parametrize("width", [2, 3, 5])
def test_decode_returns_the_raw_beam_with_honest_scores(width):
    """No fallback to greedy's answer: decode is the beam search itself."""
    model = tiny(scale=1.2)
    ids = model.encode_texts(TEXTS)
    beam = model.beam_search(ids, model.max_output_length, width)
    tokens, logp, _ = model.decode(ids, beam_width=width)
    np.testing.assert_array_equal(tokens, beam[0])
    np.testing.assert_allclose(logp, beam[1], atol=1e-5)
    np.testing.assert_allclose(logp, log_prob(model, ids, tokens), atol=1e-3)


def test_raw_beam_search_scores_are_log_probabilities():
    model = tiny(scale=1.2)
    ids = model.encode_texts(TEXTS)
    tokens, logp, _ = model.beam_search(ids, 8, beam_width=4)
    np.testing.assert_allclose(
        np.asarray(logp), log_prob(model, ids, np.asarray(tokens)), atol=1e-3
    )


def test_decoding_stops_at_the_end_token_and_at_the_maximum_length():
    model = tiny()
    bias = np.zeros(len(TARGET), "float32")
    bias[model.end] = 100.0
    model.readout.bias.assign(bias)
    tokens, _, _ = model.decode(model.encode_texts(TEXTS), beam_width=3)
    assert (tokens[:, 0] == model.end).all() and (tokens[:, 1:] == model.pad).all()
    assert model.translate(TEXTS) == [""] * len(TEXTS)

    bias[model.end] = -100.0
    model.readout.bias.assign(bias)
    for width in (1, 3):
        out = model.translate(TEXTS, beam_width=width)
        assert all(len(text) == model.max_output_length for text in out)


def test_attention_matrices_cover_input_and_output():
    model = tiny()
    outputs, matrices = model.translate(TEXTS, return_attention=True)
    for text, out, weights in zip(TEXTS, outputs, matrices, strict=True):
        steps = min(len(out) + 1, model.max_output_length)  # + the END step, if any
        assert weights.shape == (steps, len(text))
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-5)  # padding got 0
    _, none = tiny("none").translate(TEXTS, return_attention=True)
    assert all((w == 0).all() for w in none)


def test_scheduled_sampling_feeds_the_models_own_predictions():
    """With probability 1 the training pass must see what greedy decoding
    feeds itself; with probability 0 it is teacher forcing."""
    model = tiny()
    bias = np.zeros(len(TARGET), "float32")
    bias[model.end] = -100.0  # no row finishes early (greedy then feeds PAD)
    model.readout.bias.assign(bias)
    ids = model.encode_texts(TEXTS[:3])
    tokens, _, _ = model.decode(ids, max_length=6)
    teacher = np.full((3, 6), TARGET.id("7"), np.int32)
    teacher[:, 0] = model.start
    model.sampling_probability.assign(1.0)
    own = np.asarray(model((ids, teacher), training=True))
    greedy_in = np.concatenate([np.full((3, 1), model.start), tokens[:, :5]], axis=1)
    np.testing.assert_allclose(own, model((ids, greedy_in)), atol=1e-5)
    model.sampling_probability.assign(0.0)
    np.testing.assert_allclose(
        model((ids, teacher), training=True), model((ids, teacher)), atol=1e-6
    )


def test_keras_round_trip_is_exact(tmp_path):
    model = tiny("bahdanau-normalized", cell="lstm")
    path = tmp_path / "s2s.keras"
    again = round_trip(model, TEXTS, path)
    assert isinstance(again, Seq2Seq) and again.vocabulary == model.vocabulary


def round_trip(model, texts, path):
    """The model saved and loaded, once its logits and beam translations
    of `texts` are checked equal."""
    model.save(path)
    again = keras.saving.load_model(path)
    ids = model.encode_texts(texts)
    tin = np.full((len(texts), 4), model.start, np.int32)
    np.testing.assert_array_equal(again((ids, tin)), model((ids, tin)))
    assert again.translate(texts, beam_width=3) == model.translate(texts, beam_width=3)
    return again


def test_bad_input():
    model = tiny()
    with pytest.raises(ValueError, match="input 1 is empty"):
        model.translate(["abc", "  "])
    with pytest.raises(ValueError, match="10000 characters"):
        model.translate(["a" * 10_000])
    with pytest.raises(TypeError, match="input 0 is a int"):
        model.translate([5])
    with pytest.raises(TypeError, match="list of strings"):
        model.translate("abc")
    with pytest.raises(ValueError, match="beam_width"):
        model.translate(["abc"], beam_width=0)
    assert model.translate([]) == []
    out = model.translate(["ZZZ ☃ 12"])  # outside the vocabulary: read as unknown
    assert isinstance(out[0], str) and len(out[0]) <= model.max_output_length


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="attention"):
        Seq2Seq(SOURCE.tokens, TARGET.tokens, attention="dot-product")
    with pytest.raises(ValueError, match="not in this vocabulary"):
        Seq2Seq(SOURCE.tokens, SOURCE.tokens)  # no START / END


# ---- subword models ----------------------------------------------------------------
SPANISH = ["¿Dónde está la estación?", "Tom no quería hacerlo.", "Tengo 3 gatos y un perro."]
ENGLISH = ["Where is the station?", "Tom didn't want to do it.", "I have 3 cats and a dog."]


def tiny_subwords(attention="bahdanau", max_input_length=24):
    from zoo.subwords import SubwordVocabulary

    model = Seq2Seq(
        SubwordVocabulary.from_texts(SPANISH, 60).tokens,
        SubwordVocabulary.from_texts(ENGLISH, 60, specials=(PAD, START, END)).tokens,
        units=8,
        embedding_dim=6,
        attention=attention,
        readout_dim=5,
        max_input_length=max_input_length,
        max_output_length=6,
        tokenizer="subwords",
        seed=0,
    )
    model.build()
    rng = np.random.default_rng(0)
    model.set_weights(
        [rng.normal(0, 0.8, np.shape(w)).astype("float32") for w in model.get_weights()]
    )
    return model


def test_subword_model_round_trips_through_keras_exactly(tmp_path):
    model = tiny_subwords()
    again = round_trip(model, SPANISH, tmp_path / "t.keras")
    assert again.tokenizer == "subwords" and again.readout_dim == 5
    assert again.source == model.source and again.target == model.target


def test_subword_attention_rows_sum_to_one_with_zeros_on_padding():
    model = tiny_subwords()
    ids = model.encode_texts(SPANISH)
    lengths = (ids != model.source_pad).sum(axis=1)
    assert len(set(lengths)) > 1  # the batch really is padded
    for width in (1, 3):
        tokens, _, attn = model.decode(ids, beam_width=width)
        for row, n in zip(attn, lengths, strict=True):
            np.testing.assert_allclose(row.sum(axis=1), 1.0, atol=1e-5)
            assert (row[:, n:] == 0).all()
    source, output, weights = model.align(SPANISH[0])
    assert source == model.source.pieces(SPANISH[0])
    assert output[-1] == END or len(output) == model.max_output_length
    assert weights.shape == (len(output), len(source))


def test_subword_input_limits_name_the_input_and_the_limit():
    model = tiny_subwords(max_input_length=12)
    with pytest.raises(ValueError, match=r"input 1 has \d+ tokens; this model reads at most 12"):
        model.translate(["Hola.", "Tom no quería hacerlo porque no tenía tiempo para nada."])
    with pytest.raises(ValueError, match="input 0 is empty or only whitespace: it has no tokens"):
        model.translate(["\x01\x02"])
    with pytest.raises(ValueError, match="input 2 is empty"):
        model.translate(["a", "b", " \t"])
    out = model.translate(["☃ 😀 ǅ", "ß"])  # characters never seen: OOV, no crash
    assert len(out) == 2 and all(isinstance(t, str) for t in out)
