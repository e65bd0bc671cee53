"""What every token-list vocabulary shares (characters, subword pieces):
ordered tokens, index = id, token 0 the out-of-vocabulary token."""

import json

import numpy as np

OOV = "\ufffd"  # U+FFFD, the Unicode replacement character


class Vocabulary:
    def __init__(self, tokens):
        tokens = list(tokens)
        if not tokens or tokens[0] != OOV:
            raise ValueError(f"a vocabulary's first token must be the OOV token {OOV!r}")
        if not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("a vocabulary's tokens must be non-empty strings")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary's tokens must be distinct")
        self.tokens = tokens
        self.index = {t: i for i, t in enumerate(tokens)}

    def id(self, token):
        """The id of one token (e.g. a special), which must be present."""
        try:
            return self.index[token]
        except KeyError:
            raise ValueError(f"token {token!r} is not in this vocabulary") from None

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return type(other) is type(self) and other.tokens == self.tokens

    def checked(self, ids):
        """`ids` flattened, once each is checked to be a token's id."""
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens)):
            raise ValueError(f"token ids must lie in [0, {len(self.tokens)}), got {ids}")
        return ids

    def to_json(self):
        return json.dumps(self.tokens, ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text))
