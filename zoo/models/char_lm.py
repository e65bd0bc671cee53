"""Character language model: embedding -> stacked recurrent layers of any
zoo cell -> logits over the vocabulary.

`generate` carries the recurrent state from token to token through one
compiled step function, so each new character costs the same whatever the
length of the text before it.
"""

import keras
import numpy as np
from keras import ops

from zoo import layers
from zoo.layers.cell_base import check_rate
from zoo.models.compiled import compiled, tensor_specs
from zoo.models.raw_inputs import RawInputs, as_strs, holds_strings
from zoo_runtime import limits
from zoo_runtime.chars import CharVocabulary
from zoo_runtime.checks import check_generate_args, check_ngram_size
from zoo_runtime.search import NgramBlock, random_seed, sample


@keras.saving.register_keras_serializable(package="zoo")
class CharLM(RawInputs, keras.Model):
    """A character language model: embedding, stacked recurrent layers of
    any zoo cell, and a softmax over the next character.

    Args:
        vocabulary: the characters, index = id; `vocabulary[0]` is the OOV
            token U+FFFD (`zoo_runtime.chars.CharVocabulary.from_text`).
        cell: a zoo cell name (`zoo.layers.CELLS`), e.g. "lstm", "gru".
        units: units of each recurrent layer.
        num_layers: recurrent layers, stacked.
        embedding_dim: width of the character embedding.
        cell_options: passed to the cell, e.g. `{"dropout": 0.1}` or any
            LSTM variant flag (`{"peepholes": True}`).
        output_dropout: dropout rate on each recurrent layer's outputs
            while training (Zaremba et al. 2014's non-recurrent dropout);
            0 for none.
        **kwargs: `keras.Model` arguments (`name`, `dtype`).

    `fit` and `evaluate` take text (a str, or a list of texts joined by
    newlines), cut into windows of WINDOW characters whose targets are the
    next characters; unknown characters read as OOV (`zoo.models.raw_inputs`).

    Example:

    >>> from zoo_runtime.chars import CharVocabulary
    >>> vocabulary = CharVocabulary.from_text("to be or not to be").tokens
    >>> model = CharLM(vocabulary, cell="gru", units=32, embedding_dim=8)
    >>> model.build()
    >>> len(model.generate("to", length=10, temperature=0))
    10
    """

    task = "char-lm"  # the card's task: picks each stage's module for this family
    WINDOW = 100  # characters per training example of raw text (the recipes' seq_len)
    ASSETS = ("vocabulary",)  # saved beside config.json, not in it (zoo.registry)

    def __init__(
        self,
        vocabulary: list[str],
        cell: str = "lstm",
        units: int = 256,
        num_layers: int = 1,
        embedding_dim: int = 64,
        cell_options: dict | None = None,
        output_dropout: float = 0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._vocab = CharVocabulary(vocabulary)
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"`num_layers` must be a positive int, got {num_layers!r}")
        self.cell_name = cell
        self.units = units
        self.num_layers = num_layers
        self.embedding_dim = embedding_dim
        self.cell_options = dict(cell_options or {})
        self.output_dropout = check_rate("output_dropout", output_dropout)
        self.drop = keras.layers.Dropout(self.output_dropout, name="output_dropout")
        self.embedding = keras.layers.Embedding(len(self._vocab), embedding_dim, name="embedding")
        self.recurrent = [
            layers.RNN(
                layers.make_cell(cell, units, self.cell_options),
                return_sequences=True,
                return_state=True,
                name=f"rnn_{i}",
            )
            for i in range(num_layers)
        ]
        # float32 logits keep softmax stable under a mixed-precision policy.
        self.head = keras.layers.Dense(len(self._vocab), dtype="float32", name="logits")
        self._step_fn = self._prefill_fn = self._score_fn = None

    @property
    def vocabulary(self):
        return list(self._vocab.tokens)

    def build(self, input_shape=(None, None)):
        self.embedding.build(input_shape)
        shape = (*input_shape, self.embedding_dim)
        for rnn in self.recurrent:
            rnn.build(shape)
            shape = (*input_shape, self.units)
        self.head.build(shape)
        self.built = True

    def call(self, token_ids, training=False):
        return self.forward(token_ids, training=training)[0]

    def forward(self, token_ids, states=None, training=False):
        """(logits (B, T, V), final states per layer) from optional initial
        states: the whole-sequence path, also used to read a prompt."""
        x = self.embedding(token_ids)
        final = []
        for i, rnn in enumerate(self.recurrent):
            x, *layer_states = rnn(
                x, initial_state=None if states is None else states[i], training=training
            )
            final.append(layer_states)
            x = self.drop(x, training=training)
        return self.head(x), final

    def step(self, token_ids, states):
        """One token per sequence (B,) and the states -> (logits (B, V),
        new states): the O(1) generation step."""
        x = self.embedding(token_ids)
        new_states = []
        for rnn, layer_states in zip(self.recurrent, states, strict=True):
            x, layer_states = rnn.cell(x, layer_states, training=False)
            new_states.append(list(layer_states))
        return self.head(x), new_states

    def generate(
        self, prompt, length=200, temperature=1.0, top_k=None, seed=None, no_repeat_ngram_size=0
    ):
        """`length` characters that continue `prompt` (the prompt itself is
        not repeated). temperature 0 is greedy; top_k keeps the k likeliest
        characters; a fixed int `seed` makes the text reproducible, and gives
        the same text as the exports (zoo_runtime.search.sample). An empty
        prompt starts from a newline; unknown characters read as OOV.
        no_repeat_ngram_size n > 0: no n characters in a row appear twice
        in the generated text (greedy decoding loops without it: "the sent
        the sent"); the exports block alike (the SavedModel in its
        `no_repeat` signature)."""
        _check_generate_args(prompt, length, temperature, top_k, seed)
        check_ngram_size(no_repeat_ngram_size)
        seed = random_seed() if seed is None else seed
        ids = self._vocab.encode(prompt or "\n")
        if length == 0:
            return ""
        self._ensure_compiled()
        logits, states = self._prefill_fn(ops.convert_to_tensor(ids[None, :], "int32"))
        out = np.empty(length, np.int32)
        written = NgramBlock(no_repeat_ngram_size)
        for t in range(length):
            step = len(ids) - 1 + t  # the row's token count, prompt included
            row = ops.convert_to_numpy(logits)[0]
            out[t] = sample(row, temperature, top_k, seed, step, written.banned())
            written.add(out[t])
            if t + 1 < length:
                logits, states = self._step_fn(ops.convert_to_tensor(out[t : t + 1]), states)
        return self._vocab.decode(out)

    def nats_per_char(self, text):
        """Mean -ln p(next character) over `text` read as one stream from a
        zero state: every character but the first is predicted from all
        the text before it. Divide by ln 2 for bits per character."""
        ids = self._vocab.encode(text)
        if len(ids) < 2:
            raise ValueError("nats_per_char needs a text of at least two characters")
        self._ensure_compiled()
        return float(self._score_fn(ops.convert_to_tensor(ids[None], "int32")))

    # ---- raw-input training (RawInputs) ------------------------------------
    def is_raw(self, x):
        return isinstance(x, str) or holds_strings(x)

    def raw_dataset(self, x, y=None, batch_size=None, shuffle=False, seed=None):
        """Batches of (WINDOW ids, the WINDOW ids after them) from text."""
        import tensorflow as tf

        if y is not None or isinstance(x, tf.data.Dataset):
            raise ValueError(
                "a language model learns its text's next characters: pass the text alone "
                "(a str or a list of str); a tf.data.Dataset must hold (ids, next ids)"
            )
        ids = self._vocab.encode(x if isinstance(x, str) else "\n".join(as_strs(x)))
        count = (len(ids) - 1) // self.WINDOW
        if count < 1:
            raise ValueError(f"a text of {len(ids)} characters is shorter than a window (+1)")
        cut = lambda start: ids[start : start + count * self.WINDOW].reshape(count, -1)  # noqa: E731
        windows = tf.data.Dataset.from_tensor_slices((cut(0), cut(1)))
        if shuffle:
            windows = windows.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        return windows.batch(batch_size or 32).prefetch(tf.data.AUTOTUNE)

    def compile_defaults(self):
        """Adam with clipping; cross-entropy of the next character."""
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return {
            "optimizer": keras.optimizers.Adam(2e-3, clipnorm=1.0),
            "loss": loss,
            "metrics": None,
        }

    def _ensure_compiled(self):
        if self._step_fn is None:
            ids = tensor_specs(((None, None), "int32"))  # one trace for every length
            self._step_fn = compiled(self.step)
            self._prefill_fn = compiled(self._prefill, ids)
            self._score_fn = compiled(self._score, ids)

    def _prefill(self, token_ids):
        logits, states = self.forward(token_ids)
        return logits[:, -1], states

    def _score(self, token_ids):
        log_probs = ops.log_softmax(self(token_ids[:, :-1]), axis=-1)
        picked = ops.take_along_axis(log_probs, token_ids[:, 1:, None], axis=-1)
        return -ops.mean(picked)

    def get_config(self):
        config = super().get_config()
        config.update(
            vocabulary=self.vocabulary,
            cell=self.cell_name,
            units=self.units,
            num_layers=self.num_layers,
            embedding_dim=self.embedding_dim,
            cell_options=self.cell_options,
            output_dropout=self.output_dropout,
        )
        return config


def _check_generate_args(prompt, length, temperature, top_k, seed):
    check_generate_args(prompt, length, temperature, top_k, seed)
    if len(prompt) > limits.MAX_PROMPT_CHARS:
        raise ValueError(
            f"the prompt has {len(prompt):,} characters; the most read is "
            f"{limits.MAX_PROMPT_CHARS:,} (keep its end: prompt[-{limits.MAX_PROMPT_CHARS}:])"
        )
    if length > limits.MAX_GENERATE_LENGTH:
        raise ValueError(
            f"`length` is {length:,}; one call generates at most {limits.MAX_GENERATE_LENGTH:,} "
            "characters (call again with the text so far as the prompt's end)"
        )
