"""n-gram repetition blocking (no_repeat_ngram_size) in zoo.decoding and in
the numpy search of the TF-free runtime, on hand-made step functions where
greedy decoding loops: against a plain-Python greedy written from the
definition, and the two searches against each other."""

import itertools

import numpy as np
import pytest
from keras import ops

from zoo import decoding
from zoo_runtime import search as numpy_search

OOV, PAD, START, END = 0, 1, 2, 3
BANNED = (OOV, PAD, START)


def markov(table):
    """A decoder whose logits depend only on the previous token: row
    `table[previous]`; one dummy state, one-step attention."""
    table = np.asarray(table, "float32")

    def keras_step(tokens, states, context):
        logits = ops.take(ops.convert_to_tensor(table), tokens, axis=0)
        return logits, states, ops.ones((ops.shape(tokens)[0], 1))

    def numpy_step(tokens, states, context):
        return table[tokens], states

    return keras_step, numpy_step


# START -> a; a -> b; b -> a; END always third: greedy writes "a b a b ...".
LOOP = np.full((6, 6), -5.0)
LOOP[START, 4] = LOOP[4, 5] = LOOP[5, 4] = 2.0
LOOP[:, END] = 1.0


def python_greedy(table, n, length):
    """Greedy from the definition: the likeliest allowed token that does
    not complete an n-gram already written (n = 0: no blocking)."""
    out, previous = [], START
    for _ in range(length):
        scores = {w: table[previous][w] for w in range(len(table)) if w not in BANNED}
        if n:
            grams = {tuple(out[j : j + n]) for j in range(len(out) - n + 1)}
            tail = tuple(out[len(out) - n + 1 :]) if n > 1 else ()
            scores = {w: v for w, v in scores.items() if tail + (w,) not in grams} or scores
        previous = max(sorted(scores), key=lambda w: scores[w])
        out.append(previous)
        if previous == END:
            break
    return out + [PAD] * (length - len(out))


def keras_decode(table, n, length, beam_width=1, batch=1):
    step, _ = markov(table)
    search = decoding.Search(step, len(table), BANNED, START, END, PAD)
    states, context = [np.zeros((batch, 1), "float32")], (np.zeros((batch, 1, 1), "float32"),)
    tokens, logp, _ = search.decode(
        states, context, batch, length, beam_width, no_repeat_ngram_size=n
    )
    return np.asarray(tokens), np.asarray(logp)


def numpy_decode(table, n, length, beam_width=1, batch=1):
    _, step = markov(table)
    search = numpy_search.Decoder(step, len(table), BANNED, START, END, PAD)
    states = [np.zeros((batch, 1), "float32")]
    return search.decode(states, {}, length, beam_width, no_repeat_ngram_size=n)


def has_repeat(row, n):
    row = [t for t in row if t not in (PAD, END)]
    grams = [tuple(row[j : j + n]) for j in range(len(row) - n + 1)]
    return len(grams) != len(set(grams))


def test_blocking_stops_the_loop():
    tokens, _ = keras_decode(LOOP, 0, 8)
    assert tokens[0].tolist() == [4, 5] * 4  # the loop itself
    for n, want in ((1, [4, 5, END]), (2, [4, 5, 4, END]), (3, [4, 5, 4, 5, END])):
        tokens, _ = keras_decode(LOOP, n, 8)
        assert tokens[0].tolist() == want + [PAD] * (8 - len(want)), n
        assert tokens[0].tolist() == python_greedy(LOOP, n, 8)


@pytest.mark.parametrize("seed", range(3))
def test_greedy_matches_the_definition_and_the_numpy_search(seed):
    rng = np.random.default_rng(seed)
    for n, _ in itertools.product((1, 2, 3), range(4)):
        # Peaked rows: greedy revisits the same few tokens, so blocks happen.
        table = rng.normal(0, 1, (9, 9)) + 4 * np.eye(9)[rng.permutation(9)]
        tokens, logp = keras_decode(table, n, 10)
        assert tokens[0].tolist() == python_greedy(table, n, 10), (seed, n)
        ids, log_prob = numpy_decode(table, n, 10)
        np.testing.assert_array_equal(ids, tokens)
        np.testing.assert_allclose(log_prob, logp, atol=1e-5)


