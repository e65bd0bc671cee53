"""Caption training speed: seconds per step of the caption-flickr8k recipe
on plain random batches against length-pooled
batches (training.tasks.caption.epoch_batches), interleaved in one run, with
the mean padded length of each. Needs the feature cache (training.data.features).

    python -m benchmarks.caption_training [--steps 20] [--recipe caption-flickr8k]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from training.core.recipe import load_recipe  # noqa: E402
from training.tasks import caption  # noqa: E402

POOLS = (1, caption.LENGTH_POOL)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per pool size")
    parser.add_argument("--recipe", default="caption-flickr8k")
    args = parser.parse_args(argv)
    data = caption.Prepared(load_recipe(args.recipe))
    names, rows = data.train
    size, seed = data.recipe["data"]["batch_size"], data.recipe["train"]["seed"]
    model = caption.build_model(data.recipe, data.vocabulary, data.steps)
    cuts = {p: caption.epoch_batches(rows, size, seed, 0, p) for p in POOLS}
    seconds = {p: 0.0 for p in POOLS}
    for step in range(-3, args.steps):  # three untimed rounds: tracing
        for pool in POOLS:
            inputs, targets = caption.batch_at(data.features, names, rows, cuts[pool][step])
            began = time.perf_counter()
            model.train_on_batch(inputs, targets)
            seconds[pool] += (time.perf_counter() - began) * (step >= 0)
    print(
        f"| {args.recipe}, batch {size}, {args.steps} steps each | padded length "
        "(epoch mean) | s / step |"
    )
    print("|---|---:|---:|")
    for pool in POOLS:
        padded = np.mean([max(len(rows[i]) for i in b) + 1 for b in cuts[pool]])
        label = "random batches" if pool == 1 else f"length pools of {pool} batches"
        print(f"| {label} | {padded:.1f} | {seconds[pool] / args.steps:.3f} |")
    ratio = seconds[1] / seconds[POOLS[1]]
    print(f"\nlength pools: {ratio:.2f}x the steps per second")


if __name__ == "__main__":
    main()
