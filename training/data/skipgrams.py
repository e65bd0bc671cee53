"""Skip-gram examples with negative sampling, for word2vec (Mikolov et al.
2013, "Distributed Representations of Words and Phrases and their
Compositionality"): each kept token is a centre word, the tokens around it
within a window are its contexts, and each (centre, context) pair comes
with `negatives` noise words drawn from the unigram distribution raised to
the 3/4 power.

Frequent words are subsampled first: a token of word w is kept with
probability min(1, sqrt(t / f(w))), f(w) being w's share of all tokens
(the paper's rule, t = `sample`). The window around each centre has a size
drawn from 1..`window` (as word2vec.c does), so near words count more.
Out-of-vocabulary tokens are dropped before windows are cut, also as
word2vec.c does. Everything is drawn from one numpy Generator, keyed by
(seed, epoch), so an epoch's examples are reproducible.
"""

import numpy as np

NOISE_POWER = 0.75


def keep_probability(counts, sample):
    """(V,) the chance each id's tokens survive subsampling; 0 where a
    word never occurs."""
    counts = np.asarray(counts, np.float64)
    share = counts / counts.sum()
    with np.errstate(divide="ignore"):
        keep = np.sqrt(sample / share)
    return np.where(counts > 0, np.minimum(keep, 1.0), 0.0)


def noise_distribution(counts):
    """(V,) the negatives' distribution: count ** 0.75, normalised."""
    weights = np.asarray(counts, np.float64) ** NOISE_POWER
    return weights / weights.sum()


def pairs(sentences, window, rng, keep=None):
    """(centres, contexts) int32 arrays of every skip-gram pair of
    `sentences` (lists of in-vocabulary ids): each token, if kept (`keep`:
    per-id keep probabilities; None keeps all), pairs with the kept tokens
    up to a window drawn from 1..window on each side."""
    centres, contexts = [], []
    for ids in sentences:
        ids = np.asarray(ids, np.int64)
        if keep is not None:
            ids = ids[rng.random(len(ids)) < keep[ids]]
        n = len(ids)
        if n < 2:
            continue
        spans = rng.integers(1, window + 1, size=n)
        for offset in range(1, min(window, n - 1) + 1):  # no pair lies further apart
            near = spans >= offset  # centres whose window reaches this far
            left = np.nonzero(near[offset:])[0] + offset  # centre i, context i - offset
            right = np.nonzero(near[: n - offset])[0]  # centre i, context i + offset
            centres += [ids[left], ids[right]]
            contexts += [ids[left - offset], ids[right + offset]]
    if not centres:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(centres).astype(np.int32), np.concatenate(contexts).astype(np.int32)


def examples(sentences, counts, window, negatives, sample, seed, epoch):
    """One epoch's shuffled examples: centres (N,), and candidates
    (N, 1 + negatives) whose first column is the true context and the rest
    noise words; a model learns label 1 for the first, 0 for the others."""
    rng = np.random.default_rng([seed, epoch])
    centre, context = pairs(sentences, window, rng, keep_probability(counts, sample))
    noise = rng.choice(len(counts), size=(len(centre), negatives), p=noise_distribution(counts))
    order = rng.permutation(len(centre))
    candidates = np.concatenate([context[:, None], noise.astype(np.int32)], axis=1)
    return centre[order], candidates[order]
