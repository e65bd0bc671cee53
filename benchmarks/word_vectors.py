"""What the word vectors hold, and what they add to a classifier.

    python -m benchmarks.word_vectors quality [--model word2vec-en]
        [--plot docs/word-vectors-pca.png] [--projector DIR]
    python -m benchmarks.word_vectors warm-start [--model word2vec-en]
        [--seeds 3]

`quality`: analogy accuracy by group (training.metrics.word_analogies), the
nearest words of a few probes, the 2-D PCA projection of a few word groups
(numpy's SVD) and, with --projector, TensorBoard projector files.

`warm-start`: SST-2 sentence classifiers of the sentiment-sst2 recipe's
architecture, `TextClassifier(embeddings=...)` against Keras' random start,
trained on all 6,920 training sentences and on the first 500 of a seeded
shuffle; each keeps its best epoch by dev accuracy and is scored on the
whole test split (1,821 sentences). Mean and spread over seeds.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from training.core.recipe import load_recipe  # noqa: E402
from training.metrics import word_analogies  # noqa: E402
from training.tasks import sentiment  # noqa: E402
from zoo import registry  # noqa: E402
from zoo.models import TextClassifier  # noqa: E402
from zoo.words import WordVocabulary  # noqa: E402

PROBES = ("good", "boring", "dog", "beach", "father", "quickly", "actor", "red")
FIGURE_GROUPS = {
    "family": ("father", "mother", "brother", "sister", "son", "daughter"),
    "animals": ("dog", "cat", "horse", "bird", "cow", "fish"),
    "colours": ("red", "blue", "green", "yellow", "black", "white"),
    "verdicts": ("great", "excellent", "awful", "terrible", "boring", "dull"),
    "numbers": ("two", "three", "four", "five", "six", "ten"),
}  # fmt: skip
SUBSET = 500
EPOCHS = {"all": 6, SUBSET: 20}  # the few sentences need more passes to converge


def quality(args):
    model = registry.load_name_or_path(args.model)
    total, per_group, asked = word_analogies.analogy_accuracy(model)
    print(f"{args.model}: {len(model.vocabulary) - 2:,} words, {model.embedding_dim} wide\n")
    print(f"analogies (3CosAdd), {asked} of {len(word_analogies.ANALOGIES)} questions asked\n")
    print("| group | accuracy |\n|---|---:|")
    for group, share in per_group.items():
        print(f"| {group} | {share:.1%} |")
    print(f"| **all** | **{total:.1%}** |\n")
    print("| word | nearest five (cosine) |\n|---|---|")
    for word in PROBES:
        near = ", ".join(f"{w} ({c:.2f})" for w, c in model.nearest(word, 5))
        print(f"| {word} | {near} |")
    if args.plot:
        plot(model, args.plot)
    if args.projector:
        print("\nprojector files:", *model.write_projector(args.projector))


def projection(vectors):
    """The rows' coordinates on their first two principal axes."""
    centred = vectors - vectors.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    return centred @ axes[:2].T


def plot(model, path):
    import matplotlib.pyplot as plt

    from training.core.fit import save_figure

    words = [(g, w) for g, ws in FIGURE_GROUPS.items() for w in ws if w in model.vocabulary]
    units = np.stack([model.vector(w) / np.linalg.norm(model.vector(w)) for _, w in words])
    points = projection(units)
    fig, ax = plt.subplots(figsize=(8.0, 6.0))
    labels = label_heights(points, gap=0.03 * np.ptp(points[:, 1]))
    for group in FIGURE_GROUPS:
        mine = [i for i, (g, _) in enumerate(words) if g == group]
        dots = ax.scatter(points[mine, 0], points[mine, 1], s=18, label=group)
        for i in mine:
            ax.annotate(
                words[i][1],
                points[i],
                xytext=(points[i, 0] + 0.03, labels[i]),
                fontsize=9,
                va="center",
                color=dots.get_facecolor()[0],
                arrowprops={"arrowstyle": "-", "linewidth": 0.4, "color": "grey"},
            )
    ax.set_xlabel("first principal axis")
    ax.set_ylabel("second principal axis")
    ax.set_title("word2vec-en: unit vectors of five word groups, PCA")
    ax.legend(fontsize=8, loc="best")
    save_figure(fig, path)


def label_heights(points, gap, reach=0.25):
    """Each point's label height: its own, pushed up until it is `gap` above
    every lower label within `reach` to the side, so tight clusters stay
    legible (each label has a line to its point)."""
    heights = points[:, 1].copy()
    placed = []
    for i in np.argsort(points[:, 1], kind="stable"):
        for j in placed:
            if abs(points[i, 0] - points[j, 0]) < reach and heights[i] < heights[j] + gap:
                heights[i] = heights[j] + gap
        placed.append(i)
    return heights


def warm_start(args):
    recipe = load_recipe("sentiment-sst2")
    splits = sentiment.load_splits({**recipe["data"], "phrases": False})
    texts, labels = splits["train"]
    order = np.random.default_rng(0).permutation(len(texts))
    subsets = {"all": order, SUBSET: order[:SUBSET]}
    vectors = registry.load_name_or_path(args.model)
    print(
        f"SST-2, {recipe['model']['cell']} {recipe['model']['units']} x 2, best epoch by dev "
        f"accuracy, test accuracy over {len(splits['test'][0]):,} sentences, "
        f"seeds 0..{args.seeds - 1}\n"
    )
    print("| training sentences | start | test accuracy (mean) | min | max | epochs |")
    print("|---|---|---:|---:|---:|---:|")
    for size, rows in subsets.items():
        chosen = ([texts[i] for i in rows], labels[rows])
        for start in ("random", args.model):
            start_from = None if start == "random" else vectors
            scores = [
                trained_accuracy(recipe, chosen, splits, start_from, seed, EPOCHS[size])
                for seed in range(args.seeds)
            ]
            print(
                f"| {len(rows):,} | {start} | {np.mean(scores):.2%} | {min(scores):.2%} | "
                f"{max(scores):.2%} | {EPOCHS[size]} |",
                flush=True,
            )


def trained_accuracy(recipe, train, splits, vectors, seed, epochs):
    """Test accuracy at the best dev epoch of a classifier trained on `train`."""
    keras.utils.set_random_seed(seed)
    m = recipe["model"]
    vocabulary = WordVocabulary.from_texts(train[0], recipe["data"]["vocabulary_size"])
    model = TextClassifier(
        vocabulary.tokens,
        **{k: m[k] for k in ("cell", "units", "embedding_dim", "pooling", "attention_units")},
        **{k: m[k] for k in ("embedding_dropout", "dropout", "max_tokens", "head_tokens")},
        embeddings=vectors,
    )
    best, kept = -1.0, None
    for _ in range(epochs):
        model.fit(*train, batch_size=32, epochs=1, verbose=0)
        dev = sentiment.accuracy(model, *splits["validation"])
        if dev > best:
            best, kept = dev, model.get_weights()
    model.set_weights(kept)
    return sentiment.accuracy(model, *splits["test"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("quality", "warm-start"))
    parser.add_argument("--model", default="word2vec-en", help="a shipped name or package folder")
    parser.add_argument("--plot", help="quality: write the PCA figure here")
    parser.add_argument("--projector", help="quality: write vectors.tsv and metadata.tsv here")
    parser.add_argument("--seeds", type=int, default=3, help="warm-start: runs per setting")
    args = parser.parse_args()
    (quality if args.part == "quality" else warm_start)(args)


if __name__ == "__main__":
    main()
