"""Greedy decoding and beam search for every zoo decoder (seq2seq,
captioning), written once with `keras.ops` so that they compile and export.

A decoder is a step function `step(tokens (B,), states, context) ->
(logits (B, V), states, attention weights (B, T))`; `context` is a structure
(zoo.models.encoder_decoder.Encoded) of the encoder's per-example tensors
(None entries allowed), which beam search repeats once per beam. Both
searches run as fixed-length `keras.ops.scan` loops; finished sequences
continue with padding.
"""

import keras
import numpy as np
from keras import ops

NEG = -1e9  # a ruled-out logit: softmax gives exactly 0 in float32


class Search:
    """Searches over one decoder's step. `banned` ids (OOV, PAD, START)
    are never chosen."""

    def __init__(self, step, vocab_size, banned, start, end, pad):
        self.step, self.vocab_size = step, vocab_size
        self.start, self.end, self.pad = start, end, pad
        mask = np.zeros(vocab_size, "float32")
        mask[list(banned)] = NEG
        self.mask = mask

    def allowed(self, logits):
        return logits + ops.convert_to_tensor(self.mask)

    def best(self, logits):
        """The most likely allowed id (B,)."""
        return best_ids(self.allowed(logits))

    def greedy(self, states, context, batch, max_length, no_repeat_ngram_size=0):
        """-> tokens (B, L), log-probability (B,), attention (B, L, T). With
        no_repeat_ngram_size n, no row writes any n-gram twice (`repeats`)."""
        steps = ops.shape(context[0])[1]
        init = (
            ops.full((batch,), self.start, dtype="int32"),
            list(states),
            ops.zeros((batch,), dtype="bool"),
            ops.zeros((batch,), dtype="float32"),  # this step's log-probability
            ops.zeros((batch, steps), dtype="float32"),  # this step's attention
            ops.full((batch, max_length), self.pad, dtype="int32"),  # written so far
        )

        def body(carry, t):
            tokens, states, finished, _, _, written = carry
            logits, states, weights = self.step(tokens, states, context)
            logits = self.allowed(logits)
            if no_repeat_ngram_size:
                logits = blocked(logits, written, t, no_repeat_ngram_size)
            token = best_ids(logits)
            logp = _pick(ops.log_softmax(logits, axis=-1), token)
            token = ops.where(finished, self.pad, token)
            logp = ops.where(finished, 0.0, logp)
            written = ops.where(ops.equal(ops.arange(max_length), t), token[:, None], written)
            finished = finished | ops.equal(token, self.end)
            return token, list(states), finished, logp, weights, written

        xs = ops.arange(max_length, dtype="int32")
        _, (tokens, _, _, logps, weights, _) = scan_states(body, init, xs)
        return ops.transpose(tokens), ops.sum(logps, axis=0), ops.transpose(weights, (1, 0, 2))

    def greedy_until_done(self, states, context, batch, max_length):
        """greedy, stopping as soon as every sequence has ended (early stop)
        instead of running all max_length steps -> tokens (B, L), padded
        after the steps taken, log-probability (B,), attention (B, L, T),
        zeros after those steps, and the number of steps taken."""
        steps = ops.shape(context[0])[1]
        positions = ops.arange(max_length)

        def running(t, token, states, finished, logp, tokens, attention):
            return ops.logical_and(t < max_length, ops.logical_not(ops.all(finished)))

        def body(t, token, states, finished, logp, tokens, attention):
            logits, states, weights = self.step(token, states, context)
            token = ops.where(finished, self.pad, self.best(logits))
            step = _pick(ops.log_softmax(self.allowed(logits), axis=-1), token)
            here = ops.equal(positions, t)
            tokens = ops.where(here[None], token[:, None], tokens)
            attention = ops.where(
                here[None, :, None], ops.cast(weights, "float32")[:, None], attention
            )
            logp = logp + ops.where(finished, 0.0, step)
            return (
                t + 1,
                token,
                list(states),
                finished | ops.equal(token, self.end),
                logp,
                tokens,
                attention,
            )

        init = (
            ops.convert_to_tensor(0, "int32"),
            ops.full((batch,), self.start, dtype="int32"),
            list(states),
            ops.zeros((batch,), dtype="bool"),
            ops.zeros((batch,), dtype="float32"),
            ops.full((batch, max_length), self.pad, dtype="int32"),
            ops.zeros((batch, max_length, steps), dtype="float32"),
        )
        taken, _, _, _, logp, tokens, attention = ops.while_loop(running, body, init)
        return tokens, logp, attention, taken

    def beam(
        self,
        states,
        context,
        batch,
        max_length,
        k,
        length_penalty=0.0,
        coverage_penalty=0.0,
        all_beams=False,
        no_repeat_ngram_size=0,
    ):
        """Best of k beams by log p / ((5 + length) / 6) ** length_penalty
        (+ coverage_penalty * sum_j log min(attention summed over steps_j, 1);
        Wu et al. 2016) -> tokens (B, L), log-probability (B,), attention;
        with all_beams, every beam, best first: (B, K, L), (B, K), (B, K, L, T).
        With no_repeat_ngram_size n, no beam writes any n-gram twice."""
        vocab = self.vocab_size
        tile = lambda t: None if t is None else tile_batch(t, k)  # noqa: E731
        context = keras.tree.map_structure(tile, context)
        steps = ops.shape(context[0])[1]
        first_only = np.full(k, NEG, "float32")
        first_only[0] = 0.0  # all beams start equal: keep one, or they'd stay copies
        init = (
            ops.full((batch * k,), self.start, dtype="int32"),
            [tile(s) for s in states],
            ops.tile(ops.convert_to_tensor(first_only)[None], (batch, 1)),  # scores (B, K)
            ops.zeros((batch, k), dtype="bool"),  # finished
            ops.zeros((batch, k), dtype="int32"),  # lengths
            ops.full((batch, k, max_length), self.pad, dtype="int32"),  # sequences
            ops.zeros((batch, k, max_length, steps), dtype="float32"),  # attention
        )

        def body(carry, t):
            tokens, states, scores, finished, lengths, seqs, attn = carry
            logits, states, weights = self.step(tokens, states, context)
            logits = self.allowed(logits)
            if no_repeat_ngram_size:
                written = ops.reshape(seqs, (batch * k, max_length))
                logits = blocked(logits, written, t, no_repeat_ngram_size)
            logp = ops.reshape(ops.log_softmax(logits, axis=-1), (batch, k, vocab))
            logp = only_token_when_finished(logp, finished, self.pad)
            scores, beam, token, _ = best_continuations(scores[..., None] + logp, k)
            states = [_regroup(s, beam, batch, k) for s in states]
            weights = _regroup(weights, beam, batch, k)
            finished_before = ops.take_along_axis(finished, beam, axis=1)
            lengths = ops.take_along_axis(lengths, beam, axis=1) + ops.cast(
                ops.logical_not(finished_before), "int32"
            )
            here = ops.equal(ops.arange(max_length), t)
            seqs = ops.take_along_axis(seqs, beam[..., None], axis=1)
            seqs = ops.where(here, token[..., None], seqs)
            attn = ops.take_along_axis(attn, beam[..., None, None], axis=1)
            attn = ops.where(here[:, None], ops.reshape(weights, (batch, k, 1, steps)), attn)
            finished = finished_before | ops.equal(token, self.end)
            return ops.reshape(token, (-1,)), states, scores, finished, lengths, seqs, attn

        final = scan_states(body, init, ops.arange(max_length), keep=False)
        _, _, scores, _, lengths, seqs, attn = final
        ranked = scores / length_penalty_of(lengths, length_penalty)
        if coverage_penalty:
            ranked = ranked + coverage_penalty_of(ops.sum(attn, axis=2), coverage_penalty)
        if all_beams:
            order = ops.top_k(ranked, k)[1]
            return tuple(gather_beams(x, order) for x in (seqs, scores, attn))
        best = ops.top_k(ranked, 1)[1]  # (B, 1)
        return tuple(_take_best(x, best) for x in (seqs, scores, attn))

    def kept(self, row):
        """A decoded row's ids before END, without padding."""
        row = [int(t) for t in row]
        row = row[: row.index(self.end)] if self.end in row else row
        return [t for t in row if t != self.pad]

    def forced(self, states, context, teacher, own, step=None):
        """Teacher forcing over `teacher` (B, L) decoder inputs (START
        first); where `own` (B, L) is set, the model's previous best token
        is fed instead (scheduled sampling). `step` defaults to the
        search's (pass a training-mode one) -> logits (B, L, V), attention
        (B, L, T)."""
        step = step or self.step
        batch, steps = ops.shape(teacher)[0], ops.shape(context[0])[1]
        init = (
            list(states),
            ops.zeros((batch, self.vocab_size), dtype="float32"),
            ops.zeros((batch, steps), dtype="float32"),
        )

        def body(carry, x):
            states, previous, _ = carry
            token = ops.where(ops.greater(x[:, 1], 0), self.best(previous), x[:, 0])
            logits, states, weights = step(token, states, context)
            return list(states), ops.cast(logits, "float32"), ops.cast(weights, "float32")

        # One tensor to scan over: Keras' TensorFlow scan fails on several
        # when the length is unknown (batches padded to their own longest).
        xs = ops.stack([ops.transpose(teacher), ops.transpose(ops.cast(own, "int32"))], axis=-1)
        _, (_, logits, weights) = scan_states(body, init, xs)
        return ops.transpose(logits, (1, 0, 2)), ops.transpose(weights, (1, 0, 2))

    def decode(
        self,
        states,
        context,
        batch,
        max_length,
        beam_width=1,
        length_penalty=0.0,
        coverage_penalty=0.0,
        no_repeat_ngram_size=0,
    ):
        """Greedy (beam_width 1) or beam search -> tokens, log-probability,
        attention. The raw beam: no fallback to greedy's answer."""
        if beam_width == 1:
            return self.greedy(states, context, batch, max_length, no_repeat_ngram_size)
        return self.beam(
            states,
            context,
            batch,
            max_length,
            beam_width,
            length_penalty,
            coverage_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size,
        )


