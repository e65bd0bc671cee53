"""Word vectors: `vector`, `similarity`, `nearest` and `analogy`
(zoo_runtime.word_vectors.WordQuestions), answered
by zoo_runtime.word_vectors (as zoo's Word2Vec answers them) over the
table that model.onnx gives for every id."""

import numpy as np

from serving.onnx_model import LITERT, OnnxModel
from zoo_runtime.word_vectors import WordQuestions, WordTable

CHUNK = 4096  # ids per onnxruntime call while the table is read


class WordVectorsOnnx(WordQuestions, OnnxModel):
    task = "word-vectors"

    def __init__(self, path, *args, **kwargs):
        super().__init__(path, *args, **kwargs)
        self._table = None

    @property
    def vocabulary(self):
        return list(self.contract["word_vocabulary"])

    def table(self):
        """The vectors as a zoo_runtime.word_vectors.WordTable, read once."""
        if self._table is None:
            ids = np.arange(len(self.vocabulary), dtype=np.int32)
            step = 1 if self.runtime == LITERT else CHUNK  # LiteRT runs one example at a time
            rows = [
                self.run("model", {"token_ids": ids[i : i + step]})["vectors"]
                for i in range(0, len(ids), step)
            ]
            self._table = WordTable(self.vocabulary, np.concatenate(rows))
        return self._table

    @property
    def vectors(self):
        return self.table().vectors


MODEL = WordVectorsOnnx
