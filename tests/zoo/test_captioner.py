"""zoo.models.Captioner on tiny random models and random region features:
attention over the 196 regions, greedy against beam search (scores
re-checked by teacher forcing), the doubly stochastic penalty against
numpy, scheduled sampling, serialisation and bad input."""

import keras
import numpy as np
import pytest

from tests.zoo.helpers import random_captioner
from zoo.images import ImageError
from zoo.models import Captioner
from zoo.models.captioner import SPECIALS, attention_penalty, caption_vocabulary

WORDS = ["a", "dog", "runs", "on", "the", "grass", "."]
VOCAB = [*SPECIALS, *WORDS]


def tiny(attention="soft", scale=0.8, seed=3, max_length=8):
    return random_captioner(
        VOCAB,
        seed,
        scale,
        units=12,
        embedding_dim=6,
        attention=attention,
        attention_units=5,
        memory_dim=10,
        max_length=max_length,
    )


def features(n=4, seed=0):
    return np.random.default_rng(seed).gamma(1.0, 2.0, (n, 196, 512)).astype("float32")


def log_prob(model, feats, tokens):
    """Teacher-forced log-probability of each decoded row (to END)."""
    rows = []
    for f, seq in zip(feats, tokens, strict=True):
        seq = list(seq)
        seq = seq[: seq.index(model.end) + 1] if model.end in seq else [t for t in seq if t]
        tin = np.array([[model.start, *seq[:-1]]], np.int32)
        logits = np.asarray(model((f[None], tin)), np.float64)[0]
        logits[:, [model.pad, model.oov, model.start]] = -np.inf
        logits -= logits.max(-1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        rows.append(logp[np.arange(len(seq)), seq].sum())
    return np.array(rows)


def test_vocabulary_keeps_words_seen_min_count_times():
    vocab = caption_vocabulary(["A dog runs.", "a dog sits", "A cat"], min_count=2)
    assert vocab == [*SPECIALS, "a", "dog"]


@pytest.mark.parametrize("width", [1, 3])
def test_attention_over_the_196_regions_sums_to_one(width):
    model = tiny()
    _, maps = model.caption_features(features(), width, return_attention=True)
    for m in maps:
        assert m.shape[1:] == (14, 14)
        np.testing.assert_allclose(m.sum(axis=(1, 2)), 1.0, atol=1e-5)
    tin = np.array([[model.start, 4, 5, 6]] * 4, np.int32)
    logits = model((features(), tin))
    assert logits.shape == (4, 4, len(VOCAB))


def test_beam_width_one_equals_greedy_and_scores_are_log_probabilities():
    model = tiny()
    f = features()
    greedy = model.decode(f)
    one = model.search.beam(*model.search_inputs(f), model.max_length, 1)
    np.testing.assert_array_equal(one[0], greedy[0])
    np.testing.assert_allclose(one[1], greedy[1], atol=1e-5)
    np.testing.assert_allclose(greedy[1], log_prob(model, f, greedy[0]), atol=1e-3)


def test_raw_beam_is_never_below_greedy(width=3):
    """Over many random images: the beam's answer (raw, no fallback) is
    at least as likely as greedy's, by independent teacher-forced scores."""
    model = tiny(scale=1.3, seed=5)
    f = features(16, seed=1)
    greedy, _, _ = model.decode(f)
    beam, logp, _ = model.decode(f, beam_width=width)
    np.testing.assert_allclose(logp, log_prob(model, f, beam), atol=1e-3)
    assert (log_prob(model, f, beam) >= log_prob(model, f, greedy) - 1e-4).all()


def test_penalty_is_xu_et_al_less_its_floor_per_word():
    rng = np.random.default_rng(0)
    weights = rng.dirichlet(np.ones(196), (3, 5)).astype("float32")  # (B, L, 196)
    target_in = np.array([[2, 4, 5, 6, 0], [2, 4, 0, 0, 0], [2, 4, 5, 6, 7]], np.int32)
    real = (target_in != 0).astype(np.float64)
    received = (weights * real[..., None]).sum(axis=1)
    xu = ((1.0 - received) ** 2).sum(axis=1)  # Xu et al. (2015), eq. 14
    floor = 196 * (1.0 - real.sum(axis=1) / 196) ** 2
    want = (xu - floor).sum() / real.sum()
    got = float(attention_penalty(keras.ops.convert_to_tensor(weights), target_in, 0))
    np.testing.assert_allclose(got, want, rtol=1e-4)


def test_training_adds_the_penalty_and_no_attention_adds_none():
    f, tin = features(2), np.array([[2, 4, 5], [2, 4, 0]], np.int32)
    model = tiny()
    model((f, tin), training=True)
    assert len(model.losses) == 1 and float(model.losses[0]) > 0
    baseline = tiny("none")
    baseline((f, tin), training=True)
    assert not baseline.losses


def test_no_attention_sees_the_image_only_through_the_initial_state():
    """Show and Tell: after the first state, the steps never read the
    regions; soft attention reads them at every step."""
    f, other = features(3), features(3, seed=9)
    tokens = np.array([4, 5, 6], np.int32)
    for kind, reads in (("none", False), ("soft", True)):
        model = tiny(kind)
        encoded, states = model.encode(f)
        encoded2, _ = model.encode(other)
        here = model.step(tokens, states, encoded)[0]
        there = model.step(tokens, states, encoded2)[0]
        assert (np.abs(np.asarray(here) - np.asarray(there)).max() > 1e-3) == reads


def test_scheduled_sampling_feeds_the_models_own_words():
    model = tiny()
    bias = np.zeros(len(VOCAB), "float32")
    bias[model.end] = -100.0  # nothing finishes early
    model.readout.bias.assign(bias)
    model.dropout.rate = 0.0
    f = features(3)
    tokens, _, _ = model.decode(f, max_length=5)
    teacher = np.full((3, 5), 4, np.int32)
    teacher[:, 0] = model.start
    model.sampling_probability.assign(1.0)
    own = np.asarray(model((f, teacher), training=True))
    fed = np.concatenate([np.full((3, 1), model.start), tokens[:, :4]], axis=1)
    np.testing.assert_allclose(own, model((f, fed)), atol=1e-5)


def test_keras_round_trip_is_exact(tmp_path):
    model = tiny()
    path = tmp_path / "captioner.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    f = features(3)
    tin = np.array([[model.start, 4, 5]] * 3, np.int32)
    np.testing.assert_array_equal(again((f, tin)), model((f, tin)))
    assert again.caption_features(f, 3) == model.caption_features(f, 3)
    assert again.vocabulary == VOCAB and again.get_config() == model.get_config()


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="PAD, OOV, START and END"):
        Captioner(WORDS)
    with pytest.raises(ValueError, match="attention"):
        Captioner(VOCAB, attention="hard")
    model = tiny()
    with pytest.raises(ValueError, match="beam_width"):
        model.caption([np.zeros((32, 32, 3), np.uint8)], beam_width=0)
    with pytest.raises(TypeError, match="list of images"):
        model.caption(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(TypeError, match="image 0 has dtype float32"):
        model.caption([np.zeros((32, 32, 3), np.float32)])
    with pytest.raises(ImageError, match="image 1 is 8x8"):
        model.caption([np.zeros((32, 32, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)])
    with pytest.raises(ImageError, match="image 0 has shape"):
        model.caption([np.zeros((32, 32, 2), np.uint8)])
    assert model.caption([]) == []
