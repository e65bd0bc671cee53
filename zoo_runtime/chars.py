"""Character vocabularies: the mapping between text and token ids that is
saved with every text model.

Id 0 is the out-of-vocabulary token, shown as U+FFFD (the Unicode
replacement character): characters a model never saw encode to it instead
of failing, and models never emit it.
"""

import numpy as np

from zoo_runtime.vocabulary import OOV, Vocabulary

# Special tokens of sequence-to-sequence vocabularies: single characters
# from Unicode's private use area, so they never clash with real text.
PAD, START, END = "\ue000", "\ue001", "\ue002"


class CharVocabulary(Vocabulary):
    """Ordered characters; index = token id, `tokens[0]` is `OOV`."""

    def __init__(self, tokens):
        super().__init__(tokens)
        if any(len(t) != 1 for t in self.tokens):
            raise ValueError("every token of a character vocabulary must be one character")
        # Sorted code points + their ids let encode() run as one searchsorted.
        points = np.array([ord(t) for t in self.tokens[1:]], dtype=np.int64)
        order = np.argsort(points)
        self._points = points[order]
        self._ids = (order + 1).astype(np.int32)

    @classmethod
    def from_text(cls, text, specials=()):
        """OOV, then `specials` (e.g. PAD, START, END), then the sorted
        distinct characters of `text`."""
        return cls([OOV, *specials, *sorted(set(text) - {OOV, *specials})])

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
        return "".join(self.tokens[i] for i in self.checked(ids))
