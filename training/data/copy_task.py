"""Delayed-copy task: a tiny recurrent model learns to output, at step t,
the symbol it read at step t - delay. It needs memory across `delay` steps,
so it shows a cell can learn at all; chance level is ln(vocab) nats.

    python -m training.data.copy_task --cell lstm --steps 300
"""

import argparse
import math

import keras
import numpy as np

from zoo import layers

CELLS = layers.CELLS
VOCAB = 6  # symbol 0 marks "nothing to copy yet"; chance loss is ln(VOCAB)


def copy_data(n, length=12, vocab=VOCAB, delay=3, seed=0):
    """(inputs, targets): random symbols 1..vocab-1; targets are the inputs
    shifted right by `delay`, with symbol 0 before the first copy."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, size=(n, length))
    y = np.zeros_like(x)
    y[:, delay:] = x[:, :-delay]
    return x.astype("int32"), y.astype("int32")


def build_model(cell="lstm", units=32, vocab=VOCAB):
    model = keras.Sequential(
        [
            keras.layers.Embedding(vocab, 8),
            layers.RNN(CELLS[cell](units), return_sequences=True),
            keras.layers.Dense(vocab),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def train(cell="lstm", units=32, steps=300, batch=64, vocab=VOCAB, delay=3, seed=0, verbose=0):
    """Train for `steps` batches; returns (model, held-out loss in nats/step)."""
    keras.utils.set_random_seed(seed)
    x, y = copy_data(steps * batch, vocab=vocab, delay=delay, seed=seed)
    model = build_model(cell, units, vocab)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=verbose)
    x_test, y_test = copy_data(512, vocab=vocab, delay=delay, seed=seed + 1)
    return model, model.evaluate(x_test, y_test, verbose=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    _, held_out = train(args.cell, args.units, args.steps, seed=args.seed, verbose=1)
    print(f"{args.cell}: held-out loss {held_out:.4f} nats/step (chance {math.log(VOCAB):.4f})")


if __name__ == "__main__":
    main()
