"""Seconds per training step of a fast style network on this machine.

    python -m benchmarks.style_training [--rounds 5]

One step is Keras' train step of `training.tasks.fast_style` as the recipes
run it: a batch of 4 crops through the network, VGG19 up to block5_conv1
(the deepest layer the losses read) on the photos and the results, content,
style (the painting's Grams computed once, before training) and TV losses,
the gradients and Adam. Rows: Johnson et al.'s width (32/64/128, 5 residual
blocks) and the narrow one (16/32/64, 3 blocks), at 128 and 256 px crops,
each traced once as a plain tf.function and once compiled by XLA
(`jit_compile=True`), and on Keras' JAX backend (jitted) in a second
process right after. Round-robin rounds in each process after two warm-up
steps each, medians. Needs $ZOO_DATA_DIR (the painting, VGG19 weights).
"""

import argparse
import functools
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.timing import interleaved_ms  # noqa: E402
from training.core.paths import data_dir  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.tasks import fast_style  # noqa: E402

WIDTHS = {"Johnson": ([32, 64, 128], 5), "narrow": ([16, 32, 64], 3)}
CROPS = (128, 256)
BATCH = 4


def network(width, compiled):
    """A fresh network of `width` compiled as the recipe does, with XLA or not."""
    recipe = load_recipe("fast-style-wave")
    filters, blocks = WIDTHS[width]
    recipe = {**recipe, "model": {**recipe["model"], "filters": filters, "residual_blocks": blocks}}
    net = fast_style.new_network(recipe, data_dir())  # compiled with XLA, as the recipes run
    if not compiled:
        net.compile(optimizer=net.optimizer, loss=net.loss, jit_compile=False)
    return net


def medians(rounds, compilations):
    """{(width, crop, compiled): median s/step}, round-robin over every
    network of WIDTHS x CROPS x `compilations`."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    steps = {}
    for width in WIDTHS:
        for compiled in compilations:
            net = network(width, compiled)
            for crop in CROPS:
                photos = rng.integers(0, 256, (BATCH, crop, crop, 3)).astype("float32")
                steps[(width, crop, compiled)] = (net, photos)
    calls = {key: functools.partial(net.train_on_batch, x, x) for key, (net, x) in steps.items()}
    return {key: ms / 1000 for key, ms in interleaved_ms(calls, rounds, warmups=2).items()}


def jax_medians(rounds):
    """{(width, crop): median s/step} on the JAX backend, in a child process."""
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    command = [sys.executable, "-m", "benchmarks.style_training", "--jax-child"]
    done = subprocess.run(
        [*command, "--rounds", str(rounds)], env=env, capture_output=True, text=True, check=True
    )
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return {(width, crop): value for width, crop, value in rows}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jax-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.jax_child:
        found = medians(args.rounds, (True,))
        print(json.dumps([[w, c, v] for (w, c, _), v in found.items()]))
        return
    tf_times = medians(args.rounds, (False, True))
    jax_times = jax_medians(args.rounds)
    print(f"{os.cpu_count()} cores, batch {BATCH}, medians of {args.rounds} rounds\n")
    print(
        "| network | crop | TF s/step | TF + XLA s/step | JAX s/step "
        "| TF / TF + XLA | JAX / TF + XLA |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for width in WIDTHS:
        for crop in CROPS:
            plain, xla = (tf_times[(width, crop, c)] for c in (False, True))
            jax = jax_times[(width, crop)]
            print(
                f"| {width} | {crop} px | {plain:.2f} | {xla:.2f} | {jax:.2f} | "
                f"{plain / xla:.2f}x | {jax / xla:.2f}x |"
            )


if __name__ == "__main__":
    main()
