"""Training character language models (`zoo.models.CharLM`) from a recipe,
and writing the result as a model package with its card."""

import math

import keras

from training.core import fit as fitting
from training.core import packaging
from training.core.recipe import with_epochs
from training.data import text_data
from zoo.models import CharLM
from zoo_runtime.chars import CharVocabulary

# Every key a char-LM recipe may set, with its default.
DEFAULTS = {
    "name": None,
    "task": "char-lm",
    "description": "",
    "data": {
        "source": "file",
        "file": "tinyshakespeare.txt",
        "seq_len": 100,
        "batch_size": 64,
    },
    "model": {
        "cell": "lstm",
        "units": 256,
        "num_layers": 1,
        "embedding_dim": 64,
        "cell_options": {},
    },
    "train": {
        "epochs": 20,
        "learning_rate": 2e-3,
        "final_learning_rate": 2e-4,
        "clipnorm": 1.0,
        "seed": 0,
    },
}


def corpus_path(data, data_dir):
    """The corpus file for source "file"; TFDS' download folder (None =
    its default) for source "tfds"."""
    if data["source"] == "tfds":
        return data_dir
    return text_data.data_dir(data_dir) / data["file"]


def new_model(recipe, vocabulary):
    m = recipe["model"]
    model = CharLM(
        vocabulary.tokens,
        cell=m["cell"],
        units=m["units"],
        num_layers=m["num_layers"],
        embedding_dim=m["embedding_dim"],
        cell_options=m["cell_options"],
    )
    model.build()
    return model


def build_model(recipe, vocabulary, steps_per_epoch):
    """A compiled CharLM: Adam with cosine learning-rate decay over the
    whole run and gradient-norm clipping."""
    t = recipe["train"]
    model = new_model(recipe, vocabulary)
    model.compile(
        optimizer=fitting.cosine_adam(t, steps_per_epoch),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def train(
    recipe,
    run_dir,
    data_dir=None,
    epochs=None,
    distribute="none",
    mixed_precision=False,
    publish_to=None,
    verbose=1,
    callbacks=(),
):
    """Train `recipe` in `run_dir` (resuming if a backup is there); write
    the package to run_dir/model (and to `publish_to`). Returns (model, card)."""
    data = Prepared(recipe, data_dir, epochs)
    d, t = recipe["data"], recipe["train"]
    model, strategy = fitting.seeded_build(
        t["seed"],
        mixed_precision,
        distribute,
        lambda: build_model(data.recipe, data.vocabulary, data.steps),
    )
    batches = text_data.training_batches(
        data.ids["train"],
        d["seq_len"],
        d["batch_size"],
        t["seed"],
        data.epochs,
        start_epoch=fitting.resume_epoch(run_dir),
    )
    validation = text_data.evaluation_batches(data.ids["validation"], d["seq_len"], d["batch_size"])
    history = fitting.fit(
        model,
        batches,
        validation,
        run_dir,
        data.epochs,
        data.steps,
        verbose,
        callbacks,
        unit="nats/char",
    )
    return packaging.finish_run(
        model, data, model_card, history, strategy, run_dir, publish_to, distribute, mixed_precision
    )


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """Write the package of a finished run from its best weights and
    history, without training (e.g. after changing what a card holds)."""
    data = Prepared(recipe, data_dir, epochs)
    return packaging.package_prepared(
        new_model(data.recipe, data.vocabulary), data, model_card, run_dir, publish_to
    )


class Prepared:
    """A recipe's corpus, vocabulary, token ids per split and step counts."""

    def __init__(self, recipe, data_dir, epochs):
        d = recipe["data"]
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        self.corpus = text_data.load_corpus(d["source"], corpus_path(d, data_dir))
        self.vocabulary = CharVocabulary.from_text(self.corpus["train"])
        self.ids = {split: self.vocabulary.encode(text) for split, text in self.corpus.items()}
        windows = text_data.window_count(self.ids["train"], d["seq_len"])
        self.steps = windows // d["batch_size"]
        if self.steps < 1:
            raise ValueError(
                f"the train split has {windows} windows of {d['seq_len']}, fewer than one "
                f"batch of {d['batch_size']}: use a longer text or a smaller batch_size"
            )


CHECK_CHARS = 5577  # the test split's first tenth: what CI re-measures


def split_metrics(model, text):
    nats = model.nats_per_char(text)
    return {"nats_per_char": round(nats, 4), "bits_per_char": round(nats / math.log(2), 4)}


def model_card(data, model, history, distribute, mixed_precision):
    recipe, corpus, d = data.recipe, data.corpus, data.recipe["data"]
    card = packaging.common_card(recipe, model, history, data.steps, distribute, mixed_precision)
    return {
        **card,
        "dataset": {
            "name": "tiny_shakespeare",
            "source": d["source"] if d["source"] == "tfds" else d["file"],
            "splits": {split: len(text) for split, text in corpus.items()},
            "split_rule": "tensorflow-datasets tiny_shakespeare: first 90% train, "
            "next 5% validation, last 5% test",
        },
        "metrics": {
            "test": split_metrics(model, corpus["test"]),
            "validation": split_metrics(model, corpus["validation"]),
            "test_check": split_metrics(model, corpus["test"][:CHECK_CHARS]),
            "evaluation": "each split read as one stream from a zero state; every "
            "character but the first predicted from all the text before it; "
            f"test_check = the test split's first {CHECK_CHARS:,} characters (what CI "
            "re-measures)",
        },
        "architecture": {
            "class": "zoo.models.CharLM",
            **recipe["model"],
            "vocabulary_size": len(model.vocabulary),
        },
    }


def summary(card):
    test = card["metrics"]["test"]
    return (
        f"{card['name']}: test {test['nats_per_char']:.4f} nats/char "
        f"({test['bits_per_char']:.4f} bits/char)"
    )
