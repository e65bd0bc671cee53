"""Subword vocabularies of the translators, learned by byte-pair merges
(Sennrich et al. 2016) over the pre-tokens of the training texts, and read
by the tokenisation contract in zoo_runtime.subwords (the one
implementation every runtime shares)."""

import collections
import heapq

import numpy as np

from zoo_runtime.chars import OOV, PAD
from zoo_runtime.subwords import (
    MAX_PIECE,
    SPACE,
    Subwords,
    detokenize,
    greedy_pieces,
    pretokenize,
    spec,
)
from zoo_runtime.vocabulary import Vocabulary

__all__ = ["MAX_PIECE", "SPACE", "SubwordVocabulary", "detokenize", "greedy_pieces", "pretokenize"]


class SubwordVocabulary(Vocabulary):
    """tokens[0] = OOV, then the specials (PAD; START, END on the target
    side), then the pieces; index = id."""

    def __init__(self, tokens):
        super().__init__(tokens)
        if any(len(t) > MAX_PIECE for t in self.tokens):
            raise ValueError(f"subword pieces hold at most {MAX_PIECE} characters")
        self._subwords = Subwords(spec(), self.tokens)

    @classmethod
    def from_texts(cls, texts, size, specials=(PAD,), min_count=2):
        """OOV, `specials`, then the characters seen `min_count` times and
        byte-pair merges of them, until `size` tokens."""
        counts = collections.Counter(p for text in texts for p in pretokenize(text))
        reserved = {OOV, *specials}
        chars = collections.Counter()
        for word, n in counts.items():
            for c in word:
                chars[c] += n
        alphabet = sorted(c for c, n in chars.items() if n >= min_count and c not in reserved)
        budget = size - 1 - len(specials) - len(alphabet)
        merged = learn_merges(counts, set(alphabet), budget, reserved)
        return cls([OOV, *specials, *alphabet, *merged])

    def pieces(self, text):
        """The pieces of `text`; OOV stands for a character no piece covers."""
        if not isinstance(text, str):
            raise TypeError(f"encode() takes a str, got {type(text).__name__}")
        return self._subwords.pieces(text)

    def encode(self, text):
        return np.array([self.index[p] for p in self.pieces(text)], np.int32)

    def decode(self, ids):
        return self._subwords.decode(self.checked(ids))


def learn_merges(counts, alphabet, budget, reserved=()):
    """Up to `budget` new pieces by byte-pair merging: repeatedly join the
    most frequent adjacent pair (ties: the alphabetically first) inside the
    pre-tokens of `counts` ({pre-token: count}), pieces of at most
    MAX_PIECE characters. Characters outside `alphabet` never merge."""
    words = [[c if c in alphabet else None for c in w] for w in counts]
    freq = list(counts.values())
    pairs, where = collections.Counter(), collections.defaultdict(set)
    for i, w in enumerate(words):
        for pair in _pairs(w):
            pairs[pair] += freq[i]
            where[pair].add(i)
    heap = [(-n, pair) for pair, n in pairs.items()]
    heapq.heapify(heap)
    merged, seen = [], set(alphabet) | set(reserved)
    while heap and len(merged) < budget:
        n, pair = heapq.heappop(heap)
        if -n != pairs.get(pair, 0) or n == 0:
            continue  # stale entry: the count changed since it was pushed
        joined = pair[0] + pair[1]
        if joined not in seen:
            seen.add(joined)
            merged.append(joined)
        changed = set()
        for i in where.pop(pair, ()):
            old = words[i]
            new = _merge(old, pair, joined)
            for p in _pairs(old):
                pairs[p] -= freq[i]
                changed.add(p)
            for p in _pairs(new):
                pairs[p] += freq[i]
                where[p].add(i)
                changed.add(p)
            words[i] = new
        del pairs[pair]
        changed.discard(pair)
        for p in changed:
            if pairs[p] > 0:
                heapq.heappush(heap, (-pairs[p], p))
    return merged


def _pairs(word):
    return [
        (a, b)
        for a, b in zip(word, word[1:], strict=False)
        if a is not None and b is not None and len(a) + len(b) <= MAX_PIECE
    ]


def _merge(word, pair, joined):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(joined)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


def word_spans(pieces):
    """(words, piece indices of each): a word starts at a piece that
    starts with SPACE, and at the first piece; OOV and special tokens
    (private use characters) stand alone."""
    words, spans = [], []
    for i, piece in enumerate(pieces):
        if words and not piece.startswith(SPACE) and not _alone(piece, pieces[i - 1]):
            words[-1] += piece
            spans[-1].append(i)
        else:
            words.append(piece.removeprefix(SPACE))
            spans.append([i])
    return words, spans


def _alone(*pieces):
    return any(p == OOV or "\ue000" <= p <= "\uf8ff" for p in pieces)


def word_weights(weights, rows, cols):
    """Piece attention (output pieces, source pieces) as words: a source
    word gets the sum of its pieces' weights, an output word the mean of
    its pieces' rows, so each row still sums to 1."""
    weights = np.asarray(weights)
    by_col = np.stack([weights[:, c].sum(axis=1) for c in cols], axis=1)
    return np.stack([by_col[r].mean(axis=0) for r in rows], axis=0)
