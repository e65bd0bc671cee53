"""Training word vectors (`zoo.models.Word2Vec`, skip-gram with negative
sampling) on the English text of ../shared/data: IMDB train reviews, SST-2
train sentences, the English side of the Anki translator's training pairs
and the Flickr8k training captions. Never a test split: the vocabulary, the
counts and the pairs all come from the training parts, and validation
(what keeps the best epoch) from their validation parts.

Sentences are tokenised by the text classifiers' contract (zoo.words), so
a classifier can start from the vectors (`TextClassifier(embeddings=...)`).
Each epoch's examples are drawn by training.data.skipgrams from (seed,
epoch), so a resumed run sees the same batches."""

from pathlib import Path

import numpy as np
import tensorflow as tf

from training.core import fit as fitting
from training.core import held_out, packaging, runner
from training.core.recipe import load_recipe, with_epochs
from training.data import features, skipgrams, text_data, translation
from training.metrics import word_analogies
from training.tasks import caption, sentiment
from zoo.models.word2vec import Word2Vec
from zoo.words import WordVocabulary, tokenize

# Every key a word-vectors recipe may set, with its default.
DEFAULTS = {
    "name": None,
    "task": "word-vectors",
    "description": "",
    "data": {
        "sources": ["imdb", "sst2", "anki", "flickr8k"],
        "vocabulary_size": 20000,
        "min_count": 5,
        "window": 5,  # the widest window; each centre draws its own from 1..window
        "negatives": 5,  # noise words per (centre, context) pair
        "sample": 1e-4,  # subsampling threshold t (Mikolov et al. 2013)
        "batch_size": 4096,
        "seed": 0,
    },
    "model": {"embedding_dim": 128},
    "train": {
        "epochs": 5,
        "learning_rate": 2e-3,
        "final_learning_rate": 1e-4,
        "clipnorm": 1.0,
        "seed": 0,
        "patience": 0,
    },
}

SOURCES = {
    "imdb": "Large Movie Review Dataset (IMDB), Maas et al. 2011: the 25,000 train reviews "
    "(research use; cite Maas et al., ACL 2011)",
    "sst2": "Stanford Sentiment Treebank SST-2, Socher et al. 2013: the 6,920 train sentences "
    "(research use; cite Socher et al., EMNLP 2013)",
    "anki": "Tatoeba / manythings.org Anki spa-eng: the English side of the translator's "
    "training pairs, each sentence once, none that a test pair holds (CC BY 2.0 FR)",
    "flickr8k": "Flickr8k, Hodosh et al. 2013: the captions of the 6,000 training images "
    "(research use; cite Hodosh et al., JAIR 2013)",
}
# Which of a source's splits validation reads (IMDB has no validation
# split: its held-out share of train, as the IMDB classifier holds it out).
PARTS = ("train", "validation")


def corpus(sources, data_dir=None):
    """{"train": [texts], "validation": [texts]} and {source: {part: count}}."""
    texts = {part: [] for part in PARTS}
    counts = {}
    for source in sources:
        if source not in SOURCES:
            raise ValueError(f"unknown word-vectors source {source!r}; known: {sorted(SOURCES)}")
        found = READERS[source](data_dir)
        counts[source] = {part: len(found[part]) for part in PARTS}
        for part in PARTS:
            texts[part] += found[part]
    return texts, counts


def _imdb(data_dir):
    root = text_data.data_dir(data_dir)
    train = sentiment.read_csv(root / sentiment.DATASETS["imdb"]["files"]["train"])
    kept, held = sentiment.hold_out(*train, sentiment.DEFAULTS["data"]["seed"])
    return {"train": kept[0], "validation": held[0]}


def _sst2(data_dir):
    root = text_data.data_dir(data_dir)
    files = sentiment.DATASETS["sst2"]["files"]
    return {part: sentiment.read_csv(root / files[part])[0] for part in PARTS}


def _anki(data_dir):
    d = load_recipe("translate-spa-eng")["data"]
    path = text_data.data_dir(data_dir) / d["file"]
    splits = translation.anki_splits(path, d["from_english"], d["test_sources"], d["seed"])
    side = 0 if d["from_english"] else 1
    english = {part: list(dict.fromkeys(p[side] for p in splits[part])) for part in splits}
    tested = set(english["test"])
    return {part: [s for s in english[part] if s not in tested] for part in PARTS}


def _flickr8k(data_dir):
    root = text_data.data_dir(data_dir) / "flickr8k"
    captions = caption.read_captions(root / "captions.csv.gz")
    names = {"train": "train", "validation": "dev"}
    return {
        part: [c for n in features.split_names(root, names[part]) for c in captions[n]]
        for part in PARTS
    }


READERS = {"imdb": _imdb, "sst2": _sst2, "anki": _anki, "flickr8k": _flickr8k}