def best_ids(logits):
    """The most likely id along the last axis, int32. top_k rather than
    argmax: argmax on floats exports as an op tf2onnx cannot convert
    (Bitcast). Ties go to the lowest id, as argmax's do."""
    return ops.cast(ops.top_k(logits, 1)[1][..., 0], "int32")


def scan_states(step, init, xs=None, length=None, keep=True):
    """keras.ops.scan where `step(carry, x)` returns the new carry, and the
    outputs are the carries of every step (stacked), or None with keep=False.
    Keras' TensorFlow scan packs its outputs in the carry's structure, so
    outputs of another structure cannot pass through it."""
    final, stacked = ops.scan(lambda c, x: (step(c, x),) * 2, init, xs, length)
    return (final, stacked) if keep else final


def sampled(shape, probability, seed_generator):
    """Scheduled sampling's draws (Bengio et al. 2015): True where a
    (B, L) decoder input is to be the model's own previous prediction, with
    `probability`; never the first (START)."""
    time_major = (shape[1], shape[0])  # the order the draws have always been taken in
    own = ops.less(keras.random.uniform(time_major, seed=seed_generator), probability)
    own = ops.concatenate([ops.zeros_like(own[:1]), own[1:]], axis=0)
    return ops.transpose(own)


def repeats(written, t, n, vocab):
    """(R, V) bool: True for each token that, written at step t after a
    row's tokens `written` (R, L; steps t and later unwritten), would
    complete an n-gram the row already holds (Paulus et al. 2018's trigram
    blocking, for any n). One scatter of the (R, L - n + 1) n-gram ends,
    not an (R, L, V) one-hot."""
    length = written.shape[1]
    starts = length - n + 1
    rows = ops.shape(written)[0]
    if starts < 1:
        return ops.zeros((rows, vocab), dtype="bool")
    # An n-gram starting at j counts once its last token (step j + n - 1) is written.
    match = ops.less(ops.arange(starts) + (n - 1), t)[None]
    for i in range(n - 1):  # and its first n - 1 tokens are the row's last n - 1
        previous = ops.take(written, ops.clip(t - (n - 1) + i, 0, length - 1), axis=1)
        match = match & ops.equal(written[:, i : i + starts], previous[:, None])
    ends = written[:, n - 1 :]
    row = ops.broadcast_to(ops.arange(rows, dtype="int32")[:, None], ops.shape(ends))
    index = ops.reshape(ops.stack([row, ends], axis=-1), (-1, 2))
    match = ops.broadcast_to(match, ops.shape(ends))  # n = 1 compares nothing
    hits = ops.scatter(index, ops.reshape(ops.cast(match, "float32"), (-1,)), (rows, vocab))
    return ops.greater(hits, 0.0)


