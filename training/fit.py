"""Keras `fit` with what long runs need: resume after a kill, best-on-
validation weights, TensorBoard logs, CSV history, a PNG of the curves,
mixed precision and tf.distribute strategies.

Run directory layout:
    backup/            BackupAndRestore's state (deleted when a run finishes)
    best.weights.h5    weights of the epoch with the lowest val_loss
    history.csv        one row per epoch
    curves.png         training and validation loss per epoch
    tensorboard/       TensorBoard logs
"""

import contextlib
import csv
import json
import math
import time
from pathlib import Path

import keras
import matplotlib

matplotlib.use("Agg")  # files only; never a display

BACKUP = "backup"
BEST = "best.weights.h5"
HISTORY = "history.csv"
CURVES = "curves.png"
STRATEGIES = ("none", "mirrored", "multi-worker")


def make_strategy(name="none"):
    """A tf.distribute strategy, or None. 'mirrored': every local GPU (or
    CPU); 'multi-worker': the cluster described by $TF_CONFIG."""
    if name == "none":
        return None
    import tensorflow as tf  # tf.distribute; the rest of fit runs on any Keras backend

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")


def is_chief(strategy):
    """True unless this is a non-chief worker of a multi-worker cluster:
    only the chief writes the model package."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type == "chief" or (
        resolver.task_type == "worker" and resolver.task_id == 0
    )


def strategy_scope(strategy):
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def set_precision(mixed):
    """mixed_float16 for GPUs with tensor cores; float32 otherwise."""
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")


def cosine_adam(train, steps_per_epoch):
    """Adam with cosine learning-rate decay over the whole run, from a
    recipe's [train] learning_rate to final_learning_rate, and gradient-
    norm clipping (clipnorm)."""
    schedule = keras.optimizers.schedules.CosineDecay(
        train["learning_rate"], decay_steps=train["epochs"] * steps_per_epoch,
        alpha=train["final_learning_rate"] / train["learning_rate"],
    )  # fmt: skip
    return keras.optimizers.Adam(schedule, clipnorm=train["clipnorm"])


def resume_epoch(run_dir):
    """The epoch a resumed run starts at (0 for a fresh run), read from
    BackupAndRestore's metadata so the data pipeline can start there too."""
    path = Path(run_dir) / BACKUP / "training_metadata.json"
    return json.loads(path.read_text())["epoch"] if path.is_file() else 0


def fit(
    model, train, validation, run_dir, epochs, steps_per_epoch, verbose=1, callbacks=(), unit=""
):
    """Train `model` (built and compiled) and leave it holding the best
    validation weights. `train` must yield the batches of the epochs from
    resume_epoch(run_dir) on; `unit` labels the loss axis of the plot.
    Returns the history rows (list of dicts)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    resumed = resume_epoch(run_dir) > 0
    best = keras.callbacks.ModelCheckpoint(
        run_dir / BEST, monitor="val_loss", save_best_only=True, save_weights_only=True
    )
    if resumed:  # without this, the first epoch after a resume always "improves"
        best.best = min((row["val_loss"] for row in read_history(run_dir)), default=math.inf)
    model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=verbose,
        shuffle=False,  # the pipeline shuffles, reproducibly per epoch
        callbacks=[
            EpochTimer(),  # before CSVLogger, which writes the logs it adds to
            keras.callbacks.BackupAndRestore(run_dir / BACKUP),
            best,
            keras.callbacks.CSVLogger(run_dir / HISTORY, append=resumed),
            *tensorboard(run_dir),
            *callbacks,
        ],
    )
    history = read_history(run_dir)
    plot_curves(history, run_dir / CURVES, unit)
    if (run_dir / BEST).is_file():
        model.load_weights(run_dir / BEST)
    return history


def tensorboard(run_dir):
    """TensorBoard logs where Keras can write them (they need TensorFlow)."""
    if keras.backend.backend() != "tensorflow":
        return []
    return [keras.callbacks.TensorBoard(Path(run_dir) / "tensorboard")]


class EpochTimer(keras.callbacks.Callback):
    """Adds each epoch's wall time to its logs (column `seconds` in the
    CSV), so a resumed run still knows its total training time."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = time.perf_counter() - self._start


def read_history(run_dir):
    path = Path(run_dir) / HISTORY
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def plot_curves(history, path, unit=""):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [row["epoch"] + 1 for row in history]
    for key, label in (("loss", "training"), ("val_loss", "validation")):
        ax.plot(epochs, [row[key] for row in history], marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({unit})" if unit else "loss")
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def save_figure(fig, path):
    import matplotlib.pyplot as plt

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
