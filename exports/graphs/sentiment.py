"""What a text classifier (zoo.models.TextClassifier) exports.

ONNX `model.onnx`: token_ids (B, T) int32, 0 = padding -> probability
((B,) for two labels, else (B, classes)) and weights (B, T), the pooling
weight of each token. An app tokenises with zoo.json's "tokenisation"
(zoo_runtime.words does it in numpy, zoo.mjs in JavaScript).

SavedModel: `serving_default` text -> probability, label; `explain`
text -> tokens, token_ids, weights (padded with "", 0 and 0.0).
"""

import numpy as np
import tensorflow as tf

from exports import work
from exports.graphs.base import Graphs, spec
from exports.graphs.checks import checked_text, strings
from exports.text_ops import GraphWords
from zoo_runtime import words
from zoo_runtime.limits import MAX_REVIEW_CHARS

EXAMPLES = [
    "A wonderful, moving film.<br />I didn't expect to cry!",
    "not good",
    "Ça ne vaut rien: tedious, slow and far too long",
]


class ClassifierGraphs(Graphs):
    LIMITS = ("max_review_chars",)

    def __init__(self, model, limits=None):
        super().__init__(model, limits)
        self.limits["max_review_chars"] = min(self.limits["max_review_chars"], MAX_REVIEW_CHARS)
        self.words = GraphWords(model.vocabulary, model.max_tokens, model.head_tokens)

    def resources(self):
        return [self.words]

    @property
    def onnx(self):
        return {"model.onnx": (self.scores, [spec((None, None), tf.int32, "token_ids")])}

    def scores(self, token_ids):
        logits, weights = self.model.forward(token_ids)
        return {"probability": self.model.probabilities(logits), "weights": weights}

    @property
    def signatures(self):
        text = [spec((None,), tf.string, "text")]
        return {"serving_default": (self.classify, text), "explain": (self.explain, text)}

    def _tokens(self, text):
        text = checked_text(text, self.limits["max_review_chars"], "text")
        tokens = self.words.tokenize(text)
        found = tf.reduce_all(tokens.row_lengths() > 0)
        message = "an input text is empty or only whitespace: it has no tokens"
        with tf.control_dependencies([tf.debugging.Assert(found, [message])]):
            return tf.identity(tokens)

    @property
    def step_macs(self):
        return work.weight_macs(self.model, [self.model.embedding])

    def work(self):
        step = self.step_macs
        return {name: [work.term("text", "byte", step)] for name in ("serving_default", "explain")}

    def onnx_work(self, signatures):
        return {"model.onnx": [work.term("token_ids", "element", self.step_macs)]}

    def classify(self, text):
        ids = self.words.ids(self._tokens(text))
        probability = self.scores(ids)["probability"]
        labels = tf.constant(self.model.labels)
        if len(self.model.labels) == 2:
            label = tf.gather(labels, tf.cast(probability >= 0.5, tf.int32))
        else:
            label = tf.gather(labels, tf.argmax(probability, axis=-1, output_type=tf.int32))
        return {"probability": probability, "label": label}

    def explain(self, text):
        tokens = self._tokens(text)
        ids = self.words.ids(tokens)
        return {
            "tokens": tokens.to_tensor(""),
            "token_ids": ids,
            "weights": self.scores(ids)["weights"],
        }

    def reference(self, signature, feed):
        texts = [t.decode() for t in feed["text"]]
        if signature == "serving_default":
            return {
                "probability": self.model.predict_proba(texts),
                "label": strings(self.model.classify(texts)),
            }
        ids, tokens = self.model.encode_texts(texts)
        weights = np.zeros(ids.shape, np.float32)
        for row, text in enumerate(texts):
            weights[row, : len(tokens[row])] = self.model.explain(text)[1]
        padded = np.full(ids.shape, b"", object)
        for row, items in enumerate(tokens):
            padded[row, : len(items)] = [t.encode() for t in items]
        return {"tokens": padded, "token_ids": ids, "weights": weights}

    def examples(self):
        ids, _ = self.model.encode_texts(EXAMPLES)
        texts = {"text": strings(EXAMPLES)}
        return {
            "model.onnx": [{"token_ids": ids}, {"token_ids": ids[1:2, :2]}],
            "serving_default": [texts],
            "explain": [texts],
        }

    def contract(self):
        m = self.model
        return {
            **super().contract(),
            "labels": m.labels,
            **words.contract(m.vocabulary, m.max_tokens, m.head_tokens),
            "output": "probability of labels[1]" if len(m.labels) == 2 else "softmax over labels",
        }


GRAPHS = ClassifierGraphs
