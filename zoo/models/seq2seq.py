"""Sequence-to-sequence with Bahdanau attention, over characters or
subword pieces (`tokenizer`: "chars" or "subwords", see zoo.subwords).

Encoder: a bidirectional layer of any zoo cell over the source tokens;
its memory h_j is [forward; backward]. Decoder: one zoo cell whose state
s_{i-1} queries the attention, and whose input is the previous token's
embedding joined with the context c_i (input feeding); the readout sees
[s_i; c_i], through a linear projection to `readout_dim` units when that
is set: a low-rank output layer, which keeps a large target vocabulary's
weights small. (A tanh there saturated early in training and left the
model a unigram guesser.) The decoder starts from tanh(W [final forward; final backward]).
With attention="none" the context is that final summary at every step:
the fixed-vector baseline of Cho et al. (2014).

Training uses teacher forcing, optionally with scheduled sampling (Bengio et
al. 2015): each step feeds the model's own previous prediction with
probability `sampling_probability` (a variable a training callback moves).
Greedy decoding and beam search are zoo.decoding's, over `step`.
"""

import keras
import numpy as np
from keras import ops

from zoo import layers
from zoo.decoding import Search
from zoo.models.encoder_decoder import Encoded, EncoderDecoder
from zoo.models.raw_inputs import RawInputs, as_strs, holds_strings
from zoo.subwords import SubwordVocabulary, word_spans, word_weights
from zoo_runtime import dates
from zoo_runtime.chars import END, PAD, START, CharVocabulary
from zoo_runtime.checks import check_beam_width, check_ngram_size
from zoo_runtime.search import NO_DECODING_DEFAULTS, chosen_decoding, per_token_log_prob

ATTENTION = ("bahdanau", "bahdanau-normalized", "luong", "none")
VOCABULARIES = {"chars": CharVocabulary, "subwords": SubwordVocabulary}
WHITESPACE = " \t\n\r\f\v"  # what counts as blank, here and in exported graphs
MAX_TEXT_CHARS = 1 << 16  # a subword model's input bound before tokenising


def _checked_decoding(decoding):
    """A copy of `decoding`, holding only decode()'s defaults, each valid."""
    decoding = dict(decoding or {})
    unknown = set(decoding) - set(NO_DECODING_DEFAULTS)
    if unknown:
        raise ValueError(f"`decoding` takes {sorted(NO_DECODING_DEFAULTS)}, got {sorted(unknown)}")
    penalty = decoding.get("length_penalty", 0.0)
    number = isinstance(penalty, int | float) and not isinstance(penalty, bool)
    if not number or not np.isfinite(penalty):
        raise ValueError(f"`decoding` length_penalty must be a finite number, got {penalty!r}")
    check_ngram_size(decoding.get("no_repeat_ngram_size", 0))
    return decoding


def make_attention(kind, units):
    if kind not in ATTENTION:
        raise ValueError(f"`attention` must be one of {ATTENTION}, got {kind!r}")
    if kind == "none":
        return None
    if kind == "luong":
        return layers.LuongAttention("general", name="attention")
    return layers.BahdanauAttention(units, normalize=kind.endswith("normalized"), name="attention")


