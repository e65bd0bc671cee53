"""Character vocabularies: the mapping between text and token ids that is
saved with every text model.

Id 0 is the out-of-vocabulary token, shown as U+FFFD (the Unicode
replacement character): characters a model never saw encode to it instead
of failing, and models never emit it.
"""

import json

import numpy as np

OOV = "\ufffd"
# Special tokens of sequence-to-sequence vocabularies: single characters
# from Unicode's private use area, so they never clash with real text.
PAD, START, END = "\ue000", "\ue001", "\ue002"


class CharVocabulary:
    """Ordered characters; index = token id, `tokens[0]` is `OOV`."""

    def __init__(self, tokens):
        tokens = list(tokens)
        if not tokens or tokens[0] != OOV:
            raise ValueError(f"a vocabulary's first token must be the OOV token {OOV!r}")
        if any(not isinstance(t, str) or len(t) != 1 for t in tokens):
            raise ValueError("every token of a character vocabulary must be one character")
        if len(set(tokens)) != len(tokens):
            raise ValueError("a vocabulary's tokens must be distinct")
        self.tokens = tokens
        # Sorted code points + their ids let encode() run as one searchsorted.
        points = np.array([ord(t) for t in tokens[1:]], dtype=np.int64)
        order = np.argsort(points)
        self._points = points[order]
        self._ids = (order + 1).astype(np.int32)

    @classmethod
    def from_text(cls, text, specials=()):
        """OOV, then `specials` (e.g. PAD, START, END), then the sorted
        distinct characters of `text`."""
        return cls([OOV, *specials, *sorted(set(text) - {OOV, *specials})])

    def id(self, token):
        """The id of one token (e.g. a special), which must be present."""
        try:
            return self.tokens.index(token)
        except ValueError:
            raise ValueError(f"token {token!r} is not in this vocabulary") from None

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return isinstance(other, CharVocabulary) and other.tokens == self.tokens

    def encode(self, text):
        """int32 ids of `text`'s characters; unknown characters give 0 (OOV)."""
        if not isinstance(text, str):
            raise TypeError(f"encode() takes a str, got {type(text).__name__}")
        try:
            points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        except UnicodeEncodeError as error:
            raise ValueError(
                f"the text holds a lone surrogate {text[error.start]!r} at position "
                f"{error.start}: not valid Unicode (decode bytes with errors='replace')"
            ) from None
        if not len(self._points):
            return np.zeros(len(points), np.int32)
        pos = np.searchsorted(self._points, points)
        pos = np.minimum(pos, len(self._points) - 1)
        found = self._points[pos] == points
        return np.where(found, self._ids[pos], 0).astype(np.int32)

    def decode(self, ids):
        ids = np.asarray(ids)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens)):
            raise ValueError(f"token ids must lie in [0, {len(self.tokens)}), got {ids}")
        return "".join(self.tokens[i] for i in ids.reshape(-1))

    def to_json(self):
        return json.dumps(self.tokens, ensure_ascii=False)

    @classmethod
    def from_json(cls, text):
        return cls(json.loads(text))
