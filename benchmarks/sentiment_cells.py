"""The cells compared on a second task: SST-2 sentiment, with an equal
parameter budget for the bidirectional recurrent layer.

Each cell gets the units that bring its layer closest to the budget (an
LSTM of --lstm-units); everything else is the sentiment-sst2 recipe
(without its transfer from IMDB), trained for --epochs on the same batches
from the same seed. Validation accuracy picks the epoch; the test accuracy
is of that epoch.

    python -m benchmarks.sentiment_cells [--epochs 2] [--lstm-units 96]
"""

import argparse
import copy
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from training.core.recipe import load_recipe, with_epochs  # noqa: E402
from training.tasks import sentiment  # noqa: E402
from zoo import layers  # noqa: E402

CELLS = ("lstm", "gru", "peephole", "cifg", "rnn")


def layer_parameters(cell, units, features):
    """Weights of a bidirectional layer of `cell` over `features` inputs."""
    built = layers.make_cell(cell, units)
    built.build((None, features))
    return 2 * sum(int(w.shape.num_elements()) for w in built.weights)


def matched_units(cell, budget, features):
    return min(range(1, 1024), key=lambda u: abs(layer_parameters(cell, u, features) - budget))


class BestEpoch(keras.callbacks.Callback):
    """Test accuracy at the epoch of the best validation accuracy."""

    def __init__(self, test):
        super().__init__()
        self.test, self.best = test, (-1.0, None, 0)

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] > self.best[0]:
            score = sentiment.accuracy(self.model, *self.test)
            self.best = (logs["val_accuracy"], score, epoch + 1)


def compare(epochs, lstm_units):
    recipe = with_epochs(copy.deepcopy(load_recipe("sentiment-sst2")), epochs)
    recipe["train"]["init_from"] = ""
    data = sentiment.Prepared(recipe)
    d, m = recipe["data"], recipe["model"]
    features = m["embedding_dim"]
    budget = layer_parameters("lstm", lstm_units, features)
    texts, labels = data.splits["validation"]
    validation = sentiment.batches(data.ids_of(texts), labels, d)
    print(f"SST-2, {epochs} epochs, recurrent budget {budget:,} weights (LSTM {lstm_units})\n")
    print(
        f"| cell | units | recurrent weights | validation ({len(texts):,}) "
        f"| test ({len(data.splits['test'][0]):,}) | best epoch | s/epoch |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for cell in CELLS:
        units = matched_units(cell, budget, features)
        run = copy.deepcopy(recipe)
        run["model"].update(cell=cell, units=units)
        keras.utils.set_random_seed(run["train"]["seed"])
        model = sentiment.build_model(run, data.vocabulary, data.steps)
        best = BestEpoch(data.splits["test"])
        train = sentiment.batches(data.ids, data.labels, d, run["train"]["seed"], epochs)
        start = time.perf_counter()
        model.fit(
            train,
            validation_data=validation,
            epochs=epochs,
            steps_per_epoch=data.steps,
            verbose=0,
            callbacks=[best],
        )
        seconds = (time.perf_counter() - start) / epochs
        weights = layer_parameters(cell, units, features)
        val, test, epoch = best.best
        print(
            f"| {cell} | {units} | {weights:,} | {val:.2%} | {test:.2%} | {epoch} | "
            f"{seconds:.0f} |",
            flush=True,
        )


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.sentiment_cells", description=__doc__)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lstm-units", type=int, default=96)
    args = p.parse_args(argv)
    compare(args.epochs, args.lstm_units)
    return 0


if __name__ == "__main__":
    sys.exit(main())
