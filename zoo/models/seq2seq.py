"""Sequence-to-sequence over characters with Bahdanau attention.

Encoder: a bidirectional layer of any zoo cell over the source characters;
its memory h_j is [forward; backward]. Decoder: one zoo cell whose state
s_{i-1} queries the attention, and whose input is the previous character's
embedding joined with the context c_i (input feeding); the readout sees
[s_i; c_i]. The decoder starts from tanh(W [final forward; final backward]).
With attention="none" the context is that final summary at every step:
the fixed-vector baseline of Cho et al. (2014).

Training uses teacher forcing, optionally with scheduled sampling (Bengio et
al. 2015): each step feeds the model's own previous prediction with
probability `sampling_probability` (a variable a training callback moves).
Greedy decoding and beam search run as fixed-length `keras.ops.scan` loops,
so they compile and export; finished sequences continue with padding.
"""

import collections

import keras
import numpy as np
from keras import ops

from zoo import layers
from zoo.models.compiled import compiled
from zoo.text import END, PAD, START, CharVocabulary

ATTENTION = ("bahdanau", "bahdanau-normalized", "luong", "none")
_NEG = -1e9
DECODER_CACHE = 8  # compiled decoders kept, least recently used dropped first
WHITESPACE = " \t\n\r\f\v"  # what counts as blank, here and in exported graphs


def make_attention(kind, units):
    if kind not in ATTENTION:
        raise ValueError(f"`attention` must be one of {ATTENTION}, got {kind!r}")
    if kind == "none":
        return None
    if kind == "luong":
        return layers.LuongAttention("general", name="attention")
    return layers.BahdanauAttention(units, normalize=kind.endswith("normalized"), name="attention")