@pytest.mark.parametrize("n", [2, 3])
def test_beams_never_repeat_and_both_searches_agree(n):
    rng = np.random.default_rng(n)
    repeated = 0
    for _ in range(6):
        table = rng.normal(0, 1, (9, 9)) + 4 * np.eye(9)[rng.permutation(9)]
        table[:, END] -= 3  # long outputs, where repeats can happen
        tokens, logp = keras_decode(table, n, 10, beam_width=3, batch=2)
        ids, log_prob = numpy_decode(table, n, 10, beam_width=3, batch=2)
        np.testing.assert_array_equal(ids, tokens)
        np.testing.assert_allclose(log_prob, logp, atol=1e-4)
        assert not any(has_repeat(row, n) for row in tokens.tolist())
        unblocked, _ = keras_decode(table, 0, 10, beam_width=3, batch=2)
        repeated += any(has_repeat(row, n) for row in unblocked.tolist())
    assert repeated  # without blocking, some beams do repeat


def test_the_size_is_bounded():
    from zoo_runtime.checks import check_ngram_size

    for bad in (-1, 9, 2.0, True, "3"):
        with pytest.raises(ValueError, match="no_repeat_ngram_size"):
            check_ngram_size(bad)
    check_ngram_size(0)


def test_the_running_block_bans_what_the_definition_bans():
    # NgramBlock (CharLM.generate's, O(n) a step) against the definition:
    # x is banned after `row` when row + [x] ends in an n-gram row holds.
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 5):
        row = rng.integers(0, 4, size=60).tolist()
        block = numpy_search.NgramBlock(n)
        for t, token in enumerate(row):
            grams = {tuple(row[j : j + n]) for j in range(t - n + 1)}
            want = {
                x for x in range(4) if t + 1 >= n and tuple((row[:t] + [x])[t + 1 - n :]) in grams
            }
            assert set(block.banned()) == want, (n, t)
            block.add(token)
    assert numpy_search.NgramBlock(0).banned() == ()


def test_a_block_that_bans_every_other_id_gives_way():
    # n = 1 over a text longer than the vocabulary: once every character is
    # written, the next is drawn as if unblocked, never the OOV id 0.
    logits = np.array([5.0, 1.0, 3.0, 2.0], np.float32)
    assert numpy_search.sample(logits, 0, None, 0, 0, banned={2, 3}) == 1
    assert numpy_search.sample(logits, 0, None, 0, 0, banned={1, 2, 3}) == 2
    for seed in range(20):
        assert numpy_search.sample(logits, 1.0, None, seed, 3, banned={1, 2, 3}) != 0


@pytest.mark.artifact
def test_char_lm_greedy_loops_without_blocking_and_not_with_it():
    import zoo

    model = zoo.load("char-lstm-shakespeare")
    plain = model.generate("ROMEO:", 300, temperature=0)
    blocked = model.generate("ROMEO:", 300, temperature=0, no_repeat_ngram_size=8)

    def repeated(text, n):
        grams = [text[i : i + n] for i in range(len(text) - n + 1)]
        return len(grams) - len(set(grams))

    assert repeated(plain, 40) > 0  # a whole line comes back
    assert repeated(blocked, 8) == 0 and blocked[:20] == plain[:20]
    once = model.generate("ROMEO:", 100, temperature=0, no_repeat_ngram_size=1)
    size = len(model.vocabulary) - 1  # every character but OOV, once each, then unblocked
    assert len(set(once[:size])) == size and "\ufffd" not in once
    with pytest.raises(ValueError, match="no_repeat_ngram_size"):
        model.generate("ROMEO:", 10, no_repeat_ngram_size=9)
