"""Word tokenisation: the contract every text classifier carries, written
so that Python's `re`, TensorFlow's RE2 (inside SavedModels) and JavaScript
give the same tokens, hence the same ids. This module is its one Python
implementation (zoo.words builds vocabularies on it; apps read it from
zoo.json); the SavedModel's RE2 twin is exports.text_ops.GraphWords.

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

PAD, OOV = "\ue000", "\ufffd"
PAD_ID, OOV_ID = 0, 1
WORD = "a-z0-9\\x{80}-\\x{10FFFF}"  # RE2 / JavaScript (u flag) spelling
PUNCTUATION = "!-/:-@\\[-`{-~"  # ASCII 0x21-0x2F, 0x3A-0x40, 0x5B-0x60, 0x7B-0x7E
TOKEN = f"n't|'[{WORD}]+|[{WORD}]+|[{PUNCTUATION}]"
# After ASCII lower-casing, these (pattern, replacement) pairs in order.
REWRITES = (("<br */?>", " "), ("[\u2018\u2019]", "'"), ("n't", " n't"))
SEPARATORS = "[\\x00-\\x20\\x7f]+"  # what no token holds
LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
STEPS = (
    "lower-case ASCII A-Z; apply `rewrites` in order (regex, replacement); tokens = every "
    "match of `token`, left to right; over max_tokens tokens keep the first head_tokens and "
    "the last max_tokens - head_tokens; id = index in word_vocabulary, 1 (oov) if absent or a "
    "special, 0 pads; a text without tokens is refused"
)


def python_pattern(pattern):
    """zoo.json's RE2 / JavaScript pattern in Python's spelling."""
    return re.sub(r"\\x\{([0-9A-Fa-f]+)\}", lambda m: re.escape(chr(int(m[1], 16))), pattern)


def contract(vocabulary, max_tokens, head_tokens):
    """What zoo.json says of a classifier's tokenisation: an app needs
    nothing else to give the model's ids."""
    return {
        "word_vocabulary": list(vocabulary),
        "tokenisation": {
            "steps": STEPS,
            "rewrites": [list(r) for r in REWRITES],
            "token": TOKEN,
            "regex_syntax": "RE2 / JavaScript (u flag); \\x{HHHH} is a code point",
            "max_tokens": max_tokens,
            "head_tokens": head_tokens,
            "pad_id": PAD_ID,
            "oov_id": OOV_ID,
        },
    }


def truncate(items, max_tokens, head_tokens):
    """The first head_tokens and last max_tokens - head_tokens of `items`
    when there are more than max_tokens."""
    if len(items) <= max_tokens:
        return items
    tail = max_tokens - head_tokens
    return items[:head_tokens] + (items[-tail:] if tail else items[:0])


class Tokenizer:
    """Texts -> ids as a classifier reads them, from its contract (zoo.json)."""

    def __init__(self, contract):
        spec = contract["tokenisation"]
        self.rewrites = [(re.compile(python_pattern(p)), r) for p, r in spec["rewrites"]]
        self.token = re.compile(python_pattern(spec["token"]))
        self.max_tokens, self.head_tokens = spec["max_tokens"], spec["head_tokens"]
        self.pad_id, self.oov_id = spec["pad_id"], spec["oov_id"]
        vocabulary = contract["word_vocabulary"]
        specials = {self.pad_id, self.oov_id}
        self.ids = {t: i for i, t in enumerate(vocabulary) if i not in specials}

    def split(self, text):
        """Every token of `text`, before truncation."""
        text = text.translate(LOWER)
        for pattern, replacement in self.rewrites:
            text = pattern.sub(replacement, text)
        return self.token.findall(text)

    def tokens(self, text):
        return truncate(self.split(text), self.max_tokens, self.head_tokens)

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


# The contract's tokens with no vocabulary: for building vocabularies.
tokenize = Tokenizer(contract([PAD, OOV], 1, 1)).split
