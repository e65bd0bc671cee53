"""Training character language models (`zoo.models.CharLM`) from a recipe,
and writing the result as a model package with its card."""

import math
import platform
import shutil
from pathlib import Path

import keras
import tensorflow as tf

import zoo
from training import fit as fitting
from training import text_data
from zoo import registry
from zoo.models import CharLM
from zoo.text import CharVocabulary

PRETRAINED = registry.PRETRAINED


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
    schedule = keras.optimizers.schedules.CosineDecay(
        t["learning_rate"],
        decay_steps=t["epochs"] * steps_per_epoch,
        alpha=t["final_learning_rate"] / t["learning_rate"],
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=t["clipnorm"]),
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
    keras.utils.set_random_seed(t["seed"])
    fitting.set_precision(mixed_precision)
    strategy = fitting.make_strategy(distribute)
    with fitting.strategy_scope(strategy):
        model = build_model(data.recipe, data.vocabulary, data.steps)
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
    fitting.set_precision(False)
    model = inference_copy(model)
    card = model_card(data, model, history, distribute, mixed_precision)
    if fitting.is_chief(strategy):
        card = write_package(model, card, run_dir, publish_to)
    return model, card


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """Write the package of a finished run from its best weights and
    history, without training (e.g. after changing what a card holds)."""
    data = Prepared(recipe, data_dir, epochs)
    model = new_model(data.recipe, data.vocabulary)
    model.load_weights(Path(run_dir) / fitting.BEST)
    card = model_card(data, model, fitting.read_history(run_dir), "none", False)
    return model, write_package(model, card, run_dir, publish_to)


class Prepared:
    """A recipe's corpus, vocabulary, token ids per split and step counts."""

    def __init__(self, recipe, data_dir, epochs):
        d = recipe["data"]
        self.epochs = epochs or recipe["train"]["epochs"]
        self.recipe = {**recipe, "train": {**recipe["train"], "epochs": self.epochs}}
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


def inference_copy(model):
    """The model without its optimizer state (a third of the file size) and
    in float32 (float16 compute is a training-time choice)."""
    copy = CharLM.from_config({**model.get_config(), "dtype": "float32"})
    copy.build()
    copy.set_weights(model.get_weights())
    return copy


def write_package(model, card, run_dir, publish_to):
    card = registry.write_package(model, Path(run_dir) / "model", card)
    if publish_to:
        publish(Path(run_dir) / "model", publish_to)
    return card


def publish(package, destination):
    """Replace `destination` with the package (staged, then renamed)."""
    destination = Path(destination)
    staging = destination.with_name(destination.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(package, staging)
    shutil.rmtree(destination, ignore_errors=True)
    staging.rename(destination)


def split_metrics(model, text):
    nats = model.nats_per_char(text)
    return {"nats_per_char": round(nats, 4), "bits_per_char": round(nats / math.log(2), 4)}


def model_card(data, model, history, distribute, mixed_precision):
    recipe, corpus, epochs, steps = data.recipe, data.corpus, data.epochs, data.steps
    d = recipe["data"]
    best = min(history, key=lambda row: row["val_loss"]) if history else {}
    return {
        "name": recipe["name"],
        "task": recipe["task"],
        "description": recipe["description"],
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
            "evaluation": "each split read as one stream from a zero state; every "
            "character but the first predicted from all the text before it",
        },
        "architecture": {
            "class": "zoo.models.CharLM",
            **recipe["model"],
            "vocabulary_size": len(model.vocabulary),
        },
        "parameters": model.count_params(),
        "recipe": {"file": f"training/recipes/{Path(recipe['path']).name}", **recipe_body(recipe)},
        "training": {
            "epochs": epochs,
            "steps_per_epoch": steps,
            "best_epoch": int(best.get("epoch", -1)) + 1,
            "seconds": round(sum(row.get("seconds", 0.0) for row in history), 1),
            "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
            "machine": f"{platform.machine()}, {_cpu_count()} CPU cores",
            "distribute": distribute,
            "mixed_precision": mixed_precision,
            "command": f"python -m training {recipe['name']}",
            "history": [
                {k: round(row[k], 4) for k in ("loss", "val_loss", "seconds")} for row in history
            ],
        },
        "versions": {
            "zoo": zoo.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }


def recipe_body(recipe):
    return {k: v for k, v in recipe.items() if k in ("data", "model", "train")}


def _cpu_count():
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
