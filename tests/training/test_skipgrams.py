"""Word2Vec's examples (training.data.skipgrams) against counts made by
hand on tiny corpora: the pairs a window makes, the subsampling rule, the
noise distribution, and reproducible epochs."""

import numpy as np

from training.data import skipgrams


class FixedWindow:
    """A stand-in Generator whose windows are all `window` and which keeps
    every token: what the hand counts below assume."""

    def __init__(self, window):
        self.window = window

    def integers(self, low, high, size):
        return np.full(size, self.window)

    def random(self, size):
        return np.zeros(size)


def test_pairs_are_the_hand_counted_ones():
    # "the cat sat" as ids 2 3 4, window 1: (3, 2), (2, 3), (4, 3), (3, 4).
    centres, contexts = skipgrams.pairs([[2, 3, 4]], 1, FixedWindow(1))
    assert sorted(zip(centres.tolist(), contexts.tolist(), strict=True)) == [
        (2, 3),
        (3, 2),
        (3, 4),
        (4, 3),
    ]
    # Window 2 over five tokens: each token pairs with all within 2, so
    # 2 * (4 + 3) = 14 pairs; sentences never share a window.
    centres, contexts = skipgrams.pairs([[2, 3, 4, 5, 6], [7, 8]], 2, FixedWindow(2))
    got = sorted(zip(centres.tolist(), contexts.tolist(), strict=True))
    want = sorted(
        (a, b)
        for row in ([2, 3, 4, 5, 6], [7, 8])
        for i, a in enumerate(row)
        for j, b in enumerate(row)
        if i != j and abs(i - j) <= 2
    )
    assert got == want and len(got) == 14 + 2
    assert skipgrams.pairs([[5]], 3, FixedWindow(3))[0].size == 0  # one word: no pair
    # A window wider than the sentence reaches its ends and no further.
    short = skipgrams.pairs([[7, 8], [2, 3, 4]], 5, FixedWindow(5))
    assert sorted(zip(*(x.tolist() for x in short), strict=True)) == [
        (2, 3), (2, 4), (3, 2), (3, 4), (4, 2), (4, 3), (7, 8), (8, 7),
    ]  # fmt: skip


def test_windows_are_drawn_from_one_to_the_window():
    rng = np.random.default_rng(0)
    centres, contexts = skipgrams.pairs([list(range(2, 2002))], 5, rng)
    distance = np.abs(centres.astype(int) - contexts)
    counts = np.bincount(distance, minlength=6)[1:]
    # P(distance d is in the window) = (5 - d + 1) / 5: 5 : 4 : 3 : 2 : 1.
    np.testing.assert_allclose(counts / counts[0], [1, 0.8, 0.6, 0.4, 0.2], atol=0.05)


def test_subsampling_keeps_sqrt_of_t_over_f():
    counts = np.array([0, 0, 9000, 900, 90, 10])  # shares 0.9, 0.09, 0.009, 0.001
    keep = skipgrams.keep_probability(counts, sample=1e-3)
    want = [0, 0, np.sqrt(1e-3 / 0.9), np.sqrt(1e-3 / 0.09), np.sqrt(1e-3 / 0.009), 1.0]
    np.testing.assert_allclose(keep, want)
    rng = np.random.default_rng(1)
    corpus = [[2] * 9000 + [3] * 900]
    kept = skipgrams.pairs(corpus, 1, rng, keep)  # pairs of the kept tokens only
    assert kept[0].size < 2 * (9000 * keep[2] + 900 * keep[3]) * 1.1


def test_noise_follows_the_three_quarter_power():
    counts = np.array([0, 0, 16, 1, 81])
    noise = skipgrams.noise_distribution(counts)
    np.testing.assert_allclose(noise, np.array([0, 0, 8, 1, 27]) / 36)
    centres, candidates = skipgrams.examples([[2, 3, 4] * 400], counts, 2, 5, 1.0, 0, 0)
    drawn = np.bincount(candidates[:, 1:].ravel(), minlength=5) / candidates[:, 1:].size
    np.testing.assert_allclose(drawn, noise, atol=0.01)
    # The first candidate is each centre's true context: a neighbour within 2.
    assert candidates.shape == (len(centres), 6)
    again = skipgrams.examples([[2, 3, 4] * 400], counts, 2, 5, 1.0, 0, 0)
    np.testing.assert_array_equal(again[1], candidates)  # one (seed, epoch), one epoch
    other = skipgrams.examples([[2, 3, 4] * 400], counts, 2, 5, 1.0, 0, 1)
    assert not np.array_equal(other[1][:50], candidates[:50])
