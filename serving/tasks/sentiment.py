"""Text classifiers: `predict_proba`, `classify`, `explain`, tokenised
from zoo.json's contract (zoo_runtime.words)."""

import numpy as np

from serving.onnx_model import OnnxModel
from zoo_runtime.checks import check_texts
from zoo_runtime.words import Tokenizer


class ClassifierOnnx(OnnxModel):
    task = "sentiment"

    def __init__(self, path, providers=("CPUExecutionProvider",), threads=None):
        super().__init__(path, providers, threads)
        self._tokenizer = None

    def predict_proba(self, texts):
        """P(labels[1]) per text, (N,), as zoo's TextClassifier (for more
        than two labels, (N, classes))."""
        return self._classify(texts)[0]

    def classify(self, texts):
        probs = self.predict_proba(texts)
        labels = self.contract["labels"]
        if probs.ndim == 1:
            return [labels[int(p >= 0.5)] for p in probs]
        return [labels[int(i)] for i in probs.argmax(-1)]

    def explain(self, text):
        """(tokens, weights): what the pooling read in one text."""
        if not isinstance(text, str):
            raise TypeError(f"explain() takes one str, got {type(text).__name__}")
        _, weights, tokens = self._classify([text])
        return tokens[0], weights[0, : len(tokens[0])]

    def tokenizer(self):
        """The model's tokenisation (zoo_runtime.words.Tokenizer), from zoo.json."""
        if self._tokenizer is None:
            self._tokenizer = Tokenizer(self.contract)
        return self._tokenizer

    def _classify(self, texts):
        texts = check_texts(texts)
        for i, text in enumerate(texts):
            self._within("max_review_chars", len(text), f"input {i} characters")
        ids, tokens = self.tokenizer().encode(texts)
        if not texts:
            return np.zeros(0, np.float32), np.zeros((0, 0), np.float32), []
        out = self.run("model", {"token_ids": ids})
        return out["probability"], out["weights"], tokens


MODEL = ClassifierOnnx