@keras.saving.register_keras_serializable(package="zoo")
class Seq2Seq(keras.Model):
    """Character seq2seq. Vocabularies are token lists (id 0 = OOV); the
    target one must hold PAD, START and END, the source one PAD."""

    def __init__(
        self,
        source_vocabulary,
        target_vocabulary,
        cell="gru",
        units=128,
        embedding_dim=32,
        attention="bahdanau",
        attention_units=None,
        max_input_length=256,
        max_output_length=32,
        cell_options=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.source = CharVocabulary(source_vocabulary)
        self.target = CharVocabulary(target_vocabulary)
        self.source_pad = self.source.id(PAD)
        self.pad, self.start, self.end = (self.target.id(t) for t in (PAD, START, END))
        self.cell_name, self.units, self.embedding_dim = cell, units, embedding_dim
        self.attention_kind, self.attention_units = attention, attention_units
        self.max_input_length, self.max_output_length = max_input_length, max_output_length
        self.cell_options = dict(cell_options or {})
        self.seed = seed

        self.source_embedding = keras.layers.Embedding(len(self.source), embedding_dim)
        self.encoder = keras.layers.Bidirectional(
            layers.RNN(
                layers.make_cell(cell, units, self.cell_options),
                return_sequences=True,
                return_state=True,
            ),
            name="encoder",
        )
        self.target_embedding = keras.layers.Embedding(len(self.target), embedding_dim)
        self.decoder_cell = layers.make_cell(cell, units, self.cell_options)
        self.bridge = [
            keras.layers.Dense(size, activation="tanh", name=f"bridge_{i}")
            for i, size in enumerate(self.decoder_cell.state_size)
        ]
        self.attention = make_attention(attention, attention_units or units)
        self.readout = keras.layers.Dense(len(self.target), dtype="float32", name="readout")
        self.sampling_probability = keras.Variable(
            0.0, trainable=False, name="sampling_probability"
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Tracked as a model variable, so checkpoints (and a resumed run)
        # carry the sampling draws' random state too.
        self.sampling_seed_state = self.seed_generator.state
        self._decoders = collections.OrderedDict()

    # ---- structure -------------------------------------------------------
    def build(self, input_shape=None):
        memory = 2 * self.units
        self.source_embedding.build((None, None))
        self.encoder.build((None, None, self.embedding_dim))
        self.target_embedding.build((None, None))
        self.decoder_cell.build((None, self.embedding_dim + memory))
        for dense in self.bridge:
            dense.build((None, memory))
        if self.attention is not None:
            self.attention.build((None, self.units), (None, None, memory))
        self.readout.build((None, self.units + memory))
        self.built = True

    def encode(self, source_ids, training=False):
        """-> memory (B, T, 2u), mask (B, T), keys, decoder states, summary."""
        mask = ops.not_equal(source_ids, self.source_pad)
        out = self.encoder(self.source_embedding(source_ids), mask=mask, training=training)
        n = len(self.decoder_cell.state_size)
        memory, forward, backward = out[0], out[1], out[1 + n]
        summary = ops.concatenate([forward, backward], axis=-1)
        states = [dense(summary) for dense in self.bridge]
        keys = self.attention.keys(memory) if self.attention is not None else None
        return memory, mask, keys, states, summary

    def step(self, token_ids, states, encoded, training=False):
        """One decoder step -> (logits (B, V), new states, weights (B, T))."""
        memory, mask, keys, _, summary = encoded
        if self.attention is None:
            context = summary
            weights = ops.zeros(ops.shape(mask), dtype=memory.dtype)
        else:
            context, weights = self.attention(states[0], memory, memory_mask=mask, keys=keys)
        x = ops.concatenate([self.target_embedding(token_ids), context], axis=-1)
        h, states = self.decoder_cell(x, states, training=training)
        logits = self.readout(ops.concatenate([h, context], axis=-1))
        return logits, list(states), weights

    # ---- training: teacher forcing (+ scheduled sampling) -----------------
    def call(self, inputs, training=False):
        """(source ids (B, T), decoder input ids (B, L) starting with START)
        -> logits (B, L, V)."""
        source_ids, target_in = inputs
        encoded = self.encode(source_ids, training)
        teacher = ops.transpose(target_in)  # (L, B): scan runs over time
        if training:
            draw = keras.random.uniform(ops.shape(teacher), seed=self.seed_generator)
            own = ops.less(draw, self.sampling_probability)
            own = ops.concatenate([ops.zeros_like(own[:1]), own[1:]], axis=0)  # START stays
        else:
            own = ops.zeros(ops.shape(teacher), dtype="bool")
        batch = ops.shape(source_ids)[0]
        init = (encoded[3], ops.zeros((batch, len(self.target)), dtype="float32"))

        def body(carry, x):
            states, previous = carry
            token = ops.where(x[1], self._best(previous), x[0])
            logits, states, _ = self.step(token, states, encoded, training)
            return states, logits

        _, (_, logits) = scan_states(body, init, (teacher, own))
        return ops.transpose(logits, (1, 0, 2))

    # ---- decoding ------------------------------------------------------------
    def _allowed(self, logits):
        """Logits with OOV, PAD and START ruled out: decoders never emit them."""
        banned = np.zeros(len(self.target), "float32")
        banned[[0, self.pad, self.start]] = _NEG
        return logits + ops.convert_to_tensor(banned)

    def _best(self, logits):
        # top_k rather than argmax: argmax on floats exports as an op
        # tf2onnx cannot convert (Bitcast).
        return ops.cast(ops.top_k(self._allowed(logits), 1)[1][:, 0], "int32")

    def greedy(self, source_ids, max_length):
        """-> tokens (B, L), log-probability (B,), attention (B, L, T)."""
        encoded = self.encode(source_ids)
        batch = ops.shape(source_ids)[0]
        init = (
            ops.full((batch,), self.start, dtype="int32"),
            encoded[3],
            ops.zeros((batch,), dtype="bool"),
            ops.zeros((batch,), dtype="float32"),  # this step's log-probability
            ops.zeros(ops.shape(encoded[1]), dtype="float32"),  # this step's attention
        )

        def body(carry, _):
            tokens, states, finished, _, _ = carry
            logits, states, weights = self.step(tokens, states, encoded)
            token = self._best(logits)
            logp = _pick(ops.log_softmax(self._allowed(logits), axis=-1), token)
            token = ops.where(finished, self.pad, token)
            logp = ops.where(finished, 0.0, logp)
            return token, states, finished | ops.equal(token, self.end), logp, weights

        _, (tokens, _, _, logps, weights) = scan_states(body, init, length=max_length)
        return ops.transpose(tokens), ops.sum(logps, axis=0), ops.transpose(weights, (1, 0, 2))

    def beam_search(self, source_ids, max_length, beam_width, length_penalty=0.0):
        """Best of `beam_width` beams by log p / ((5 + length) / 6)^length_penalty
        (Wu et al. 2016) -> tokens (B, L), log-probability (B,), attention."""
        k, vocab = beam_width, len(self.target)
        memory, mask, keys, states, summary = self.encode(source_ids)
        batch = ops.shape(source_ids)[0]
        tile = lambda t: ops.repeat(t, k, axis=0)  # noqa: E731  (B, ...) -> (B*K, ...)
        encoded = (
            tile(memory),
            tile(mask),
            None if keys is None else tile(keys),
            None,
            tile(summary),
        )
        steps = ops.shape(memory)[1]
        first_only = np.full(k, _NEG, "float32")
        first_only[0] = 0.0
        init = (
            ops.full((batch * k,), self.start, dtype="int32"),
            [tile(s) for s in states],
            ops.tile(ops.convert_to_tensor(first_only)[None], (batch, 1)),  # scores (B, K)
            ops.zeros((batch, k), dtype="bool"),  # finished
            ops.zeros((batch, k), dtype="int32"),  # lengths
            ops.full((batch, k, max_length), self.pad, dtype="int32"),  # sequences
            ops.zeros((batch, k, max_length, steps), dtype="float32"),  # attention
        )
        pad_only = np.full(vocab, _NEG, "float32")
        pad_only[self.pad] = 0.0
        pad_only = ops.convert_to_tensor(pad_only)

        def body(carry, t):
            tokens, states, scores, finished, lengths, seqs, attn = carry
            logits, states, weights = self.step(tokens, states, encoded)
            logp = ops.reshape(ops.log_softmax(self._allowed(logits), axis=-1), (batch, k, vocab))
            logp = ops.where(finished[..., None], pad_only, logp)
            total = ops.reshape(scores[..., None] + logp, (batch, k * vocab))
            scores, index = ops.top_k(total, k)
            beam, token = index // vocab, ops.cast(index % vocab, "int32")
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
        penalty = ops.power((5.0 + ops.cast(lengths, "float32")) / 6.0, length_penalty)
        best = ops.top_k(scores / penalty, 1)[1]  # (B, 1)
        return tuple(_take_best(x, best) for x in (seqs, scores, attn))

    def decode(self, source_ids, beam_width=1, length_penalty=0.0, max_length=None):
        """Compiled greedy (beam_width 1) or beam search -> numpy tokens,
        log-probabilities, attention. Beam search also keeps the greedy
        hypothesis as a candidate, so a wider beam never returns a less
        likely sequence than greedy (length_penalty 0)."""
        max_length = max_length or self.max_output_length
        key = (beam_width, float(length_penalty), max_length)
        if key not in self._decoders:
            self._decoders[key] = compiled(
                lambda ids: self._decode(ids, beam_width, length_penalty, max_length)
            )
            while len(self._decoders) > DECODER_CACHE:
                self._decoders.popitem(last=False)
        self._decoders.move_to_end(key)
        out = self._decoders[key](ops.convert_to_tensor(source_ids, "int32"))
        return tuple(ops.convert_to_numpy(x) for x in out)

    def _decode(self, source_ids, beam_width, length_penalty, max_length):
        greedy = self.greedy(source_ids, max_length)
        if beam_width == 1:
            return greedy
        beam = self.beam_search(source_ids, max_length, beam_width, length_penalty)
        lengths = [
            ops.sum(ops.cast(ops.not_equal(x[0], self.pad), "float32"), axis=1)
            for x in (greedy, beam)
        ]
        normed = [
            x[1] / ops.power((5.0 + n) / 6.0, length_penalty)
            for x, n in zip((greedy, beam), lengths, strict=True)
        ]
        take_beam = ops.greater_equal(normed[1], normed[0])
        return tuple(
            ops.where(ops.reshape(take_beam, (-1,) + (1,) * (len(g.shape) - 1)), b, g)
            for g, b in zip(greedy, beam, strict=True)
        )

    # ---- text in, text out -----------------------------------------------------
    def translate(
        self, texts, beam_width=1, return_attention=False, length_penalty=0.0, batch_size=256
    ):
        """Strings in, strings out. Characters outside the source vocabulary
        read as unknown (OOV); empty or over-long inputs and non-strings
        raise ValueError / TypeError naming the input. With
        return_attention, also a list of (output length, input length)
        weight matrices."""
        texts = self._check_texts(texts)
        _check_width(beam_width)
        outputs, matrices = [], []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            tokens, _, attn = self.decode(self.encode_texts(chunk), beam_width, length_penalty)
            for row, weights, text in zip(tokens, attn, chunk, strict=True):
                out = self.decode_tokens(row)
                outputs.append(out)
                matrices.append(weights[: len(out) + 1, : len(text)])
        return (outputs, matrices) if return_attention else outputs

    def encode_texts(self, texts):
        """Source ids (B, longest) padded with PAD."""
        ids = np.full((len(texts), max(map(len, texts))), self.source_pad, np.int32)
        for i, text in enumerate(texts):
            ids[i, : len(text)] = self.source.encode(text)
        return ids

    def decode_tokens(self, row):
        row = list(row)
        row = row[: row.index(self.end)] if self.end in row else row
        return self.target.decode([t for t in row if t != self.pad])

    def _check_texts(self, texts):
        if isinstance(texts, str):
            raise TypeError("translate() takes a list of strings; wrap a single string in a list")
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"input {i} is a {type(text).__name__}, not a str")
            if not text.strip(WHITESPACE):
                raise ValueError(f"input {i} is empty or only whitespace")
            if len(text) > self.max_input_length:
                raise ValueError(
                    f"input {i} has {len(text)} characters; this model reads at most "
                    f"{self.max_input_length}"
                )
        if not texts:
            return []
        return texts

    def get_config(self):
        return {
            **super().get_config(),
            "source_vocabulary": self.source.tokens,
            "target_vocabulary": self.target.tokens,
            "cell": self.cell_name,
            "units": self.units,
            "embedding_dim": self.embedding_dim,
            "attention": self.attention_kind,
            "attention_units": self.attention_units,
            "max_input_length": self.max_input_length,
            "max_output_length": self.max_output_length,
            "cell_options": self.cell_options,
            "seed": self.seed,
        }

    @property
    def vocabulary(self):
        """The target vocabulary (what the model writes)."""
        return list(self.target.tokens)


def scan_states(step, init, xs=None, length=None, keep=True):
    """keras.ops.scan where `step(carry, x)` returns the new carry, and the
    outputs are the carries of every step (stacked), or None with keep=False.
    Keras' TensorFlow scan packs its outputs in the carry's structure, so
    outputs of another structure cannot pass through it."""
    final, stacked = ops.scan(lambda c, x: (step(c, x),) * 2, init, xs, length)
    return (final, stacked) if keep else final


def _pick(log_probs, token):
    return ops.take_along_axis(log_probs, token[:, None], axis=1)[:, 0]


def _take_best(x, best):
    """x (B, K, ...) -> (B, ...) at beam best[b, 0]."""
    index = ops.reshape(best, (-1, 1) + (1,) * (len(x.shape) - 2))
    return ops.take_along_axis(x, index, axis=1)[:, 0]


def _regroup(x, beam, batch, k):
    """Rows of x (B*K, ...) reordered so beam j of each example takes the
    row of beam `beam[b, j]`."""
    shaped = ops.reshape(x, (batch, k, -1))
    picked = ops.take_along_axis(shaped, beam[..., None], axis=1)
    return ops.reshape(picked, ops.shape(x))


def _check_width(beam_width):
    if isinstance(beam_width, bool) or not isinstance(beam_width, int) or beam_width < 1:
        raise ValueError(f"`beam_width` must be an int >= 1, got {beam_width!r}")