def blocked(logits, written, t, n):
    """`logits` (R, V) with the tokens that would repeat an n-gram ruled out."""
    vocab = ops.shape(logits)[-1]
    return ops.where(repeats(written, t, n, vocab), NEG, logits)


def _pick(log_probs, token):
    return ops.take_along_axis(log_probs, token[:, None], axis=1)[:, 0]


def _take_best(x, best):
    """x (B, K, ...) -> (B, ...) at beam best[b, 0]."""
    index = ops.reshape(best, (-1, 1) + (1,) * (len(x.shape) - 2))
    return ops.take_along_axis(x, index, axis=1)[:, 0]


def _regroup(x, beam, batch, k):
    """Rows of x (B*K, ...) reordered so beam j of each example takes the
    row of beam `beam[b, j]`."""
    return ops.reshape(gather_beams(ops.reshape(x, (batch, k, -1)), beam), ops.shape(x))


def only_token_when_finished(log_probs, finished, token, low=NEG):
    """Step log-probabilities (B, K, V) where a finished beam can only go on
    with `token` (PAD here, END in TF Addons' search), at no cost: 0 there,
    `low` elsewhere."""
    vocab = ops.shape(log_probs)[-1]
    row = ops.where(ops.equal(ops.arange(vocab), token), 0.0, low)
    return ops.where(finished[..., None], ops.cast(row, log_probs.dtype), log_probs)


