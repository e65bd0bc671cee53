"""The SavedModel's in-graph n-gram blocking (exports.graphs.sampling)
against zoo_runtime.search.NgramBlock, the definition Keras and the apps
use, on random rows that each grow at their own pace."""

import numpy as np
import pytest
import tensorflow as tf

from exports.graphs.sampling import ngram_add, ngram_banned, ngram_rows
from zoo_runtime.search import NgramBlock


@pytest.mark.parametrize("vocab", [2, 3, 6])
def test_graph_blocking_bans_what_ngram_block_bans(vocab):
    rng = np.random.default_rng(vocab)
    sizes = np.array([0, 1, 2, 3, 5, 8], np.int32)  # one n per row
    steps = 40
    rows = ngram_rows(len(sizes), steps)
    blocks = [NgramBlock(int(n)) for n in sizes]
    for _ in range(steps):
        banned = ngram_banned(rows, tf.constant(sizes), vocab).numpy()
        for row, block in zip(banned, blocks, strict=True):
            assert set(np.flatnonzero(row)) == set(block.banned())
        token = rng.integers(0, vocab, len(sizes)).astype(np.int32)
        active = rng.random(len(sizes)) < 0.7
        rows = ngram_add(rows, tf.constant(token), tf.constant(active))
        for t, on, block in zip(token, active, blocks, strict=True):
            if on:
                block.add(t)
    assert rows[2].numpy().tolist() == [len(b.tokens) for b in blocks]
    assert any(len(b.banned()) for b in blocks[1:])  # the rows did repeat themselves
