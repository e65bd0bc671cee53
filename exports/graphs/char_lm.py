"""What a character LM (zoo.models.CharLM) exports.

ONNX `model.onnx`: one step, (token_ids (B, T), states) -> (logits (B, T, V),
next states); T = 1 streams, T > 1 reads a prompt. SavedModel: text
generation from prompts, tokenised and sampled inside the graph.
"""

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import Graphs, spec
from exports.graphs.checks import checked, checked_bytes, strings
from exports.graphs.sampling import gumbel, ngram_add, ngram_banned, ngram_rows
from exports.text_ops import GraphVocabulary
from zoo_runtime.limits import MAX_NGRAM_SIZE

PROMPTS = ["ROMEO:", "", "To be, or not"]


class CharLMGraphs(Graphs):
    """ONNX: one step graph, (token_ids (B, T), states) -> (logits (B, T, V),
    next states); T = 1 streams, T > 1 reads a prompt. SavedModel: text
    generation from prompts, tokenised and sampled inside the graph."""

    LIMITS = ("max_prompt_chars", "max_generate_length")

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        self.vocabulary = GraphVocabulary(model.vocabulary)

    def resources(self):
        return [self.vocabulary]

    @property
    def state_names(self):
        return [
            f"state_{i}_{k}"
            for i, rnn in enumerate(self.model.recurrent)
            for k in range(len(rnn.cell.state_size))
        ]

    def _group(self, flat):
        grouped, start = [], 0
        for rnn in self.model.recurrent:
            count = len(rnn.cell.state_size)
            grouped.append(list(flat[start : start + count]))
            start += count
        return grouped

    def _state_specs(self):
        sizes = [s for rnn in self.model.recurrent for s in rnn.cell.state_size]
        return [
            spec((None, s), tf.float32, n) for s, n in zip(sizes, self.state_names, strict=True)
        ]

    @property
    def onnx(self):
        return {
            "model.onnx": (
                self.step,
                [spec((None, None), tf.int32, "token_ids"), *self._state_specs()],
            )
        }

    def step(self, token_ids, *states):
        logits, final = self.model.forward(token_ids, self._group(states))
        flat = [s for layer in final for s in layer]
        names = [f"next_{n}" for n in self.state_names]
        return {"logits": logits, **dict(zip(names, flat, strict=True))}

    @property
    def signatures(self):
        signature = [
            spec((None,), tf.string, "prompt"),
            spec((None,), tf.int32, "length"),
            spec((None,), tf.float32, "temperature"),
            spec((None,), tf.int64, "seed"),
        ]
        blocking = spec((None,), tf.int32, "no_repeat_ngram_size")
        return {
            "serving_default": (self.generate, signature),
            "no_repeat": (self.generate_no_repeat, [*signature, blocking]),
        }

    @property
    def step_macs(self):
        return work.weight_macs(self.model, [self.model.embedding])

    def work(self):
        terms = [
            work.term("prompt", "byte", self.step_macs),
            work.term("length", "value", self.step_macs),
        ]
        return {"serving_default": terms, "no_repeat": terms}

    def onnx_work(self, signatures):
        return {"model.onnx": [work.term("token_ids", "element", self.step_macs)]}

    def generate(self, prompt, length, temperature, seed):
        """Continuations of `prompt` (the prompt not repeated), `length`
        characters each, and their log-probability under the model.
        Temperature 0 is greedy; each row samples from its own seed, so a
        row's text does not depend on what else shares the batch."""
        return self._generate(prompt, length, temperature, seed)

    def generate_no_repeat(self, prompt, length, temperature, seed, no_repeat_ngram_size):
        """`generate`, where no row writes the same n characters twice (n =
        the row's no_repeat_ngram_size, 0 for no blocking), as
        CharLM.generate(..., no_repeat_ngram_size=n) does. log_prob is the
        model's, before the block."""
        n = checked(no_repeat_ngram_size, 0, MAX_NGRAM_SIZE, "no_repeat_ngram_size")
        return self._generate(prompt, length, temperature, seed, n)

    def _generate(self, prompt, length, temperature, seed, no_repeat=None):
        length = checked(length, 0, self.limits["max_generate_length"], "length")
        temperature = checked(temperature, 0.0, 1e6, "temperature")
        most = self.limits["max_prompt_chars"]
        prompt = checked_bytes(prompt, most, "prompt bytes")
        ids = self.vocabulary.encode(tf.where(tf.equal(prompt, ""), "\n", prompt))
        lengths = checked(tf.cast(ids.row_lengths(), tf.int32), 0, most, "prompt characters")
        padded = ids.to_tensor(0)
        batch, width = tf.shape(padded)[0], tf.shape(padded)[1]
        total = tf.maximum(tf.reduce_max(lengths) - 1 + tf.reduce_max(length), 1)
        states = [
            [tf.zeros((batch, s)) for s in rnn.cell.state_size] for rnn in self.model.recurrent
        ]
        vocab = len(self.model.vocabulary)
        banned = tf.one_hot(0, vocab, on_value=-1e9)
        first = lengths - 1  # the step that writes a row's first character

        def body(t, token, states, chosen, scores, *written):
            feed = tf.where(t < lengths, padded[:, tf.minimum(t, width - 1)], token)
            logits, states = self.model.step(feed, states)
            logits = logits + banned
            score_of = tf.nn.log_softmax(logits)
            if written:  # a block that leaves no character gives way (n = 1, long texts)
                ban = ngram_banned(written, no_repeat, vocab)
                ban &= tf.reduce_any(~ban[:, 1:], axis=1, keepdims=True)
                logits += tf.where(ban, -1e9, 0.0)
            noise = gumbel(seed, t, tf.shape(logits)[1])
            hot = tf.where(temperature[:, None] > 0, noise, 0.0)
            scaled = logits / tf.maximum(temperature, 1e-6)[:, None] + hot
            token = tf.cast(tf.argmax(scaled, -1), tf.int32)
            score = tf.gather(score_of, token, batch_dims=1)
            if written:
                written = ngram_add(written, token, (t >= first) & (t < first + length))
            return t + 1, token, states, chosen.write(t, token), scores.write(t, score), *written

        init = (
            tf.constant(0),
            tf.zeros((batch,), tf.int32),
            states,
            tf.TensorArray(tf.int32, size=total),
            tf.TensorArray(tf.float32, size=total),
        )
        if no_repeat is not None:
            init += ngram_rows(batch, tf.maximum(tf.reduce_max(length), 1))
        _, _, _, chosen, scores, *_ = tf.while_loop(lambda t, *_: t < total, body, init)
        position = tf.range(total)[None, :]
        keep = (position >= first[:, None]) & (position < (first + length)[:, None])
        return {
            "text": self.vocabulary.decode(tf.transpose(chosen.stack()), keep),
            "log_prob": tf.reduce_sum(tf.where(keep, tf.transpose(scores.stack()), 0.0), axis=1),
        }

    def examples(self):
        rng = np.random.default_rng(0)
        ids = rng.integers(1, len(self.model.vocabulary), (2, 12)).astype(np.int32)
        states = {
            s.name: rng.normal(0, 0.5, (2, s.shape[1])).astype(np.float32)
            for s in self._state_specs()
        }
        prompts = strings(PROMPTS)
        return {
            "model.onnx": [
                {"token_ids": ids, **states},
                {"token_ids": ids[:1, :1], **{k: v[:1] for k, v in states.items()}},
            ],
            "serving_default": [
                {
                    "prompt": prompts,
                    "length": np.array([40, 10, 25], np.int32),
                    "temperature": np.zeros(3, np.float32),
                    "seed": np.zeros(3, np.int64),
                }
            ],
            # Greedy loops within 150 characters of "ROMEO:" (docs/char-lm.md).
            "no_repeat": [
                {
                    "prompt": prompts,
                    "length": np.array([150, 10, 60], np.int32),
                    "temperature": np.zeros(3, np.float32),
                    "seed": np.zeros(3, np.int64),
                    "no_repeat_ngram_size": np.array([8, 0, 1], np.int32),
                }
            ],
        }

    def reference(self, signature, feed):
        if np.any(feed["temperature"] != 0):
            raise ValueError("only greedy generation (temperature 0) has a reference")
        blocking = feed.get("no_repeat_ngram_size", np.zeros(len(feed["prompt"]), np.int32))
        texts = [
            self.model.generate(p.decode(), int(n), temperature=0, no_repeat_ngram_size=int(b))
            for p, n, b in zip(feed["prompt"], feed["length"], blocking, strict=True)
        ]
        return {"text": strings(texts)}

    def contract(self):
        return {
            **super().contract(),
            "vocabulary": self.model.vocabulary,
            "oov_id": 0,
            "state_names": self.state_names,
        }


GRAPHS = CharLMGraphs
