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


def build_model(recipe, vocabulary, steps_per_epoch):
    """A compiled CharLM: Adam with cosine learning-rate decay over the
    whole run and gradient-norm clipping."""
    m, t = recipe["model"], recipe["train"]
    model = CharLM(
        vocabulary.tokens,
        cell=m["cell"],
        units=m["units"],
        num_layers=m["num_layers"],
        embedding_dim=m["embedding_dim"],
        cell_options=m["cell_options"],
    )
    model.build()
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
    d, t = recipe["data"], recipe["train"]
    epochs = epochs or t["epochs"]
    corpus = text_data.load_corpus(d["source"], corpus_path(d, data_dir))
    vocabulary = CharVocabulary.from_text(corpus["train"])
    ids = {split: vocabulary.encode(text) for split, text in corpus.items()}
    steps = text_data.window_count(ids["train"], d["seq_len"]) // d["batch_size"]

    keras.utils.set_random_seed(t["seed"])
    fitting.set_precision(mixed_precision)
    strategy = fitting.make_strategy(distribute)
    with fitting.strategy_scope(strategy):
        model = build_model({**recipe, "train": {**t, "epochs": epochs}}, vocabulary, steps)
    batches = text_data.training_batches(
        ids["train"],
        d["seq_len"],
        d["batch_size"],
        t["seed"],
        epochs,
        start_epoch=fitting.resume_epoch(run_dir),
    )
    validation = text_data.evaluation_batches(ids["validation"], d["seq_len"], d["batch_size"])
    history = fitting.fit(
        model, batches, validation, run_dir, epochs, steps, verbose, callbacks, unit="nats/char"
    )
    fitting.set_precision(False)
    if mixed_precision:  # ship float32: float16 compute is a training-time choice
        model = float32_copy(model)
    card = model_card(recipe, model, corpus, history, epochs, steps, distribute, mixed_precision)
    if not fitting.is_chief(strategy):
        return model, card
    card = registry.write_package(model, Path(run_dir) / "model", card)
    if publish_to:
        publish(Path(run_dir) / "model", publish_to)
    return model, card


def float32_copy(model):
    copy = CharLM.from_config({**model.get_config(), "dtype": "float32"})
    copy.build()
    copy.set_weights(model.get_weights())
    return copy


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


def model_card(recipe, model, corpus, history, epochs, steps, distribute, mixed_precision):
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
