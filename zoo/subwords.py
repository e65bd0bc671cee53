"""Subword tokenisation: the contract every translation model carries,
written as four regex rewrites and one greedy match so that Python's `re`,
TensorFlow's RE2 (inside SavedModels) and JavaScript give the same pieces,
hence the same ids.

1. Runs of separators (ASCII spaces and control characters) become one
   space, and one space goes in front of the text.
2. The text splits into pre-tokens: one punctuation mark (ASCII, ¿ ¡ « »,
   curly quotes, dashes, ellipsis) or a run of anything else (letters of
   any script, digits, emoji...). A pre-token after a space starts with
   SPACE (U+2581), which is how detokenisation knows where spaces were.
3. Each pre-token splits into the longest vocabulary piece from its start,
   then the longest from where that ended, and so on (WordPiece's greedy
   rule). A character no piece covers becomes OOV, so unseen words become
   known pieces rather than one unknown word.

Detokenising joins the pieces and turns SPACE back into spaces: text with
single spaces round-trips exactly. The vocabulary is learned by byte-pair
merges (Sennrich et al. 2016) over the pre-tokens of the training texts.
"""

import collections
import heapq
import re

import numpy as np

from zoo_runtime.chars import OOV, PAD
from zoo_runtime.words import python_pattern

SPACE = "\u2581"
MAX_PIECE = 16  # characters; merges stop there, and so does the greedy match
SEPARATORS = "\\x{00}-\\x{20}\\x{7f}"
PUNCTUATION = (
    "!-/:-@\\[-`{-~"  # ASCII punctuation
    "\\x{a1}\\x{ab}\\x{bb}\\x{bf}"  # ¡ « » ¿
    "\\x{2013}\\x{2014}\\x{2018}-\\x{201f}\\x{2026}"  # – — ‘ ’ ‚ ‛ “ ” „ ‟ …
)
PRETOKEN = f"[{PUNCTUATION}]|[^{PUNCTUATION}{SEPARATORS}]+"
MARK = "\x01"  # a separator, so never inside a pre-token: it cuts them apart
# (pattern, replacement) in order, after step 1; then split at MARK.
REWRITES = ((f"({PRETOKEN})", MARK + "\\1"), (" " + MARK, MARK + SPACE), (" ", ""))

_SEPARATORS = re.compile(f"[{python_pattern(SEPARATORS)}]+")
_REWRITES = [(re.compile(python_pattern(p)), r.replace("\\1", "\\g<1>")) for p, r in REWRITES]


def pretokenize(text):
    """The pre-tokens of `text` (a str), SPACE-marked."""
    text = " " + _SEPARATORS.sub(" ", text)
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return [t for t in text.split(MARK) if t]


def detokenize(pieces):
    return "".join(pieces).replace(SPACE, " ").strip(" ")


def greedy_pieces(pretoken, known):
    """Longest known piece first; an uncovered character is None (OOV)."""
    pieces, i = [], 0
    while i < len(pretoken):
        for size in range(min(MAX_PIECE, len(pretoken) - i), 0, -1):
            if pretoken[i : i + size] in known:
                pieces.append(pretoken[i : i + size])
                i += size
                break
        else:
            pieces.append(None)
            i += 1
    return pieces


class SubwordVocabulary:
    """tokens[0] = OOV, then the specials (PAD; START, END on the target
    side), then the pieces; index = id."""

    def __init__(self, tokens):
        tokens = list(tokens)
        if not tokens or tokens[0] != OOV:
            raise ValueError(f"a vocabulary's first token must be the OOV token {OOV!r}")
        if len(set(tokens)) != len(tokens) or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("a subword vocabulary's tokens must be distinct non-empty strings")
        if any(len(t) > MAX_PIECE for t in tokens):
            raise ValueError(f"subword pieces hold at most {MAX_PIECE} characters")
        self.tokens = tokens
        self._ids = {t: i for i, t in enumerate(tokens)}

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

    def id(self, token):
        try:
            return self._ids[token]
        except KeyError:
            raise ValueError(f"token {token!r} is not in this vocabulary") from None

    def __len__(self):
        return len(self.tokens)

    def __eq__(self, other):
        return isinstance(other, SubwordVocabulary) and other.tokens == self.tokens

    def pieces(self, text):
        """The pieces of `text`; OOV stands for a character no piece covers."""
        if not isinstance(text, str):
            raise TypeError(f"encode() takes a str, got {type(text).__name__}")
        return [p or OOV for t in pretokenize(text) for p in greedy_pieces(t, self._ids)]

    def encode(self, text):
        return np.array([self._ids[p] for p in self.pieces(text)], np.int32)

    def decode(self, ids):
        ids = np.asarray(ids).reshape(-1)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.tokens)):
            raise ValueError(f"token ids must lie in [0, {len(self.tokens)}), got {ids}")
        return detokenize(self.tokens[i] for i in ids)


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
