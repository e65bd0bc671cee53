"""Search over a model's next-token scores in numpy: sampling for character
LMs, greedy and beam search for decoders. zoo.decoding holds the same rules
in keras.ops, for the compiled and exported graphs (tests hold the two
equal), so an app using onnxruntime gets the strings the Keras model gives."""

import numpy as np

NEG = -1e9  # the zoo's "ruled out" logit: softmax of it is exactly 0 in float32


# splitmix64 (Steele et al. 2014) in wrapping uint64: the sampler's noise,
# the same bits in numpy, inside the SavedModel (exports.graphs) and in Node.
GOLDEN = 0x9E3779B97F4A7C15
MIX = ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB))


def splitmix(x):
    """splitmix64's finaliser of uint64 `x` (an array), wrapping."""
    x = np.asarray(x, np.uint64)
    for shift, factor in MIX:
        x = (x ^ (x >> np.uint64(shift))) * np.uint64(factor)
    return x ^ (x >> np.uint64(31))


def gumbel(seed, step, vocab):
    """Gumbel noise (vocab,) float32 for one row at one step, from the
    row's int64 `seed` alone: argmax(logits / T + noise) samples
    softmax(logits / T). `step` counts the row's tokens, prompt included."""
    base = splitmix(np.array([seed], np.int64).astype(np.uint64))
    counter = np.int64(step) * vocab + np.arange(1, vocab + 1, dtype=np.int64)
    bits = splitmix(base + counter.astype(np.uint64) * np.uint64(GOLDEN))
    uniform = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)  # in (0, 1)
    return (-np.log(-np.log(uniform))).astype(np.float32)


def sample(logits, temperature, top_k, seed, step, banned=()):
    """A token id from one row of logits, never the OOV id 0 nor one of
    `banned` (unless `banned` holds every other id: then it gives way, as
    a text of n = 1 outruns the vocabulary): greedy at temperature 0, else
    the Gumbel-max draw of `seed` at `step` among the `top_k` likeliest ids
    (all when None), as the exported graphs draw it."""
    logits = np.asarray(logits, np.float32).copy()
    logits[0] += np.float32(NEG)
    banned = set(banned) - {0}
    if len(banned) < len(logits) - 1:
        logits[list(banned)] += np.float32(NEG)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / np.float32(max(temperature, 1e-6))
    if top_k is not None and top_k < len(logits) - 1:
        scaled[scaled < np.partition(scaled, -top_k)[-top_k]] = -np.inf
    return int(np.argmax(scaled + gumbel(seed, step, len(logits))))


NO_DECODING_DEFAULTS = {"length_penalty": 0.0, "no_repeat_ngram_size": 0}


def chosen_decoding(defaults, length_penalty=None, no_repeat_ngram_size=None):
    """(length_penalty, no_repeat_ngram_size): each as given, else the
    model's default (`defaults`: a model's DECODING, zoo.json's
    "decoding_defaults"; chosen on validation), else none."""
    chosen = {**NO_DECODING_DEFAULTS, **(defaults or {})}
    if length_penalty is None:
        length_penalty = chosen["length_penalty"]
    if no_repeat_ngram_size is None:
        no_repeat_ngram_size = chosen["no_repeat_ngram_size"]
    return length_penalty, no_repeat_ngram_size


def random_seed():
    """A seed for a caller who gave none."""
    return int(np.random.default_rng().integers(0, 2**63 - 1))


def top_k_indices(values, k):
    """Per row of values (B, N): the indices of the k largest, largest first,
    ties to the lowest index: what `np.argsort(-values, kind="stable")[:, :k]`
    gives (and zoo.decoding's top_k), without sorting whole rows (a beam
    search's rows are beam x vocabulary long; the full sort was half of its
    time)."""
    width = values.shape[1]
    kth = np.partition(values, width - k, axis=1)[:, width - k : width - k + 1]  # k-th largest
    chosen = values >= kth
    extra = chosen.sum(axis=1) > k  # ties at the k-th value: keep the lowest indices
    if extra.any():
        rows = values[extra]
        above, equal = rows > kth[extra], rows == kth[extra]
        missing = k - above.sum(axis=1, keepdims=True)
        chosen[extra] = above | (equal & (np.cumsum(equal, axis=1) <= missing))
    index = np.nonzero(chosen)[1].reshape(len(values), k)
    order = np.argsort(-np.take_along_axis(values, index, axis=1), axis=1, kind="stable")
    return np.take_along_axis(index, order, axis=1)


def per_token_log_prob(log_prob, ids, pad):
    """Each row's log-probability (B,) divided by the tokens it chose (B, L):
    every id but PAD, END included. The same figure the search graphs give
    as `log_prob_per_token`: how sure the model was of its output, per
    token, whatever the output's length."""
    chosen = np.maximum((np.asarray(ids) != pad).sum(axis=-1), 1)
    return (np.asarray(log_prob, np.float32) / chosen).astype(np.float32)


