"""The nearest-neighbour captioning baseline (Devlin et al. 2015): a test
image borrows a caption of its most similar training images, by pooled
VGG19 features, chosen by consensus among their captions.

Similarity is the cosine of the mean conv5_4 region vector. The captions
of the `k` nearest training images are the candidates; the one with the
highest mean CIDEr-D against the others (document frequencies from all
training captions) is the answer: the caption the neighbourhood agrees on,
not an outlier of the nearest image.
"""

import numpy as np

from training.metrics import caption_metrics

K = 10


def pooled(table, names):
    """L2-normalised mean region vectors (N, 512)."""
    vectors = np.stack([np.asarray(table[n], np.float32).mean(axis=0) for n in names])
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class Retrieval:
    def __init__(self, table, train_images, train_captions, k=K):
        self.k = k
        self.vectors = pooled(table, train_images)
        self.captions = train_captions
        self.tokens = [[caption_metrics.tokens(c) for c in cs] for cs in train_captions]
        self.scorer = caption_metrics.Cider(self.tokens)

    def caption(self, table, images):
        """One borrowed caption per image (names in `table`)."""
        nearest = np.argsort(-(pooled(table, images) @ self.vectors.T), axis=1)[:, : self.k]
        return [self.consensus(row) for row in nearest]

    def consensus(self, neighbours):
        texts = [c for i in neighbours for c in self.captions[i]]
        vectors = [self.scorer.vector(t) for i in neighbours for t in self.tokens[i]]
        best, best_score = 0, -1.0
        for i, vec in enumerate(vectors):
            score = sum(
                self.scorer.similarity(vec, other).mean()
                for j, other in enumerate(vectors)
                if j != i
            )
            if score > best_score:
                best, best_score = i, score
        return texts[best]
