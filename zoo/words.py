"""Word tokenisation: the contract every sentiment model carries, written so
that Python's `re`, TensorFlow's RE2 (inside SavedModels) and JavaScript
give the same tokens, hence the same ids.

1. `<br />` tags (IMDB's markup) become spaces; ASCII A-Z become a-z
   (only ASCII: lower-casing beyond it differs between engines); curly
   apostrophes become '.
2. "n't" is split from its word ("doesn't" -> "does n't"), as in the Penn
   Treebank tokenisation SST-2 uses, so raw and pre-tokenised text agree.
3. Tokens, left to right: "n't"; an apostrophe clitic ('s, 're, ...); a
   run of word characters (a-z, 0-9 and every non-ASCII character); or one
   ASCII punctuation mark. Everything else (ASCII spaces and control
   characters) separates tokens.
4. A text over `max_tokens` tokens keeps its first `head_tokens` and its
   last `max_tokens - head_tokens` (a review's verdict is often at its end).

Ids: 0 is padding, 1 the out-of-vocabulary token; the rest index the
vocabulary list.
"""

import re

import numpy as np

from zoo_runtime.words import LOWER, python_pattern

PAD, OOV = "\ue000", "\ufffd"
WORD = "a-z0-9\\x{80}-\\x{10FFFF}"  # RE2 / JavaScript (u flag) spelling
PUNCTUATION = "!-/:-@\\[-`{-~"  # ASCII 0x21-0x2F, 0x3A-0x40, 0x5B-0x60, 0x7B-0x7E
TOKEN = f"n't|'[{WORD}]+|[{WORD}]+|[{PUNCTUATION}]"
# After ASCII lower-casing, these (pattern, replacement) pairs in order.
REWRITES = (("<br */?>", " "), ("[\u2018\u2019]", "'"), ("n't", " n't"))
SEPARATORS = "[\\x00-\\x20\\x7f]+"  # what no token holds

_TOKEN = re.compile(python_pattern(TOKEN))
_REWRITES = [(re.compile(python_pattern(p)), r) for p, r in REWRITES]


def standardize(text):
    text = text.translate(LOWER)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def tokenize(text):
    """The tokens of `text` (a str), before truncation."""
    return _TOKEN.findall(standardize(text))


def truncate(items, max_tokens, head_tokens):
    """The first head_tokens and last max_tokens - head_tokens of `items`
    when there are more than max_tokens."""
    if len(items) <= max_tokens:
        return items
    tail = max_tokens - head_tokens
    return items[:head_tokens] + (items[-tail:] if tail else items[:0])


class WordVocabulary:
    """tokens[0] = PAD, tokens[1] = OOV, then the words; index = id."""

    def __init__(self, tokens):
        tokens = list(tokens)
        if tokens[:2] != [PAD, OOV]:
            raise ValueError(f"a word vocabulary starts with PAD {PAD!r} and OOV {OOV!r}")
        if len(set(tokens)) != len(tokens) or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("a word vocabulary's tokens must be distinct non-empty strings")
        self.tokens = tokens
        self._ids = {t: i for i, t in enumerate(tokens) if i >= 2}

    @classmethod
    def from_texts(cls, texts, size, min_count=1):
        """The `size` - 2 most frequent tokens of `texts` (ties broken
        alphabetically), each seen at least `min_count` times."""
        return cls.from_tokens(map(tokenize, texts), size, min_count)

    @classmethod
    def from_tokens(cls, token_lists, size, min_count=1):
        """As from_texts, from texts already tokenised."""
        counts = {}
        for tokens in token_lists:
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
        ranked = sorted((t for t, n in counts.items() if n >= min_count and t not in (PAD, OOV)),
                        key=lambda t: (-counts[t], t))  # fmt: skip
        return cls([PAD, OOV, *ranked[: size - 2]])

    def __len__(self):
        return len(self.tokens)

    def ids(self, tokens):
        return np.array([self._ids.get(t, 1) for t in tokens], np.int32)

    def encode(self, texts, max_tokens, head_tokens):
        """(ids (N, T) int32 padded with 0, token lists) of texts that
        passed check_texts; a text without a single token is refused."""
        tokens = [truncate(tokenize(t), max_tokens, head_tokens) for t in texts]
        for i, items in enumerate(tokens):
            if not items:
                raise ValueError(f"input {i} is empty or only whitespace: it has no tokens")
        ids = np.zeros((len(tokens), max(map(len, tokens), default=0)), np.int32)
        for row, items in enumerate(tokens):
            ids[row, : len(items)] = self.ids(items)
        return ids, tokens
