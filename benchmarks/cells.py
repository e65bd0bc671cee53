"""Speed of every zoo cell against keras.layers.LSTM / GRU / SimpleRNN.

Inference (forward) and a training step (forward, backward, Adam) at batch
32, T=100, 256 units, 256 input features, on whatever device TensorFlow
sees. Each zoo cell runs inside keras.layers.RNN and inside zoo.layers.RNN.
All models are timed round-robin in one process and each figure is the
median over rounds, so machine noise hits every model alike; the table gives
ratios to the Keras layer of the same family.

Modes: 'graph' is tf.function; 'xla' adds jit_compile=True, which is what
Keras' fit/predict use on TensorFlow when every layer allows it.

`--bidirectional` times keras.layers.Bidirectional over the drop-in layers
(zoo.layers.LSTM / GRU) against Bidirectional over Keras' own, concat merge.

    python -m benchmarks.cells                 # both modes, all cells
    python -m benchmarks.cells --mode graph --rounds 5 --only LSTM,CIFG
    python -m benchmarks.cells --bidirectional
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from zoo import layers  # noqa: E402

BATCH, STEPS, UNITS, FEATURES = 32, 100, 256, 256
STANDARD_TARGET, VARIANT_TARGET = 1.2, 1.5

# name -> (zoo cell factory, Keras baseline, standard configuration?)
LSTM, GRU = "keras LSTM", "keras GRU"
CELLS = {
    "LSTM": (lambda: layers.LSTMCell(UNITS), LSTM, True),
    "peephole": (lambda: layers.PeepholeLSTMCell(UNITS), LSTM, False),
    "CIFG": (lambda: layers.CIFGLSTMCell(UNITS), LSTM, False),
    "layer-norm": (lambda: layers.LayerNormLSTMCell(UNITS), LSTM, False),
    "NIG": (lambda: layers.LSTMCell(UNITS, input_gate=False), LSTM, False),
    "NFG": (lambda: layers.LSTMCell(UNITS, forget_gate=False), LSTM, False),
    "NOG": (lambda: layers.LSTMCell(UNITS, output_gate=False), LSTM, False),
    "NIAF": (lambda: layers.LSTMCell(UNITS, input_activation=False), LSTM, False),
    "NOAF": (lambda: layers.LSTMCell(UNITS, output_activation=False), LSTM, False),
    "FGR": (lambda: layers.LSTMCell(UNITS, gate_recurrence=True), LSTM, False),
    "GRU": (lambda: layers.GRUCell(UNITS), GRU, True),
    "GRU reset_before": (
        lambda: layers.GRUCell(UNITS, reset_after=False),
        "keras GRU reset_before",
        True,
    ),
    "SimpleRNN": (lambda: layers.SimpleRNNCell(UNITS), "keras SimpleRNN", True),
}
BASELINES = {
    LSTM: lambda: keras.layers.LSTM(UNITS),
    GRU: lambda: keras.layers.GRU(UNITS),
    "keras GRU reset_before": lambda: keras.layers.GRU(UNITS, reset_after=False),
    "keras SimpleRNN": lambda: keras.layers.SimpleRNN(UNITS),
}
WRAPPERS = {"keras.layers.RNN": keras.layers.RNN, "zoo.layers.RNN": layers.RNN}


def _bidirectional(layer_class, **kwargs):
    return lambda: keras.layers.Bidirectional(layer_class(UNITS, **kwargs))


# name -> (layer factory, Keras baseline name); baselines map to themselves.
BIDIRECTIONAL = {
    "Bidirectional(keras.layers.LSTM)": (_bidirectional(keras.layers.LSTM), None),
    "Bidirectional(zoo.layers.LSTM)": (
        _bidirectional(layers.LSTM),
        "Bidirectional(keras.layers.LSTM)",
    ),
    "Bidirectional(zoo.layers.LSTM, peepholes)": (
        _bidirectional(layers.LSTM, peepholes=True),
        "Bidirectional(keras.layers.LSTM)",
    ),
    "Bidirectional(keras.layers.GRU)": (_bidirectional(keras.layers.GRU), None),
    "Bidirectional(zoo.layers.GRU)": (
        _bidirectional(layers.GRU),
        "Bidirectional(keras.layers.GRU)",
    ),
}


class Timed:
    """A model's compiled inference and training-step functions."""

    def __init__(self, layer, jit):
        inputs = keras.Input((STEPS, FEATURES))
        self.model = keras.Model(inputs, layer(inputs))
        self.repeat = self.model.output_shape[-1] // UNITS  # 2 for Bidirectional concat
        self.optimizer = keras.optimizers.Adam(1e-3)
        self.optimizer.build(self.model.trainable_variables)
        self.infer = tf.function(self._infer, jit_compile=jit)
        self.train = tf.function(self._train, jit_compile=jit)

    def _infer(self, x):
        return self.model(x, training=False)

    def _train(self, x, y):
        with tf.GradientTape() as tape:
            y = tf.tile(y, [1, self.repeat])
            loss = tf.reduce_mean(tf.square(self.model(x, training=True) - y))
        variables = self.model.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return loss


