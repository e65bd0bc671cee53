"""What translators and captioners share: the whole greedy or beam search
in one onnxruntime call (search.onnx), or, for exports made before it
existed, encoder.onnx once and decoder.onnx stepped by numpy
(zoo_runtime.search.Decoder)."""

import functools

import numpy as np

from serving.onnx_model import OnnxModel
from zoo_runtime.checks import check_beam_width
from zoo_runtime.search import Decoder, chosen_decoding


class EncoderDecoderOnnx(OnnxModel):
    @functools.cached_property
    def special(self):
        """{name: id} of the special tokens (oov, pad, start, end, ...)."""
        return {k: v[1] for k, v in self.contract["special_tokens"].items()}

    def chosen_decoding(self, length_penalty=None, no_repeat_ngram_size=None):
        """(length_penalty, no_repeat_ngram_size): as given, else zoo.json's
        decoding_defaults (none in exports made before them)."""
        defaults = self.contract.get("decoding_defaults")
        return chosen_decoding(defaults, length_penalty, no_repeat_ngram_size)

    def decode(self, encoder_feed, vocab_size, max_length, beam_width, length_penalty, no_repeat=0):
        """Output ids (B, L) and their log-probability (B,) from
        encoder.onnx's inputs."""
        search = self.contract.get("search")
        if search is not None:
            check_beam_width(beam_width, search["max_beam_width"])
        if "search" not in self.sessions:  # an export from before search.onnx, or LiteRT
            encoded = self.run("encoder", encoder_feed)
            return self.search(
                encoded, vocab_size, max_length, beam_width, length_penalty, no_repeat
            )
        feed = {
            **encoder_feed,
            "beam_width": np.array(beam_width, np.int64),
            "length_penalty": np.array(length_penalty, np.float32),
        }
        if "no_repeat_ngram_size" in self.input_names("search"):
            feed["no_repeat_ngram_size"] = np.array(no_repeat, np.int64)
        elif no_repeat:  # search.onnx from before repetition blocking: the step graphs can
            encoded = self.run("encoder", encoder_feed)
            return self.search(
                encoded, vocab_size, max_length, beam_width, length_penalty, no_repeat
            )
        found = self.run("search", feed)
        return found["ids"], found["log_prob"]

    def search(self, encoded, vocab_size, max_length, beam_width, length_penalty, no_repeat=0):
        """Greedy or beam search over decoder.onnx from the encoder's
        outputs: its state_k start the decoder, the rest are context."""
        inputs = self.input_names("decoder")
        state_names = [n for n in inputs if n.startswith("state_")]
        context = {n: encoded[n] for n in inputs if n != "token_ids" and n not in state_names}

        def step(token_ids, states, context):
            feed = {"token_ids": token_ids, **dict(zip(state_names, states, strict=True))}
            out = self.run("decoder", {**feed, **context})
            return out["logits"], [out[f"next_{n}"] for n in state_names]

        special = self.special
        banned = {special[k] for k in ("oov", "pad", "start")}
        ends = special["start"], special["end"], special["pad"]
        decoder = Decoder(step, vocab_size, banned, *ends)
        states = [encoded[n] for n in state_names]
        return decoder.decode(states, context, max_length, beam_width, length_penalty, no_repeat)

    def kept(self, row):
        """A decoded row's ids before END, without padding."""
        special = self.special
        row = list(row)
        row = row[: row.index(special["end"])] if special["end"] in row else row
        return [t for t in row if t != special["pad"]]