def log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class Decoder:
    """Decoding with one decoder step `step(token_ids, states, context) ->
    (logits, states)`, where `context` holds the encoder's per-example
    outputs (memory, mask...). `banned` ids (OOV, PAD, START) are never
    chosen."""

    def __init__(self, step, vocab_size, banned, start, end, pad):
        self.step, self.start, self.end, self.pad = step, start, end, pad
        self.mask = np.zeros(vocab_size, np.float32)
        self.mask[list(banned)] = NEG

    def greedy(self, states, context, batch, max_length, no_repeat_ngram_size=0):
        """-> tokens (B, L), log-probability (B,)."""
        token = np.full(batch, self.start, np.int32)
        finished = np.zeros(batch, bool)
        total = np.zeros(batch, np.float32)
        steps = []
        for t in range(max_length):
            logits, states = self.step(token, states, context)
            logits = logits + self.mask
            if no_repeat_ngram_size and steps:
                written = np.stack(steps, axis=1)
                logits[repeats(written, t, no_repeat_ngram_size, logits.shape[-1])] = NEG
            logp = log_softmax(logits)
            best = np.argmax(logits, axis=-1).astype(np.int32)
            total += np.where(finished, 0.0, logp[np.arange(batch), best])
            token = np.where(finished, self.pad, best).astype(np.int32)
            finished |= token == self.end
            steps.append(token)
        return np.stack(steps, axis=1), total

    def beam(self, states, context, batch, max_length, k, length_penalty, no_repeat_ngram_size=0):
        """Best of k beams by log p / ((5 + length) / 6) ** length_penalty
        (Wu et al. 2016) -> tokens (B, L), log-probability (B,)."""
        states = [np.repeat(s, k, axis=0) for s in states]
        context = {name: np.repeat(v, k, axis=0) for name, v in context.items()}
        vocab = len(self.mask)
        tokens = np.full(batch * k, self.start, np.int32)
        scores = np.tile(np.where(np.arange(k) == 0, 0.0, NEG).astype(np.float32), (batch, 1))
        finished = np.zeros((batch, k), bool)
        lengths = np.zeros((batch, k), np.int32)
        seqs = np.full((batch, k, max_length), self.pad, np.int32)
        pad_only = np.full(vocab, NEG, np.float32)
        pad_only[self.pad] = 0.0
        rows = np.arange(batch)[:, None]
        for t in range(max_length):
            logits, states = self.step(tokens, states, context)
            logits = logits + self.mask
            if no_repeat_ngram_size:
                written = seqs.reshape(batch * k, max_length)
                logits[repeats(written, t, no_repeat_ngram_size, vocab)] = NEG
            logp = log_softmax(logits).reshape(batch, k, vocab)
            logp = np.where(finished[..., None], pad_only, logp)
            total = (scores[..., None] + logp).reshape(batch, k * vocab)
            index = top_k_indices(total, k)
            scores = np.take_along_axis(total, index, axis=1)
            beam, token = index // vocab, (index % vocab).astype(np.int32)
            flat = (rows * k + beam).reshape(-1)
            states = [s[flat] for s in states]
            finished_before = finished[rows, beam]
            lengths = lengths[rows, beam] + ~finished_before
            seqs = seqs[rows, beam]
            seqs[:, :, t] = token
            finished = finished_before | (token == self.end)
            tokens = token.reshape(-1)
        normed = scores / ((5.0 + lengths) / 6.0) ** length_penalty
        best = np.argmax(normed, axis=1)
        return seqs[np.arange(batch), best], scores[np.arange(batch), best]

    def decode(
        self, states, context, max_length, beam_width=1, length_penalty=0.0, no_repeat_ngram_size=0
    ):
        """Greedy (beam_width 1) or beam search, as zoo.decoding -> tokens,
        log-probability."""
        batch, blocking = len(states[0]), no_repeat_ngram_size
        if beam_width == 1:
            return self.greedy(states, context, batch, max_length, blocking)
        return self.beam(states, context, batch, max_length, beam_width, length_penalty, blocking)


class NgramBlock:
    """The tokens that would complete an n-gram one row already holds, kept
    as the row grows: a dict from each (n-1)-gram to the tokens that have
    followed it, so a step costs O(n) however long the row (`repeats`
    rescans the row: fine for captions, not for 4,096 characters)."""

    def __init__(self, n):
        self.n, self.tokens, self.followers = n, [], {}

    def add(self, token):
        self.tokens.append(int(token))
        if self.n and len(self.tokens) >= self.n:
            key = tuple(self.tokens[len(self.tokens) - self.n : -1])
            self.followers.setdefault(key, set()).add(int(token))

    def banned(self):
        if not self.n or len(self.tokens) < self.n - 1:
            return ()
        return self.followers.get(tuple(self.tokens[len(self.tokens) - self.n + 1 :]), ())


def repeats(written, t, n, vocab):
    """(R, V) bool: True for each token that, written at step t after a
    row's tokens `written` (R, >= t), would complete an n-gram the row
    already holds: zoo.decoding.repeats, row by row."""
    out = np.zeros((len(written), vocab), bool)
    if t < n - 1:
        return out
    for r, row in enumerate(np.asarray(written)[:, :t].tolist()):
        tail = row[t - n + 1 :] if n > 1 else []
        for j in range(t - n + 1):
            if row[j : j + n - 1] == tail:
                out[r, row[j + n - 1]] = True
    return out
