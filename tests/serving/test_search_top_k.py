"""zoo_runtime.search.top_k_indices, the numpy beam search's selection:
exactly a stable argsort's first k (largest first, ties to the lowest
index, as zoo.decoding's top_k), on rows full of ties."""

import numpy as np
import pytest

from zoo_runtime.search import top_k_indices


@pytest.mark.parametrize("seed", range(4))
def test_top_k_is_a_stable_argsorts_first_k(seed):
    rng = np.random.default_rng(seed)
    for _ in range(100):
        batch, width = int(rng.integers(1, 6)), int(rng.integers(1, 80))
        k = int(rng.integers(1, width + 1))
        values = rng.integers(-3, 3, size=(batch, width)).astype(np.float32)  # many ties
        if rng.random() < 0.3:
            values[:, : width // 2] = -1e9  # finished beams' ruled-out continuations
        if rng.random() < 0.3:
            values = rng.normal(size=(batch, width)).astype(np.float32)
        want = np.argsort(-values, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(top_k_indices(values, k), want)
