"""Word vocabularies of the text classifiers, built on the tokenisation
contract in zoo_runtime.words (the one implementation every runtime shares):
ids 0 and 1 are padding and the out-of-vocabulary token."""

import functools

import numpy as np

from zoo_runtime.words import OOV, PAD, Tokenizer, contract, tokenize, truncate

__all__ = ["OOV", "PAD", "WordVocabulary", "tokenize", "truncate"]


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
        ranked = sorted(
            (t for t, n in counts.items() if n >= min_count and t not in (PAD, OOV)),
            key=lambda t: (-counts[t], t),
        )
        return cls([PAD, OOV, *ranked[: size - 2]])

    def __len__(self):
        return len(self.tokens)

    def ids(self, tokens):
        return np.array([self._ids.get(t, 1) for t in tokens], np.int32)

    def encode(self, texts, max_tokens, head_tokens):
        """(ids (N, T) int32 padded with 0, token lists) of texts that
        passed check_texts; a text without a single token is refused."""
        return self.tokenizer(max_tokens, head_tokens).encode(texts)

    @functools.lru_cache(maxsize=4)  # noqa: B019  (a vocabulary lives as long as its model)
    def tokenizer(self, max_tokens, head_tokens):
        return Tokenizer(contract(self.tokens, max_tokens, head_tokens))
