"""Keras `fit` with what long runs need: resume after a kill, best-on-
validation weights, TensorBoard logs, CSV history, a PNG of the curves,
mixed precision and tf.distribute strategies.

Run directory layout:
    backup/            BackupAndRestore's state (deleted when a run finishes)
    best.weights.h5    weights of the epoch with the lowest val_loss
    history.csv        one row per epoch
    curves.png         training and validation loss per epoch
    tensorboard/       TensorBoard logs
    workers/<i>/       a multi-worker run's non-chief files (the chief's are
                       the ones above; see training/core/multi_worker.py)
"""

import contextlib
import csv
import json
import math
import time
from pathlib import Path

import keras
import matplotlib

from training.core.multi_worker import files_dir, is_chief, patch_keras

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
        patch_keras()
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}; choose one of {STRATEGIES}")


def strategy_scope(strategy):
    return strategy.scope() if strategy is not None else contextlib.nullcontext()


def set_precision(mixed):
    """mixed_float16 for GPUs with tensor cores; float32 otherwise."""
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")


def seeded_build(seed, mixed_precision, distribute, build):
    """(model, strategy): the global seed set, the precision policy and the
    strategy made, then `build()` called inside the strategy's scope, in
    that order (a run's initial weights depend on it)."""
    keras.utils.set_random_seed(seed)
    set_precision(mixed_precision)
    strategy = make_strategy(distribute)
    with strategy_scope(strategy):
        return build(), strategy


def cosine_adam(train, steps_per_epoch):
    """Adam with cosine learning-rate decay over the whole run, from a
    recipe's [train] learning_rate to final_learning_rate, and gradient-
    norm clipping (clipnorm)."""
    schedule = keras.optimizers.schedules.CosineDecay(
        train["learning_rate"],
        decay_steps=train["epochs"] * steps_per_epoch,
        alpha=train["final_learning_rate"] / train["learning_rate"],
    )
    return keras.optimizers.Adam(schedule, clipnorm=train["clipnorm"])


def resume_epoch(run_dir):
    """The epoch a resumed run starts at (0 for a fresh run), read from
    BackupAndRestore's metadata so the data pipeline can start there too."""
    path = Path(run_dir) / BACKUP / "training_metadata.json"
    return json.loads(path.read_text())["epoch"] if path.is_file() else 0


def fit(
    model,
    train,
    validation,
    run_dir,
    epochs,
    steps_per_epoch,
    verbose=1,
    callbacks=(),
    unit="",
    kept=None,
):
    """Train `model` (built and compiled) and leave it holding the best
    validation weights. `train` must yield the batches of the epochs from
    resume_epoch(run_dir) on; `unit` labels the loss axis of the plot.
    `kept` is the model whose weights best.weights.h5 holds (default
    `model`; a training wrapper passes the model it wraps).
    Returns the history rows (list of dicts)."""
    run_dir = Path(run_dir)
    strategy = getattr(model, "distribute_strategy", None)  # TF only
    files = files_dir(strategy, run_dir)
    files.mkdir(parents=True, exist_ok=True)
    resumed = resume_epoch(run_dir) > 0
    kept = kept or model
    best = KeepBest(files / BEST, kept)
    if resumed:  # without this, the first epoch after a resume always "improves"
        best.best = min((row["val_loss"] for row in read_history(files)), default=math.inf)
    model.fit(
        train,
        validation_data=validation,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        verbose=verbose,
        shuffle=False,  # the pipeline shuffles, reproducibly per epoch
        callbacks=[
            EpochTimer(),  # before CSVLogger, which writes the logs it adds to
            ChiefBackup(run_dir / BACKUP, writes=is_chief(strategy)),
            best,
            keras.callbacks.CSVLogger(files / HISTORY, append=resumed),
            *tensorboard(files),
            *callbacks,
        ],
    )
    history = read_history(files)
    plot_curves(history, files / CURVES, unit)
    if (files / BEST).is_file():
        kept.load_weights(files / BEST)
    return history


class KeepBest(keras.callbacks.Callback):
    """Saves `kept`'s weights to `path` after each epoch whose val_loss is
    the lowest so far (ModelCheckpoint's save_best_only, for any model)."""

    def __init__(self, path, kept):
        super().__init__()
        self.path, self.kept, self.best = path, kept, math.inf

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("val_loss")
        if loss is not None and loss < self.best:
            self.best = loss
            self.kept.save_weights(self.path)


class ChiefBackup(keras.callbacks.BackupAndRestore):
    """BackupAndRestore that only the chief writes (and deletes at the end);
    every worker restores from it, so all resume at the same epoch with the
    same weights. With one worker it is BackupAndRestore."""

    def __init__(self, backup_dir, writes=True):
        super().__init__(backup_dir)
        self.writes = writes

    def on_epoch_end(self, epoch, logs=None):
        if self.writes:
            super().on_epoch_end(epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        if self.writes:
            super().on_train_batch_end(batch, logs)

    def on_train_end(self, logs=None):
        if self.writes:
            super().on_train_end(logs)


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


def early_stopping(patience):
    """Stop after `patience` epochs without a lower val_loss (0: never);
    fit() then loads the best epoch's weights."""
    if not patience:
        return []
    return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)]
