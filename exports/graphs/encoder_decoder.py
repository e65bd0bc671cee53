"""What the translator's and the captioner's graphs share: `search.onnx`
is the whole greedy or beam search in one graph (exports.onnx_search);
`encoder.onnx` runs once per input and `decoder.onnx` is one step of the
decoder cell over its outputs, for an app that steps the decoder itself
(streaming)."""

import numpy as np
import tensorflow as tf

from exports import onnx_search, work
from exports.graphs.base import Graphs, spec


class EncoderDecoderGraphs(Graphs):
    """Subclasses say which cell decodes, how long a decode may run, and
    how decoder.onnx's context inputs become the model's step context."""

    @property
    def cell(self):
        raise NotImplementedError

    @property
    def max_length(self):
        raise NotImplementedError

    @property
    def banned(self):
        """Ids a decoder never emits: oov, pad and start."""
        raise NotImplementedError

    def context(self, memory, *rest):
        """The model's step context from decoder.onnx's inputs after the states."""
        raise NotImplementedError

    id_inputs = {}  # {encoder.onnx input of ids: its vocabulary's size}

    def decode_inputs(self, encoder_feed):
        """What the model's `decode` reads for encoder.onnx's inputs."""
        raise NotImplementedError

    def decoded(self, encoder_feed, beam_width=1, length_penalty=0.0):
        """Keras' ids (B, L) and log-probabilities (B,): the raw greedy or
        beam search that the ONNX graphs must match."""
        tokens, log_prob, _ = self.model.decode(
            self.decode_inputs(encoder_feed), beam_width, length_penalty, self.max_length
        )
        return np.asarray(tokens), np.asarray(log_prob)

    @property
    def decoder_inputs(self):
        """The names of decoder.onnx's inputs."""
        return [s.name for s in self.onnx["decoder.onnx"][1]]

    def greedy_ids(self, encoder_feed):
        return self.decoded(encoder_feed)[0]

    def contract(self):
        search = onnx_search.contract(self.model.search.vocab_size, self.banned, self.max_length)
        # search.onnx's length_penalty and no_repeat_ngram_size, unless an app is asked otherwise
        decoding = dict(self.model.DECODING)
        return {**super().contract(), "search": search, "decoding_defaults": decoding}

    step_macs = 0  # multiply-adds of one decoder step of one row

    def encoder_work(self):
        """encoder.onnx's cost terms (exports.work)."""
        raise NotImplementedError

    def onnx_work(self, signatures):
        # A search runs up to max_length steps of every beam of every row.
        encoder = self.encoder_work()
        most = onnx_search.max_beam_width(self.model.search.vocab_size, self.banned)
        decoding = work.term(encoder[0]["input"], "row", most * self.max_length * self.step_macs)
        return {
            "encoder.onnx": encoder,
            "decoder.onnx": [work.term("token_ids", "row", self.step_macs)],
            onnx_search.FILE: [*encoder, decoding],
        }

    def composed(self, protos):
        encoder = onnx_search.with_checked_ids(protos["encoder.onnx"], self.id_inputs)
        search = onnx_search.search_model(
            encoder,
            protos["decoder.onnx"],
            banned=self.banned,
            start=self.model.start,
            end=self.model.end,
            pad=self.model.pad,
            max_length=self.max_length,
        )
        return {"encoder.onnx": encoder, onnx_search.FILE: search}

    @property
    def state_names(self):
        return [f"state_{k}" for k in range(len(self.cell.state_size))]

    @property
    def has_keys(self):
        return self.model.attention is not None

    def state_specs(self):
        sizes = self.cell.state_size
        return [
            spec((None, s), tf.float32, n) for s, n in zip(sizes, self.state_names, strict=True)
        ]

    def keys_specs(self):
        """The attention keys input, if the model attends."""
        units = self.model.attention.units if self.has_keys else None
        return [spec((None, None, units), tf.float32, "keys")] if self.has_keys else []

    def decoder(self, token_ids, *rest):
        count = len(self.state_names)
        states, context = list(rest[:count]), self.context(*rest[count:])
        logits, states, weights = self.model.step(token_ids, states, context)
        names = [f"next_{n}" for n in self.state_names]
        return {"logits": logits, "attention": weights, **dict(zip(names, states, strict=True))}

    def kept(self, tokens):
        """Which decoded ids make the output: those before the first end, not pad."""
        before_end = tf.equal(tf.cumsum(tf.cast(tf.equal(tokens, self.model.end), tf.int32), 1), 0)
        return before_end & tf.not_equal(tokens, self.model.pad)
