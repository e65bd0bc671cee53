"""A translator's subword tokenisation, from its zoo.json alone (`re`, no
TensorFlow): the same pieces and ids as zoo.subwords (which learns the
vocabulary) and the SavedModel."""

import re

import numpy as np

from zoo_runtime.words import python_pattern


class Subwords:
    """`tokenisation` (kind "subwords") of zoo.json over one vocabulary."""

    def __init__(self, spec, vocabulary):
        self.separators = re.compile(f"[{python_pattern(spec['separators'])}]+")
        self.rewrites = [
            (re.compile(python_pattern(p)), r.replace("\\1", "\\g<1>")) for p, r in spec["rewrites"]
        ]
        self.mark, self.space, self.max_piece = spec["mark"], spec["space"], spec["max_piece"]
        self.vocabulary = list(vocabulary)
        self.ids = {t: i for i, t in enumerate(self.vocabulary)}

    def pretokens(self, text):
        text = " " + self.separators.sub(" ", text)
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        return [t for t in text.split(self.mark) if t]

    def encode(self, text):
        """int32 ids: the longest known piece first; uncovered characters -> 0 (OOV)."""
        ids = []
        for word in self.pretokens(text):
            i = 0
            while i < len(word):
                for size in range(min(self.max_piece, len(word) - i), 0, -1):
                    if word[i : i + size] in self.ids:
                        ids.append(self.ids[word[i : i + size]])
                        i += size
                        break
                else:
                    ids.append(0)
                    i += 1
        return np.array(ids, np.int32)

    def decode(self, ids):
        joined = "".join(self.vocabulary[i] for i in ids)
        return joined.replace(self.space, " ").strip(" ")
