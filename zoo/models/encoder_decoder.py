"""What the translator (Seq2Seq) and the captioner share: an encoder whose
output travels as a named `Encoded`, a decoder `step` over it, and
zoo.decoding's searches, compiled once per (beam width, length penalty,
length) and cached. A subclass gives `encode`, `step`, its `search`, the
input dtype and its longest output."""

from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from zoo.decoding import sampled
from zoo.models.compiled import CompiledCache, tensor_specs
from zoo_runtime.checks import check_beam_width, check_ngram_size
from zoo_runtime.search import NO_DECODING_DEFAULTS

DECODER_CACHE = 8  # compiled decoders kept, least recently used dropped first


class Encoded(NamedTuple):
    """What an encoder gives every decoder step (beam search repeats it
    per beam): the attended memory (B, T, m), the attention's keys, the
    memory's mask (B, T) and a summary vector (B, m) for a decoder without
    attention. A family leaves out (None) what it does not use."""

    memory: Any
    keys: Any = None
    mask: Any = None
    summary: Any = None


class EncoderDecoder(keras.Model):
    INPUT_DTYPE = "float32"  # of what `encode` reads
    # Its leading dimensions that vary from call to call (batch; a text's
    # length): one trace serves them all, instead of one per new shape.
    VARYING_DIMS = 1
    # What translate / caption use where a call gives None (decode() is the
    # raw search and takes none), and zoo.json's "decoding_defaults": a
    # family's or a model's own, chosen on validation.
    DECODING = NO_DECODING_DEFAULTS

    def init_decoding(self, seed):
        """The variables and caches of decoding and scheduled sampling; call
        last in __init__ (weight files list variables in creation order)."""
        self.sampling_probability = keras.Variable(
            0.0, trainable=False, name="sampling_probability"
        )
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Tracked as a model variable, so checkpoints (and a resumed run)
        # carry the sampling draws' random state too.
        self.sampling_seed_state = self.seed_generator.state
        self._decoders = CompiledCache(DECODER_CACHE)

    @property
    def output_length(self):
        """The longest output a decode writes by default."""
        raise NotImplementedError

    def encode(self, inputs, training=False):
        """-> (Encoded, the decoder's first states)."""
        raise NotImplementedError

    def search_inputs(self, inputs):
        """(first states, context, batch size): what zoo.decoding's searches take."""
        context, states = self.encode(inputs)
        return states, context, ops.shape(inputs)[0]

    def forced_logits(self, inputs, target_in, training):
        """Teacher forcing (+ scheduled sampling in training) -> logits
        (B, L, V) and attention (B, L, T)."""
        context, states = self.encode(inputs, training)
        if training:
            own = sampled(ops.shape(target_in), self.sampling_probability, self.seed_generator)
        else:
            own = ops.zeros(ops.shape(target_in), dtype="bool")
        step = lambda t, s, c: self.step(t, s, c, training)  # noqa: E731
        return self.search.forced(states, context, target_in, own, step)

    def decode(
        self, inputs, beam_width=1, length_penalty=0.0, max_length=None, no_repeat_ngram_size=0
    ):
        """Compiled greedy (beam_width 1) or beam search -> numpy tokens
        (B, L), log-probabilities (B,), attention (B, L, T); with
        no_repeat_ngram_size n, no output holds any n-gram twice. The raw
        search: the text-level calls apply DECODING's defaults."""
        check_beam_width(beam_width)
        check_ngram_size(no_repeat_ngram_size)
        max_length = max_length or self.output_length
        inputs = ops.convert_to_tensor(inputs, self.INPUT_DTYPE)
        fixed = tuple(inputs.shape[self.VARYING_DIMS :])
        decode = self._decoders.get(
            (beam_width, float(length_penalty), max_length, fixed, no_repeat_ngram_size),
            lambda x: self.search.decode(
                *self.search_inputs(x),
                max_length,
                beam_width,
                length_penalty,
                no_repeat_ngram_size=no_repeat_ngram_size,
            ),
            input_signature=tensor_specs(((None,) * self.VARYING_DIMS + fixed, self.INPUT_DTYPE)),
        )
        out = decode(inputs)
        return tuple(ops.convert_to_numpy(x) for x in out)

    def teacher_forcing(self, rows):
        """Decoder inputs (START + ids) and targets (ids + END) of id rows,
        (N, longest + 1) int32 padded with PAD, which the loss ignores."""
        shape = (len(rows), max(map(len, rows)) + 1)
        inputs, targets = np.full(shape, self.pad, np.int32), np.full(shape, self.pad, np.int32)
        for i, row in enumerate(rows):
            inputs[i, : len(row) + 1] = [self.start, *row]
            targets[i, : len(row) + 1] = [*row, self.end]
        return inputs, targets

    def output_ids(self, row):
        """A decoded row's ids before END, without padding."""
        return self.search.kept(row)
