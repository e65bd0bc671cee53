"""Character LMs: `generate`, sampling as zoo's CharLM and the SavedModel do."""

import numpy as np

from serving.onnx_model import OnnxModel
from zoo_runtime.chars import CharVocabulary
from zoo_runtime.checks import check_generate_args, check_ngram_size
from zoo_runtime.search import NgramBlock, log_softmax, random_seed, sample


class CharLMOnnx(OnnxModel):
    task = "char-lm"

    def generate(
        self, prompt, length=200, temperature=1.0, top_k=None, seed=None, no_repeat_ngram_size=0
    ):
        """`length` characters continuing `prompt`, as zoo's CharLM.generate
        (and the SavedModel) give them for the same seed: temperature 0 is
        greedy, an empty prompt starts from a newline; no_repeat_ngram_size
        blocks repeated n-grams of the generated text, as CharLM's does."""
        check_generate_args(prompt, length, temperature, top_k, seed)
        check_ngram_size(no_repeat_ngram_size)
        self._within("max_prompt_chars", len(prompt), "prompt characters")
        self._within("max_generate_length", length, "length")
        if length == 0:
            return ""
        vocabulary = self.contract["vocabulary"]
        seed = random_seed() if seed is None else seed
        ids = CharVocabulary(vocabulary).encode(prompt or "\n")[None]
        step = ids.shape[1] - 1  # the row's token count, prompt included
        states = self._zero_states()
        out, written = [], NgramBlock(no_repeat_ngram_size)
        while True:
            result = self.run("model", {"token_ids": ids, **states})
            row = result["logits"][0, -1]
            out.append(sample(row, temperature, top_k, seed, step, written.banned()))
            written.add(out[-1])
            step += 1
            if len(out) == length:
                return "".join(vocabulary[i] for i in out)
            ids = np.array([[out[-1]]], np.int32)
            states = {n: result[f"next_{n}"] for n in states}

    def nats_per_char(self, text):
        """Mean -ln p(next character) over `text` read as one stream from a
        zero state, as zoo's CharLM.nats_per_char; run in windows of
        max_prompt_chars, the state carried between them."""
        if not isinstance(text, str):
            raise TypeError(f"nats_per_char() takes a str, got {type(text).__name__}")
        ids = CharVocabulary(self.contract["vocabulary"]).encode(text)
        if len(ids) < 2:
            raise ValueError("nats_per_char needs a text of at least two characters")
        window = self.limits.get("max_prompt_chars", len(ids))
        states = self._zero_states()
        total = 0.0
        for start in range(0, len(ids) - 1, window):
            chunk = ids[start : start + window]
            out = self.run("model", {"token_ids": chunk[None], **states})
            targets = ids[start + 1 : start + 1 + len(chunk)]
            total += _nats(out["logits"][0, : len(targets)], targets)
            states = {n: out[f"next_{n}"] for n in states}
        return total / (len(ids) - 1)

    def _zero_states(self):
        return {n: np.zeros((1, self._width(n)), np.float32) for n in self.contract["state_names"]}

    def _width(self, state):
        return self.graph_io("model")["inputs"][state]["shape"][-1]


def _nats(logits, targets):
    """Sum of -ln softmax(logits)[target] over the rows."""
    log_p = log_softmax(logits.astype(np.float64))
    return -float(np.sum(log_p[np.arange(len(targets)), targets]))


MODEL = CharLMOnnx
