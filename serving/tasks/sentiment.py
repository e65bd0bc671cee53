"""Text classifiers: `predict_proba`, `classify`, `explain`, tokenised
from zoo.json's contract (zoo_runtime.words)."""

import numpy as np

from serving.onnx_model import OnnxModel
from zoo_runtime.checks import check_texts
from zoo_runtime.words import Tokenizer

ROWS_PER_RUN = 16  # texts per onnxruntime call, of similar lengths (runs_by_length)


class ClassifierOnnx(OnnxModel):
    task = "sentiment"

    def __init__(self, path, *args, **kwargs):
        super().__init__(path, *args, **kwargs)
        self._tokenizer = None

    @property
    def labels(self):
        """The class names, as zoo's TextClassifier.labels."""
        return list(self.contract["labels"])

    def predict_proba(self, texts):
        """P(labels[1]) per text, (N,), as zoo's TextClassifier (for more
        than two labels, (N, classes))."""
        return self._classify(texts)[0]

    def classify(self, texts):
        probs = self.predict_proba(texts)
        labels = self.labels
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
        probability, weights = None, np.zeros(ids.shape, np.float32)
        for rows, longest in runs_by_length([len(t) for t in tokens]):
            out = self.run("model", {"token_ids": ids[rows, :longest]})
            if probability is None:
                probability = np.empty((len(ids), *out["probability"].shape[1:]), np.float32)
            probability[rows], weights[rows, :longest] = out["probability"], out["weights"]
        return probability, weights, tokens


MODEL = ClassifierOnnx


def runs_by_length(lengths, rows_per_run=ROWS_PER_RUN):
    """[(row indices, their longest length)]: the rows sorted by length in
    runs of at most rows_per_run, so each run is padded to its own longest
    row, not the batch's. The recurrent kernel steps every row to the
    run's longest: 64 IMDB reviews of 59-512 tokens took 218 ms as one
    run and 144 ms as four (onnxruntime, 2 cores)."""
    order = np.argsort(lengths, kind="stable")
    runs = [order[i : i + rows_per_run] for i in range(0, len(order), rows_per_run)]
    return [(rows, max(lengths[i] for i in rows)) for rows in runs]
