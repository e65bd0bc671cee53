"""What translators and captioners share: greedy or beam search over
decoder.onnx from encoder.onnx's outputs (zoo_runtime.search.Decoder)."""

import functools

from serving.onnx_model import OnnxModel
from zoo_runtime.search import Decoder


class EncoderDecoderOnnx(OnnxModel):
    @functools.cached_property
    def special(self):
        """{name: id} of the special tokens (oov, pad, start, end, ...)."""
        return {k: v[1] for k, v in self.contract["special_tokens"].items()}

    def search(self, encoded, vocab_size, max_length, beam_width, length_penalty):
        """Greedy or beam search over decoder.onnx from the encoder's
        outputs: its state_k start the decoder, the rest are context."""
        inputs = [i.name for i in self.sessions["decoder"].get_inputs()]
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
        return decoder.decode(states, context, max_length, beam_width, length_penalty)

    def kept(self, row):
        """A decoded row's ids before END, without padding."""
        special = self.special
        row = list(row)
        row = row[: row.index(special["end"])] if special["end"] in row else row
        return [t for t in row if t != special["pad"]]