def seconds(fn, *args):
    start = time.perf_counter()
    np.asarray(fn(*args))  # waits for the result
    return time.perf_counter() - start


def measure(models, rounds, x, y):
    """{name: (median inference s, median train-step s)}, round-robin."""
    for m in models.values():  # trace and compile, then warm up
        for _ in range(2):
            m.infer(x)
            m.train(x, y)
    samples = {name: ([], []) for name in models}
    for _ in range(rounds):
        for name, m in models.items():
            samples[name][0].append(seconds(m.infer, x))
            samples[name][1].append(seconds(m.train, x, y))
    return {n: (statistics.median(a), statistics.median(b)) for n, (a, b) in samples.items()}


def build(only, jit):
    models = {}
    for name, (make_cell, baseline, _) in CELLS.items():
        if only and name not in only:
            continue
        if baseline not in models:
            models[baseline] = Timed(BASELINES[baseline](), jit)
        for wrapper, rnn in WRAPPERS.items():
            models[(name, wrapper)] = Timed(rnn(make_cell()), jit)
    return models


def build_bidirectional(jit):
    return {name: Timed(make(), jit) for name, (make, _) in BIDIRECTIONAL.items()}


def bidirectional_table(mode, times):
    lines = [
        f"\n### Bidirectional, {mode} (batch {BATCH}, T={STEPS}, {UNITS} units per "
        f"direction, {FEATURES} features)\n",
        "| layer | infer ms | x Keras | train ms | x Keras |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (t_inf, t_train) in times.items():
        b_inf, b_train = times[BIDIRECTIONAL[name][1] or name]
        lines.append(
            f"| {name} | {t_inf * 1e3:.1f} | {t_inf / b_inf:.2f} | "
            f"{t_train * 1e3:.1f} | {t_train / b_train:.2f} |"
        )
    return "\n".join(lines)


def table(mode, times):
    lines = [
        f"\n### {mode} (batch {BATCH}, T={STEPS}, {UNITS} units, {FEATURES} features)\n",
        "| cell | in | infer ms | x Keras | train ms | x Keras | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for key, (t_inf, t_train) in times.items():
        if isinstance(key, str):
            lines.append(
                f"| {key} | (baseline) | {t_inf * 1e3:.1f} | 1.00 | "
                f"{t_train * 1e3:.1f} | 1.00 | | |"
            )
            continue
        name, wrapper = key
        _, baseline, standard = CELLS[name]
        b_inf, b_train = times[baseline]
        r_inf, r_train = t_inf / b_inf, t_train / b_train
        target = STANDARD_TARGET if standard else VARIANT_TARGET
        met = "yes" if max(r_inf, r_train) <= target else "NO"
        lines.append(
            f"| {name} | {wrapper} | {t_inf * 1e3:.1f} | {r_inf:.2f} | "
            f"{t_train * 1e3:.1f} | {r_train:.2f} | {target} | {met} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["graph", "xla", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated cell names")
    parser.add_argument("--bidirectional", action="store_true", help="the Bidirectional table")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if unknown := only - set(CELLS):
        parser.error(f"unknown cells {sorted(unknown)}; choose from {sorted(CELLS)}")
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32"))
    y = tf.constant(rng.normal(size=(BATCH, UNITS)).astype("float32"))
    device = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, device {device[0].name}, "
        f"{os.cpu_count()} CPUs, {args.rounds} rounds, medians"
    )
    for mode in ["graph", "xla"] if args.mode == "both" else [args.mode]:
        jit = mode == "xla"
        if args.bidirectional:
            times = measure(build_bidirectional(jit), args.rounds, x, y)
            print(bidirectional_table(mode, times), flush=True)
        else:
            print(table(mode, measure(build(only, jit), args.rounds, x, y)), flush=True)


if __name__ == "__main__":
    main()
