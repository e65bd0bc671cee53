"""Style transfer speed on this machine.

1. Gatys optimisation: seconds per Adam step at 256 and 512 px (longer
   side), chelsea x wave, steps run in the compiled chunks stylize uses.
2. FastStyle: ms per image at 256, 512 and 1024 px (square), one image per
   call, Keras on TensorFlow against onnxruntime (the exported model.onnx),
   at Johnson et al.'s width and at the narrow width of the recipes
   (training/recipes/fast-style-scream.toml); speed does not depend on the
   weights. A Gatys step's time in forward passes at the same size is what
   one forward pass buys.
3. The pipeline: batches/s of augmented 256 px crops (training.data.image_data).

Round-robin rounds in one process, medians.

    python -m benchmarks.style_transfer [--rounds 3]
"""

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from training.core.paths import data_dir  # noqa: E402
from training.data.image_data import training_batches  # noqa: E402
from zoo.images import read_image  # noqa: E402
from zoo.models import FastStyle, StyleTransfer  # noqa: E402

DATA = data_dir()
GATYS_SIZES = (256, 512)
FAST_SIZES = (256, 512, 1024)
STEPS = 10
WIDTHS = {  # (filters, residual blocks)
    "Johnson": ((32, 64, 128), 5),  # Johnson et al.'s
    "narrow": ((16, 32, 64), 3),  # the recipes' (fast-style-scream)
}


def gatys_seconds_per_step(st, content, style, size):
    st.stylize(content, style, steps=STEPS, size=size, chunk=STEPS, progress=False)  # trace
    start = time.perf_counter()
    st.stylize(content, style, steps=STEPS, size=size, chunk=STEPS, progress=False)
    return (time.perf_counter() - start) / STEPS


def ms_per_image(stylize, image):
    start = time.perf_counter()
    stylize(image)
    return 1000 * (time.perf_counter() - start)


def runners(out):
    """{(network, runtime): stylize}: each of WIDTHS, untrained, in Keras
    and in ORT."""
    from exports import export
    from serving import OnnxModel

    found = {}
    for name, (filters, blocks) in WIDTHS.items():
        net = FastStyle(filters, blocks, style=name)
        net.build()
        label = f"{name} {filters} x {blocks}"
        onnx = OnnxModel(export(net, Path(out) / name, formats=("onnx",), check=False))
        found[label, "Keras/TF"] = net.stylize
        found[label, "ORT"] = onnx.stylize
    return found


def pipeline_batches_per_second(n=50):
    photos = sorted((DATA / "content").glob("*.jpg"))
    batches = iter(training_batches(photos, 256, 4, seed=0))
    next(batches)
    start = time.perf_counter()
    for _ in range(n):
        next(batches)
    return n / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    content = read_image(DATA / "content" / "chelsea.jpg")
    style = read_image(DATA / "styles" / "wave.jpg")
    st = StyleTransfer(DATA / "vgg19_notop.weights.h5")
    out = tempfile.mkdtemp()
    fast = runners(out)
    rng = np.random.default_rng(0)
    squares = {s: rng.integers(0, 256, (s, s, 3), dtype=np.uint8) for s in FAST_SIZES}
    for stylize in fast.values():
        for image in squares.values():
            stylize(image)  # trace (Keras) or warm up (ORT) each size once
    times = {}
    for _ in range(args.rounds):
        for size in GATYS_SIZES:
            times.setdefault(("gatys", size), []).append(
                gatys_seconds_per_step(st, content, style, size)
            )
        for key, stylize in fast.items():
            for size, image in squares.items():
                times.setdefault((*key, size), []).append(ms_per_image(stylize, image))
        times.setdefault(("pipeline", 256), []).append(pipeline_batches_per_second())
    med = {key: statistics.median(values) for key, values in times.items()}
    print_tables(med, fast, args.rounds)


def print_tables(med, fast, rounds):
    print(f"medians of {rounds} round-robin rounds in one process\n")
    print("| Gatys, seconds per Adam step (longer side) | " + _sizes(GATYS_SIZES))
    print("|---|" + "---:|" * len(GATYS_SIZES))
    print("| chelsea x wave | " + " | ".join(f"{med['gatys', s]:.3f}" for s in GATYS_SIZES) + " |")
    print("\n| FastStyle, ms per image (square) | " + _sizes(FAST_SIZES))
    print("|---|" + "---:|" * len(FAST_SIZES))
    for network, runtime in fast:
        cells = " | ".join(f"{med[network, runtime, s]:,.0f}" for s in FAST_SIZES)
        print(f"| {network}, {runtime} | {cells} |")
    for network in dict.fromkeys(n for n, _ in fast):
        ratios = " | ".join(
            f"{med[network, 'Keras/TF', s] / med[network, 'ORT', s]:.2f}" for s in FAST_SIZES
        )
        print(f"| {network}, Keras/TF time / ORT time | {ratios} |")
    johnson = next(iter(fast))[0]
    print()
    for size in GATYS_SIZES:
        images = 1000 * med["gatys", size] / med[johnson, "ORT", size]
        print(f"- one Gatys step at {size} px takes as long as {images:.1f} Johnson ORT images")
    print(
        f"- the crop feeder makes {med['pipeline', 256]:.1f} batches of 4 augmented 256 px crops/s"
    )


def _sizes(sizes):
    return " | ".join(f"{s} px" for s in sizes) + " |"


if __name__ == "__main__":
    main()