@keras.saving.register_keras_serializable(package="zoo")
class Seq2Seq(RawInputs, EncoderDecoder):
    """Sequence to sequence with attention: a bidirectional encoder and an
    attention decoder of any zoo cell, over characters or subword pieces.

    Args:
        source_vocabulary: the source tokens, index = id; id 0 is OOV and
            the list holds PAD.
        target_vocabulary: the target tokens; id 0 is OOV, and the list
            holds PAD, START and END.
        cell: a zoo cell name (`zoo.layers.CELLS`).
        units: units of the decoder and of each encoder direction.
        embedding_dim: width of both embeddings.
        attention: one of `ATTENTION` ("none" is the fixed-vector baseline).
        attention_units: width of additive attention (default: `units`).
        max_input_length: the most source tokens read.
        max_output_length: the most target tokens written.
        cell_options: passed to the cells.
        seed: seeds scheduled sampling's draws.
        tokenizer: "chars" (`CharVocabulary`) or "subwords" (`SubwordVocabulary`).
        readout_dim: a low-rank output projection's width (0: none).
        output_check: what an answer must be, checked alike on every path
            (`zoo_runtime.dates`): with {"kind": "date", "first": ISO
            date, "last": ISO date}, `translate` answers None for an input
            holding a year outside that span and for an output that is
            not a calendar date within it.
        decoding: this model's defaults for `translate`'s
            `length_penalty` and `no_repeat_ngram_size` (and every
            export's: zoo.json "decoding_defaults"); none given: 0 and 0.
        **kwargs: `keras.Model` arguments.

    `fit` and `evaluate` take source and target texts (or a tf.data.Dataset
    of them) as well as ((source ids, decoder inputs), targets): the
    model's own tokenisation makes the ids (`zoo.models.raw_inputs`).

    Example:

    >>> from zoo_runtime.chars import END, PAD, START, CharVocabulary
    >>> source = CharVocabulary.from_text("0123456789/", specials=(PAD,)).tokens
    >>> target = CharVocabulary.from_text("0123456789-", specials=(PAD, START, END)).tokens
    >>> model = Seq2Seq(source, target, units=8, embedding_dim=4, max_output_length=10)
    >>> model.build()
    >>> len(model.translate(["12/25/99"], beam_width=2))
    1
    """

    task = "seq2seq"  # the card's task: picks each stage's module for this family
    # Saved beside config.json, not in it (zoo.registry).
    ASSETS = ("source_vocabulary", "target_vocabulary")
    INPUT_DTYPE = "int32"  # source ids
    VARYING_DIMS = 2  # batch, length

    def __init__(
        self,
        source_vocabulary: list[str],
        target_vocabulary: list[str],
        cell: str = "gru",
        units: int = 128,
        embedding_dim: int = 32,
        attention: str = "bahdanau",
        attention_units: int | None = None,
        max_input_length: int = 256,
        max_output_length: int = 32,
        cell_options: dict | None = None,
        seed: int | None = None,
        tokenizer: str = "chars",
        readout_dim: int = 0,
        output_check: dict | None = None,
        decoding: dict | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.output_check = dict(output_check) if output_check else None
        self.decoding = _checked_decoding(decoding)
        self._check = dates.output_check(self.output_check)
        if tokenizer not in VOCABULARIES:
            raise ValueError(f"`tokenizer` must be one of {tuple(VOCABULARIES)}, got {tokenizer!r}")
        self.tokenizer, self.readout_dim = tokenizer, readout_dim
        self.source = VOCABULARIES[tokenizer](source_vocabulary)
        self.target = VOCABULARIES[tokenizer](target_vocabulary)
        self.source_pad = self.source.id(PAD)
        self.pad, self.start, self.end = (self.target.id(t) for t in (PAD, START, END))
        self.cell_name, self.units, self.embedding_dim = cell, units, embedding_dim
        self.attention_kind, self.attention_units = attention, attention_units
        self.max_input_length, self.max_output_length = max_input_length, max_output_length
        self.cell_options = dict(cell_options or {})
        self.seed = seed

        self.source_embedding = keras.layers.Embedding(len(self.source), embedding_dim)
        self.encoder = keras.layers.Bidirectional(
            layers.make_layer(
                cell, units, self.cell_options, return_sequences=True, return_state=True
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
        self.readout_hidden = (
            keras.layers.Dense(readout_dim, name="readout_hidden") if readout_dim else None
        )
        self.readout = keras.layers.Dense(len(self.target), dtype="float32", name="readout")
        self.search = Search(
            self.step, len(self.target), (0, self.pad, self.start), self.start, self.end, self.pad
        )
        self.init_decoding(seed)

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
        if self.readout_hidden is None:
            self.readout.build((None, self.units + memory))
        else:
            self.readout_hidden.build((None, self.units + memory))
            self.readout.build((None, self.readout_dim))
        self.built = True

    @property
    def output_length(self):
        return self.max_output_length

    def encode(self, source_ids, training=False):
        """-> (Encoded: memory (B, T, 2u), keys, mask (B, T), summary (B, 2u);
        the decoder's first states)."""
        mask = ops.not_equal(source_ids, self.source_pad)
        out = self.encoder(self.source_embedding(source_ids), mask=mask, training=training)
        n = len(self.decoder_cell.state_size)
        memory, forward, backward = out[0], out[1], out[1 + n]
        summary = ops.concatenate([forward, backward], axis=-1)
        states = [dense(summary) for dense in self.bridge]
        keys = self.attention.keys(memory) if self.attention is not None else None
        return Encoded(memory, keys, mask, summary), states

    def step(self, token_ids, states, encoded, training=False):
        """One decoder step -> (logits (B, V), new states, weights (B, T))."""
        memory, keys, mask, summary = encoded
        if self.attention is None:
            context = summary
            weights = ops.zeros(ops.shape(mask), dtype=memory.dtype)
        else:
            context, weights = self.attention(states[0], memory, memory_mask=mask, keys=keys)
        x = ops.concatenate([self.target_embedding(token_ids), context], axis=-1)
        h, states = self.decoder_cell(x, states, training=training)
        features = ops.concatenate([h, context], axis=-1)
        if self.readout_hidden is not None:
            features = self.readout_hidden(features)
        logits = self.readout(features)
        return logits, list(states), weights

    # ---- training: teacher forcing (+ scheduled sampling) -----------------
    def call(self, inputs, training=False):
        """(source ids (B, T), decoder input ids (B, L) starting with START)
        -> logits (B, L, V)."""
        source_ids, target_in = inputs
        logits, _ = self.forced_logits(source_ids, target_in, training)
        return logits

    # ---- raw-input training (RawInputs) ------------------------------------
    def is_raw(self, x):
        return holds_strings(x)

    def preprocess(self, sources, targets=None):
        """((source ids, decoder inputs), targets) of one batch of texts:
        decoder inputs are START + target, targets target + END, both
        padded with PAD (which the loss ignores)."""
        if targets is None:
            raise ValueError("a translator's predict takes ids; translate() takes texts")
        source_ids = self.encode_texts(as_strs(sources))
        rows = self.encode_targets(as_strs(targets))
        target_in, target_out = self.teacher_forcing(rows)
        return (source_ids, target_in), target_out

    def encode_targets(self, texts):
        """Target ids of each text; one whose ids and END exceed
        max_output_length is refused, naming it."""
        rows = []
        for i, text in enumerate(texts):
            if not text.strip(WHITESPACE):
                raise ValueError(f"target {i} is empty or only whitespace")
            row = self.target.encode(text)
            if len(row) >= self.max_output_length:
                raise ValueError(
                    f"target {i} has {len(row)} tokens; this model writes at most "
                    f"{self.max_output_length - 1} and END"
                )
            rows.append(row)
        return rows

    def raw_signature(self, labelled):
        import tensorflow as tf

        ids = lambda: tf.TensorSpec((None, None), tf.int32)  # noqa: E731
        return ((ids(), ids()), ids())

    def compile_defaults(self):
        """Adam with clipping; cross-entropy per target token, PAD ignored."""
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=self.pad)
        return {
            "optimizer": keras.optimizers.Adam(1e-3, clipnorm=1.0),
            "loss": loss,
            "metrics": None,
        }

    # ---- decoding ------------------------------------------------------------
    def greedy(self, source_ids, max_length):
        """-> tokens (B, L), log-probability (B,), attention (B, L, T)."""
        return self.search.greedy(*self.search_inputs(source_ids), max_length)

    def beam_search(self, source_ids, max_length, beam_width, length_penalty=0.0):
        """Best of `beam_width` beams by log p / ((5 + length) / 6)^length_penalty
        (Wu et al. 2016) -> tokens (B, L), log-probability (B,), attention."""
        inputs = self.search_inputs(source_ids)
        return self.search.beam(*inputs, max_length, beam_width, length_penalty)

    # ---- text in, text out -----------------------------------------------------
    def translate(
        self,
        texts,
        beam_width=1,
        return_attention=False,
        length_penalty=None,
        batch_size=256,
        return_log_prob=False,
        no_repeat_ngram_size=None,
    ):
        """Strings in, strings out. Tokens outside the source vocabulary
        read as unknown (OOV); empty or over-long inputs and non-strings
        raise ValueError / TypeError naming the input. With
        return_attention, also a list of (output tokens + END, input
        tokens) weight matrices. With no_repeat_ngram_size n, no output
        holds any n-gram of tokens twice (None for either: the model's
        `decoding` default). A model with an `output_check` answers
        None where the check fails. With return_log_prob, also each output's
        log-probability per token (END included;
        `zoo_runtime.search.per_token_log_prob`): near 0 where the model
        is sure of every token; far below its test inputs' figures where
        it is guessing, e.g. for a text that is not Spanish. Returned last:
        (outputs[, matrices], log_probs)."""
        length_penalty, no_repeat_ngram_size = chosen_decoding(
            self.DECODING, length_penalty, no_repeat_ngram_size
        )
        outputs, matrices, scores = [], [], []
        texts = texts if isinstance(texts, str) else list(texts)  # a str: refused below
        for ids, rows in self._batches(texts, beam_width, batch_size):
            tokens, log_prob, attn = self.decode(
                ids, beam_width, length_penalty, no_repeat_ngram_size=no_repeat_ngram_size
            )
            scores.extend(per_token_log_prob(log_prob, tokens, self.pad).tolist())
            for row, weights, source in zip(tokens, attn, rows, strict=True):
                kept = self.output_ids(row)
                outputs.append(self.target.decode(kept))
                matrices.append(weights[: len(kept) + 1, : len(source)])
        if self._check:  # no answer (None) where it cannot be a date
            outputs = [self._check.answer(t, o) for t, o in zip(texts, outputs, strict=True)]
        answer = (outputs, matrices) if return_attention else (outputs,)
        answer += (scores,) if return_log_prob else ()
        return answer if len(answer) > 1 else outputs

    def align(self, text, beam_width=1, length_penalty=None):
        """(source tokens, output tokens (+ END where it was written),
        attention (output, source)) of one translation, for plotting."""
        ((ids, rows),) = self._batches([text], beam_width, 1)
        length_penalty, _ = chosen_decoding(self.DECODING, length_penalty)
        tokens, _, attn = self.decode(ids, beam_width, length_penalty)
        kept = self.output_ids(tokens[0])
        source = [self.source.tokens[i] for i in rows[0]]
        ended = [END] if self.end in list(tokens[0]) else []
        output = [self.target.tokens[i] for i in kept] + ended
        return source, output, attn[0, : len(output), : len(source)]

    def word_alignment(self, text, beam_width=1):
        """`align` by words: (source words, output words, attention (output
        words + END where written, source words)); rows still sum to 1."""
        source, output, weights = self.align(text, beam_width)
        inputs, cols = word_spans(source)
        words, rows = word_spans(output)
        ended = output[-1:] == [END]
        return inputs, words[:-1] if ended else words, word_weights(weights, rows, cols)

    def _batches(self, texts, beam_width, batch_size):
        """Checked inputs as (padded ids (B, longest), per-text id rows)."""
        rows = self.encode_checked(texts)
        check_beam_width(beam_width)
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            yield self._padded(chunk), chunk

    def encode_texts(self, texts):
        """Source ids (B, longest) padded with PAD, of checked texts."""
        return self._padded(self.encode_checked(texts))

    def _padded(self, rows):
        ids = np.full((len(rows), max(map(len, rows))), self.source_pad, np.int32)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids

    def encode_checked(self, texts):
        """The source ids of each text, or TypeError / ValueError naming
        the first input that is not a str, is blank or is too long."""
        if isinstance(texts, str):
            raise TypeError("translate() takes a list of strings; wrap a single string in a list")
        texts = list(texts)
        unit = "characters" if self.tokenizer == "chars" else "tokens"
        rows = []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"input {i} is a {type(text).__name__}, not a str")
            if not text.strip(WHITESPACE):
                raise ValueError(f"input {i} is empty or only whitespace")
            if self.tokenizer == "subwords" and len(text) > MAX_TEXT_CHARS:
                raise ValueError(
                    f"input {i} has {len(text)} characters; the most read is {MAX_TEXT_CHARS}"
                )
            try:
                row = self.source.encode(text)
            except ValueError as error:
                raise ValueError(f"input {i}: {error}") from None
            if not len(row):
                raise ValueError(f"input {i} is empty or only whitespace: it has no tokens")
            if len(row) > self.max_input_length:
                raise ValueError(
                    f"input {i} has {len(row)} {unit}; this model reads at most "
                    f"{self.max_input_length}"
                )
            rows.append(row)
        return rows

    @property
    def DECODING(self):  # noqa: N802 (EncoderDecoder's defaults, this model's own)
        return {**NO_DECODING_DEFAULTS, **self.decoding}

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
            "tokenizer": self.tokenizer,
            "readout_dim": self.readout_dim,
            **({"output_check": self.output_check} if self.output_check else {}),
            **({"decoding": self.decoding} if self.decoding else {}),
        }

    @property
    def vocabulary(self):
        """The target vocabulary (what the model writes)."""
        return list(self.target.tokens)
