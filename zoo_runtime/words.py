"""A text classifier's tokenisation, from its zoo.json alone (numpy and
`re`, no TensorFlow): the same ids as zoo.words and the SavedModel, and
the RE2 / JavaScript pattern spelling that zoo.json uses."""

import re

import numpy as np

LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def python_pattern(pattern):
    """zoo.json's RE2 / JavaScript pattern in Python's spelling."""
    return re.sub(r"\\x\{([0-9A-Fa-f]+)\}", lambda m: re.escape(chr(int(m[1], 16))), pattern)


class Tokenizer:
    def __init__(self, contract):
        spec = contract["tokenisation"]
        self.rewrites = [(re.compile(python_pattern(p)), r) for p, r in spec["rewrites"]]
        self.token = re.compile(python_pattern(spec["token"]))
        self.max_tokens, self.head_tokens = spec["max_tokens"], spec["head_tokens"]
        self.pad_id, self.oov_id = spec["pad_id"], spec["oov_id"]
        vocabulary = contract["word_vocabulary"]
        specials = {self.pad_id, self.oov_id}
        self.ids = {t: i for i, t in enumerate(vocabulary) if i not in specials}

    def tokens(self, text):
        text = text.translate(LOWER)
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        found = self.token.findall(text)
        if len(found) <= self.max_tokens:
            return found
        tail = self.max_tokens - self.head_tokens
        return found[: self.head_tokens] + (found[-tail:] if tail else [])

    def encode(self, texts):
        """(ids (N, T) int32 padded with pad_id, token lists); a text
        without tokens is refused with a ValueError naming it."""
        tokens = [self.tokens(t) for t in texts]
        for i, items in enumerate(tokens):
            if not items:
                raise ValueError(f"input {i} is empty or only whitespace: it has no tokens")
        ids = np.full((len(texts), max(map(len, tokens), default=0)), self.pad_id, np.int32)
        for row, items in enumerate(tokens):
            ids[row, : len(items)] = [self.ids.get(t, self.oov_id) for t in items]
        return ids, tokens
