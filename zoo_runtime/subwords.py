"""Subword tokenisation: the contract every translation model carries,
written as four regex rewrites and one greedy match so that Python's `re`,
TensorFlow's RE2 (inside SavedModels) and JavaScript give the same pieces,
hence the same ids. This module is its one Python implementation
(zoo.subwords learns vocabularies on it; apps read it from zoo.json); the
SavedModel's RE2 twin is exports.text_ops.GraphSubwords.

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
single spaces round-trips exactly.
"""

import re

import numpy as np

from zoo_runtime.chars import OOV
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
RULE = (
    "separator runs -> one space; prepend one space; apply rewrites in order "
    "(RE2 / JavaScript patterns); split at mark, dropping empty strings; split each "
    "pre-token into the longest vocabulary piece (at most max_piece characters) from its "
    "start, then from where it ended...; a character no piece covers -> oov. Output: "
    "join the pieces, space -> ' ', strip spaces at both ends"
)


def spec():
    """zoo.json's `tokenisation` of a subword translator."""
    return {
        "kind": "subwords",
        "separators": SEPARATORS,
        "rewrites": [list(r) for r in REWRITES],
        "mark": MARK,
        "space": SPACE,
        "max_piece": MAX_PIECE,
        "rule": RULE,
    }


class Subwords:
    """A `tokenisation` spec (kind "subwords") over one vocabulary, whose
    token 0 is OOV."""

    def __init__(self, spec, vocabulary):
        self.separators = re.compile(f"[{python_pattern(spec['separators'])}]+")
        self.rewrites = [
            (re.compile(python_pattern(p)), r.replace("\\1", "\\g<1>")) for p, r in spec["rewrites"]
        ]
        self.mark, self.space, self.max_piece = spec["mark"], spec["space"], spec["max_piece"]
        self.vocabulary = list(vocabulary)
        self.ids = {t: i for i, t in enumerate(self.vocabulary)}

    def pretokens(self, text):
        """The pre-tokens of `text`, SPACE-marked."""
        text = " " + self.separators.sub(" ", text)
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        return [t for t in text.split(self.mark) if t]

    def pieces(self, text):
        """The pieces of `text`; OOV stands for a character no piece covers."""
        return [
            piece or OOV
            for pretoken in self.pretokens(text)
            for piece in greedy_pieces(pretoken, self.ids, self.max_piece)
        ]

    def encode(self, text):
        """int32 ids: the longest known piece first; uncovered characters -> 0 (OOV)."""
        return np.array([self.ids.get(p, 0) for p in self.pieces(text)], np.int32)

    def decode(self, ids):
        joined = "".join(self.vocabulary[i] for i in ids)
        return joined.replace(self.space, " ").strip(" ")


def greedy_pieces(pretoken, known, max_piece=MAX_PIECE):
    """Longest known piece first; an uncovered character is None (OOV)."""
    pieces, i = [], 0
    while i < len(pretoken):
        for size in range(min(max_piece, len(pretoken) - i), 0, -1):
            if pretoken[i : i + size] in known:
                pieces.append(pretoken[i : i + size])
                i += size
                break
        else:
            pieces.append(None)
            i += 1
    return pieces


def detokenize(pieces):
    return "".join(pieces).replace(SPACE, " ").strip(" ")


# The contract's pre-tokens with no vocabulary: for learning vocabularies.
pretokenize = Subwords(spec(), [OOV]).pretokens
