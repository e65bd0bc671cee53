"""What a sequence-to-sequence model (zoo.models.Seq2Seq) exports.

ONNX: `encoder.onnx` and a decoder-step graph `decoder.onnx`, so an app in
any language runs greedy or beam search itself. SavedModel: texts -> texts,
tokenised and detokenised inside the graph; subword models add `tokenize`.
"""

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs import dates
from exports.graphs.base import spec
from exports.graphs.checks import checked_bytes, re_class, strings
from exports.graphs.encoder_decoder import EncoderDecoderGraphs
from exports.text_ops import GraphSubwords, GraphVocabulary
from zoo.models import seq2seq
from zoo.models.encoder_decoder import Encoded
from zoo.models.seq2seq import WHITESPACE
from zoo_runtime import subwords
from zoo_runtime.chars import END, OOV, PAD, START


class Seq2SeqGraphs(EncoderDecoderGraphs):
    """ONNX: an encoder graph and a decoder-step graph, so an app in any
    language runs greedy or beam search itself (exports.verify runs greedy
    and must match Keras token for token). SavedModel:
    texts -> texts, tokenised and detokenised inside the graph."""

    LIMITS = ("max_text_chars",)
    EXAMPLES = {
        "chars": ["Tuesday, March 3rd 2015", "3 Jan 1999", "the 12th of October, 2021"],
        "subwords": ["¿Dónde está la estación?", "Tom no quería hacerlo.", "Tengo 3 gatos."],
    }

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        chars = model.tokenizer == "chars"
        most = model.max_input_length if chars else seq2seq.MAX_TEXT_CHARS
        self.limits["max_text_chars"] = min(self.limits["max_text_chars"], most)
        vocabulary = GraphVocabulary if chars else GraphSubwords
        self.source = vocabulary(model.source.tokens)
        self.target = vocabulary(model.target.tokens)

    def resources(self):
        return [self.source, self.target]

    def reference(self, signature, feed):
        texts = [t.decode() for t in feed["text"]]
        if signature == "serving_default":
            outputs = self.model.translate(texts)
            found = {"output": strings([output or "" for output in outputs])}
            if self.model.output_check:  # Keras answers None where the graph flags
                found["valid"] = np.array([output is not None for output in outputs])
            return found
        ids = self.model.encode_texts(texts)
        pieces = np.full(ids.shape, b"", object)
        for row, text in enumerate(texts):
            found = self.model.source.pieces(text)
            pieces[row, : len(found)] = [p.encode() for p in found]
        return {"token_ids": ids, "tokens": pieces}

    @property
    def cell(self):
        return self.model.decoder_cell

    @property
    def onnx(self):
        memory = 2 * self.model.units
        decoder = [
            spec((None,), tf.int32, "token_ids"),
            *self.state_specs(),
            spec((None, None, memory), tf.float32, "memory"),
            *self.keys_specs(),
            spec((None, None), tf.bool, "source_mask"),
            spec((None, memory), tf.float32, "summary"),
        ]
        return {
            "encoder.onnx": (self.encoder, [spec((None, None), tf.int32, "source_ids")]),
            "decoder.onnx": (self.decoder, decoder),
        }

    def encoder(self, source_ids):
        encoded, states = self.model.encode(source_ids)
        out = {"memory": encoded.memory, "source_mask": encoded.mask, "summary": encoded.summary}
        if self.has_keys:
            out["keys"] = encoded.keys
        return {**out, **dict(zip(self.state_names, states, strict=True))}

    def context(self, memory, *rest):
        keys = rest[0] if self.has_keys else None
        mask, summary = rest[-2:]
        return Encoded(memory, keys, mask, summary)

    @property
    def id_inputs(self):
        return {"source_ids": len(self.model.source.tokens)}

    def decode_inputs(self, encoder_feed):
        return encoder_feed["source_ids"]

    @property
    def banned(self):
        return (0, self.model.pad, self.model.start)

    @property
    def max_length(self):
        return self.model.max_output_length

    @property
    def signatures(self):
        text = [spec((None,), tf.string, "text")]
        if self.model.tokenizer == "chars":
            return {"serving_default": (self.translate, text)}
        return {"serving_default": (self.translate, text), "tokenize": (self.tokenize, text)}

    @property
    def step_macs(self):
        m = self.model
        return work.weight_macs(m, [m.source_embedding, m.target_embedding])

    def encoder_work(self):
        return [work.term("source_ids", "element", self.step_macs)]

    def work(self):
        m, step = self.model, self.step_macs
        # Each source character is one encoder step; each row decodes up to
        # max_output_length steps (greedy), attending over the source.
        terms = [
            work.term("text", "byte", step),
            work.term("text", "row", m.max_output_length * step),
        ]
        return {"serving_default": terms}

    def tokenize(self, text):
        """Source ids and pieces as the model reads them (padded with the
        source pad id and ""): the tokeniser inside this graph, to compare."""
        text = checked_bytes(text, self.limits["max_text_chars"], "input text bytes")
        ids = self.source.encode(text)
        pieces = tf.gather(self.source.tokens, ids)
        return {"token_ids": ids.to_tensor(self.model.source_pad), "tokens": pieces.to_tensor("")}

    def translate(self, text):
        most = self.limits["max_text_chars"]
        text = checked_bytes(text, most, "input text bytes")
        blank = tf.strings.regex_full_match(text, f"[{re_class(WHITESPACE)}]*")
        not_blank = tf.debugging.Assert(
            tf.logical_not(tf.reduce_any(blank)), ["empty or whitespace-only input text"]
        )
        chars = tf.strings.length(text, unit="UTF8_CHAR")
        short = tf.debugging.assert_less_equal(
            chars, most, f"an input text is over {most} characters"
        )
        with tf.control_dependencies([not_blank, short]):
            ids = self.source.encode(text)
        lengths, longest = ids.row_lengths(), self.model.max_input_length
        checks = [  # for character models, implied by the check above
            tf.debugging.assert_less_equal(
                lengths, tf.cast(longest, lengths.dtype), f"an input text is over {longest} tokens"
            ),
            tf.debugging.assert_positive(lengths, "an input text has no tokens"),
        ]
        with tf.control_dependencies(checks):
            padded = ids.to_tensor(self.model.source_pad)
        tokens, log_prob, _ = self.model.greedy(padded, self.model.max_output_length)
        chosen = tf.reduce_sum(tf.cast(tf.not_equal(tokens, self.model.pad), tf.float32), axis=1)
        output = self.target.decode(tokens, self.kept(tokens))
        checked = {}
        if self.model.output_check:  # "" and valid false where no date can be
            valid = dates.answered(text, output, self.model.output_check)
            checked = {"valid": valid}
            output = tf.where(valid, output, "")
        return {
            "output": output,
            "log_prob": log_prob,
            # as zoo_runtime.search.per_token_log_prob: END counts, PAD does not
            "log_prob_per_token": log_prob / tf.maximum(chosen, 1.0),
            **checked,
        }

    def tokenisation(self):
        """How apps turn text into source ids and target ids into text."""
        if self.model.tokenizer == "chars":
            return {"kind": "chars", "rule": "one id per character; unknown characters -> oov"}
        return subwords.spec()

    def examples(self):
        texts = self.EXAMPLES[self.model.tokenizer]
        source_ids = self.model.encode_texts(texts)
        encoded = {k: v.numpy() for k, v in self.encoder(tf.constant(source_ids)).items()}
        start = np.full(len(texts), self.model.start, np.int32)
        decoder = {"token_ids": start, **{k: v for k, v in encoded.items() if k != "source_ids"}}
        return {
            "encoder.onnx": [{"source_ids": source_ids}],
            "decoder.onnx": [decoder],
            "serving_default": [{"text": strings(texts)}],
            **({"tokenize": [{"text": strings(texts)}]} if "tokenize" in self.signatures else {}),
        }

    def contract(self):
        m = self.model
        return {
            **super().contract(),
            "blank_characters": WHITESPACE,
            "source_vocabulary": m.source.tokens,
            "target_vocabulary": m.target.tokens,
            "special_tokens": {
                "oov": [OOV, 0],
                "pad": [PAD, m.pad],
                "start": [START, m.start],
                "end": [END, m.end],
                "source_pad": [PAD, m.source_pad],
            },
            "tokenisation": self.tokenisation(),
            **({"output_check": m.output_check} if m.output_check else {}),
            "max_input_length": m.max_input_length,
            "max_output_length": m.max_output_length,
            "decoding": "search.onnx runs the whole search in one call (see 'search'); "
            "to step it yourself: run encoder.onnx once; start decoder.onnx from "
            "token_ids = start and the encoder's state_k; each step feed back "
            "next_state_k and the chosen id "
            "(never oov, pad or start); stop at end or max_output_length",
        }


GRAPHS = Seq2SeqGraphs