class Prepared:
    """The corpus, its vocabulary and word counts, and each sentence's
    in-vocabulary ids (OOV tokens dropped, as word2vec.c drops them)."""

    def __init__(self, recipe, data_dir=None, epochs=None):
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        d = self.recipe["data"]
        self.texts, self.source_counts = corpus(d["sources"], data_dir)
        tokens = {part: [tokenize(t) for t in texts] for part, texts in self.texts.items()}
        self.vocabulary = WordVocabulary.from_tokens(
            tokens["train"], d["vocabulary_size"], d["min_count"]
        )
        self.ids = {part: self._known(lists) for part, lists in tokens.items()}
        self.counts = np.bincount(np.concatenate(self.ids["train"]), minlength=len(self.vocabulary))
        self.tokens = {part: sum(map(len, lists)) for part, lists in tokens.items()}
        # Every epoch holds this many batches: a little under what epoch 0
        # yields, as the drawn windows and subsampling vary the count.
        pairs = len(self.examples("train", 0)[0])
        self.steps = int(0.97 * pairs) // d["batch_size"]

    def _known(self, token_lists):
        out = []
        for tokens in token_lists:
            ids = self.vocabulary.ids(tokens)
            out.append(ids[ids >= 2])
        return out

    def examples(self, part, epoch):
        d = self.recipe["data"]
        seed = d["seed"] + (0 if part == "train" else 1)
        return skipgrams.examples(
            self.ids[part], self.counts, d["window"], d["negatives"], d["sample"], seed, epoch
        )


def labelled(centres, candidates):
    """((centres, candidates), labels): 1 for each row's true context (the
    first candidate), 0 for its noise words."""
    labels = np.zeros(candidates.shape, np.float32)
    labels[:, 0] = 1.0
    return (centres, candidates), labels


def batches(data, start_epoch=0):
    """steps batches per epoch, epochs from start_epoch on."""
    d = data.recipe["data"]
    size, steps = d["batch_size"], data.steps
    spec = (
        (tf.TensorSpec((size,), tf.int32), tf.TensorSpec((size, 1 + d["negatives"]), tf.int32)),
        tf.TensorSpec((size, 1 + d["negatives"]), tf.float32),
    )

    def epochs():
        for epoch in range(start_epoch, data.epochs):
            centres, candidates = data.examples("train", epoch)
            if len(centres) < steps * size:
                raise RuntimeError(f"epoch {epoch} drew too few pairs for {steps} batches")
            for i in range(0, steps * size, size):
                yield labelled(centres[i : i + size], candidates[i : i + size])

    return tf.data.Dataset.from_generator(epochs, output_signature=spec).prefetch(4)


def validation_batches(data):
    inputs, labels = labelled(*data.examples("validation", 0))
    found = tf.data.Dataset.from_tensor_slices((inputs, labels))
    return found.batch(data.recipe["data"]["batch_size"])


def new_model(recipe, vocabulary):
    model = Word2Vec(vocabulary.tokens, recipe["model"]["embedding_dim"])
    model.build()
    return model


def build_model(data):
    model = new_model(data.recipe, data.vocabulary)
    model.compile(
        optimizer=fitting.cosine_adam(data.recipe["train"], data.steps),
        loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def train(recipe, run_dir, data_dir=None, epochs=None, **options):
    """Train `recipe` in `run_dir` (resumable); write the package of the
    centre vectors (`runner.run_prepared`'s options). -> (model, card)"""
    data = Prepared(recipe, data_dir, epochs)
    return runner.run_prepared(
        data,
        build_model,
        pipelines,
        model_card,
        run_dir,
        unit="sigmoid cross-entropy per candidate",
        packaged=lambda model: model.without_contexts(),
        **options,
    )


def pipelines(data, start_epoch):
    """(training batches from start_epoch on, validation batches)."""
    return batches(data, start_epoch), validation_batches(data)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights; no training."""
    data = Prepared(recipe, data_dir, epochs)
    model = new_model(data.recipe, data.vocabulary)
    model.load_weights(Path(run_dir) / fitting.BEST)
    shipped = model.without_contexts()
    card = model_card(data, shipped, fitting.read_history(run_dir), "none", False)
    return shipped, packaging.write_package(shipped, card, run_dir, publish_to)


def model_card(data, model, history, distribute, mixed_precision):
    card = packaging.common_card(
        data.recipe, model, history, data.steps, distribute, mixed_precision
    )
    return {
        **card,
        "dataset": {
            "name": "English text of Zoo's data sets, training parts only",
            "sources": {s: SOURCES[s] for s in data.recipe["data"]["sources"]},
            "texts": data.source_counts,
            "tokens": data.tokens,
            "split_rule": "train: each set's training split (IMDB: less the 2,500 reviews the "
            "IMDB classifier holds out); validation: SST-2 dev, the translator's validation "
            "pairs, Flickr8k dev captions and those 2,500 reviews; no test split is read",
        },
        "metrics": word_analogies.card_metrics(model),
        "tokenisation": "zoo.words, the text classifiers' contract (ASCII lower case, n't "
        "split, word / clitic / punctuation tokens)",
        "architecture": {
            "class": "zoo.models.Word2Vec",
            "embedding_dim": model.embedding_dim,
            "vocabulary_size": len(model.vocabulary),
            "objective": "skip-gram with negative sampling (Mikolov et al. 2013)",
        },
    }


def summary(card):
    m = card["metrics"]
    asked = m["analogy_questions"]
    return f"{card['name']}: analogy accuracy {m['analogy_accuracy']:.4f} ({asked} questions)"


def held_out_judge(model, recipe, data_dir=None):
    """The int8 gate's measure: accuracy in % on the hand-written analogy
    questions (training.metrics.word_analogies), which no split holds."""
    return held_out.Judge(
        f"the {len(word_analogies.ANALOGIES)} hand-written analogy questions",
        {"analogy_accuracy": (True, held_out.POINTS)},
        lambda m: {"analogy_accuracy": 100 * word_analogies.analogy_accuracy(m)[0]},
    )
