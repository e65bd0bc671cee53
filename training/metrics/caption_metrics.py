"""Caption metrics as the COCO caption evaluation computes them
(pycocoevalcap's BLEU and CIDEr-D; tests check the figures agree):

- BLEU-1..4: corpus n-gram precision clipped by the most any one reference
  holds, the geometric mean up to n, and a brevity penalty against each
  caption's closest reference length (ties: the shorter).
- CIDEr-D: per image, the mean over n = 1..4 and over its references of
  the cosine of tf-idf n-gram vectors, the candidate's counts clipped by
  the reference's, times a Gaussian penalty on the length difference
  (sigma 6), times 10. Document frequencies come from the evaluated set's
  references; as in pycocoevalcap, "length" counts bigrams.

Text is lower-cased and split by zoo.words' tokenisation, and punctuation
tokens are dropped, close to the PTB tokenizer (Java) that COCO runs first.
"""

import math
from collections import Counter

import numpy as np

from zoo import words

N = 4
SIGMA = 6.0
DESCRIPTION = (
    "BLEU-1..4 and CIDEr-D as pycocoevalcap computes them (closest reference length; "
    "CIDEr-D with sigma 6, x10, document frequencies over the test references), over "
    "zoo.words tokens without punctuation, against every human caption of each image"
)


def tokens(text):
    return [t for t in words.tokenize(text) if not all(c in PUNCT for c in t)]


PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def ngrams(toks, n=N):
    return Counter(
        tuple(toks[i : i + k]) for k in range(1, n + 1) for i in range(len(toks) - k + 1)
    )


def bleu(candidates, references, n=N):
    """[BLEU-1, ..., BLEU-n] of candidate token lists against lists of
    reference token lists (corpus level)."""
    guess, correct = [0] * n, [0] * n
    test_len = ref_len = 0
    for cand, refs in zip(candidates, references, strict=True):
        most = Counter()
        for ref in refs:
            most |= ngrams(ref, n)
        for gram, count in ngrams(cand, n).items():
            correct[len(gram) - 1] += min(most[gram], count)
        for k in range(n):
            guess[k] += max(0, len(cand) - k)
        test_len += len(cand)
        ref_len += min((abs(len(r) - len(cand)), len(r)) for r in refs)[1]
    scores, product = [], 1.0
    for k in range(n):
        product *= (correct[k] + 1e-15) / (guess[k] + 1e-9)
        scores.append(product ** (1 / (k + 1)))
    ratio = (test_len + 1e-15) / (ref_len + 1e-9)
    penalty = math.exp(1 - 1 / ratio) if ratio < 1 else 1.0
    return [s * penalty for s in scores]


class Cider:
    """CIDEr-D with document frequencies from `references` (one list of
    token lists per image)."""

    def __init__(self, references, n=N):
        self.n = n
        self.frequency = Counter()
        for refs in references:
            self.frequency.update({g for ref in refs for g in ngrams(ref, n)})
        self.log_images = math.log(float(len(references)))

    def vector(self, toks):
        """(tf-idf dicts per n, their norms, the bigram count)."""
        vec = [{} for _ in range(self.n)]
        for gram, tf in ngrams(toks, self.n).items():
            df = math.log(max(1.0, self.frequency[gram]))
            vec[len(gram) - 1][gram] = tf * (self.log_images - df)
        norms = [math.sqrt(sum(v * v for v in part.values())) for part in vec]
        return vec, norms, max(0, len(toks) - 1)

    def similarity(self, a, b):
        (va, na, la), (vb, nb, lb) = a, b
        penalty = math.exp(-((la - lb) ** 2) / (2 * SIGMA**2))
        out = np.zeros(self.n)
        for k in range(self.n):
            out[k] = sum(min(v, vb[k].get(g, 0.0)) * vb[k].get(g, 0.0) for g, v in va[k].items())
            if na[k] and nb[k]:
                out[k] /= na[k] * nb[k]
        return out * penalty

    def score(self, cand, refs):
        """One image's CIDEr-D."""
        vec = self.vector(cand)
        total = sum(self.similarity(vec, self.vector(r)) for r in refs)
        return float(np.mean(total) / len(refs) * 10.0)


def cider(candidates, references):
    """Mean CIDEr-D over images, and the per-image scores."""
    scorer = Cider(references)
    each = [scorer.score(c, r) for c, r in zip(candidates, references, strict=True)]
    return float(np.mean(each)), each


def scores(captions, references):
    """{bleu1..bleu4, cider} x 100 (as papers print them) of caption
    strings against lists of reference strings."""
    cands = [tokens(c) for c in captions]
    refs = [[tokens(r) for r in rs] for rs in references]
    out = {f"bleu{k + 1}": round(100 * b, 2) for k, b in enumerate(bleu(cands, refs))}
    out["cider"] = round(100 * cider(cands, refs)[0], 2)
    return out