def best_continuations(ranking, k):
    """The k best (beam, token) continuations of each example by `ranking`
    (B, K, V) -> values (B, k), beams (B, k), tokens (B, k) int32, and their
    flat indices into (B, K * V)."""
    batch, vocab = ops.shape(ranking)[0], ops.shape(ranking)[-1]
    values, index = ops.top_k(ops.reshape(ranking, (batch, -1)), k)
    return values, index // vocab, ops.cast(index % vocab, "int32"), index


def gather_beams(x, beam):
    """x (B, K, ...) with beam j of each example taken from beam
    `beam[b, j]` (B, K'): the survivors of a beam-search step."""
    index = ops.cast(beam, "int32")
    for _ in range(len(x.shape) - 2):
        index = index[..., None]
    return ops.take_along_axis(x, index, axis=1)


def length_penalty_of(lengths, weight):
    """((5 + length) / 6) ** weight (Wu et al. 2016, eq. 14): dividing
    log-probabilities by it stops beam search favouring short outputs."""
    return ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, weight)


def coverage_penalty_of(accumulated_attention, weight):
    """weight * sum_j log(min(a_j, 1)), a_j the attention source step j has
    received so far (Wu et al. 2016, eq. 14): negative while some source
    step is under-attended. Steps with no attention at all (padding) count
    as covered."""
    a = ops.where(ops.equal(accumulated_attention, 0.0), 1.0, accumulated_attention)
    return weight * ops.sum(ops.log(ops.minimum(a, 1.0)), axis=-1)


def tile_batch(x, multiplier):
    """Each example's rows repeated `multiplier` times in a row, (B, ...) ->
    (B * multiplier, ...): the batch-major layout beam search works in
    (example b's beams are rows b*K .. b*K + K-1). Any nested structure."""
    return keras.tree.map_structure(lambda t: ops.repeat(t, multiplier, axis=0), x)


def gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token):
    """Whole beams from a search's per-step choices: step_ids and
    parent_ids (T, B, K) hold each step's token and the beam it extended;
    following parents back from each example's last step gives beam k's
    tokens (T, B, K). Steps at or past an example's length, and every step
    after a beam's first end token, are end_token."""
    step_ids = ops.convert_to_tensor(step_ids)
    parent_ids = ops.cast(parent_ids, step_ids.dtype)
    steps, beams = ops.shape(step_ids)[0], ops.shape(step_ids)[2]
    lengths = ops.cast(ops.convert_to_tensor(max_sequence_lengths), "int32")
    identity = ops.broadcast_to(ops.arange(beams, dtype=step_ids.dtype), ops.shape(step_ids)[1:])

    def back(parent, t):
        inside = ops.less(t, lengths)[:, None]  # (B, 1)
        ids = ops.take_along_axis(step_ids[t], parent, axis=1)
        ids = ops.where(inside, ids, ops.cast(end_token, ids.dtype))
        # Past an example's end its beams wait at themselves for the last step.
        parent = ops.where(inside, ops.take_along_axis(parent_ids[t], parent, axis=1), identity)
        return parent, ids

    _, ids = ops.scan(back, identity, ops.arange(steps - 1, -1, -1, dtype="int32"))
    ids = ops.flip(ids, axis=0)
    ended = ops.cumsum(ops.cast(ops.equal(ids, end_token), "int32"), axis=0) > 0
    return ops.where(ended, ops.cast(end_token, ids.dtype), ids)
