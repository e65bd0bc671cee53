"""Style transfer speed on this machine.

1. Gatys optimisation: seconds per Adam step at 256 and 512 px (longer
   side), chelsea x wave, steps run in the compiled chunks stylize uses.
2. FastStyle: ms per image at 256, 512 and 1024 px (square), one image per
   call, for both shipped networks' architecture. The ratio to a Gatys
   step at the same size is what one forward pass buys.
3. The pipeline: augmented 256 px crop batches/s vs training steps/s.

Round-robin rounds in one process, medians.

    python -m benchmarks.style_transfer [--rounds 3]
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.image_data import training_batches  # noqa: E402
from training.text_data import data_dir  # noqa: E402
from zoo.images import read_image  # noqa: E402
from zoo.models import StyleTransfer  # noqa: E402

DATA = data_dir()
GATYS_SIZES = (256, 512)
FAST_SIZES = (256, 512, 1024)
STEPS = 10


def gatys_seconds_per_step(st, content, style, size):
    st.stylize(content, style, steps=STEPS, size=size, chunk=STEPS, progress=False)  # trace
    start = time.perf_counter()
    st.stylize(content, style, steps=STEPS, size=size, chunk=STEPS, progress=False)
    return (time.perf_counter() - start) / STEPS


def fast_ms_per_image(net, image):
    start = time.perf_counter()
    net.stylize(image)
    return 1000 * (time.perf_counter() - start)


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
    net = zoo.load("fast-style-wave")
    rng = np.random.default_rng(0)
    squares = {s: rng.integers(0, 256, (s, s, 3), dtype=np.uint8) for s in FAST_SIZES}
    for image in squares.values():
        net.stylize(image)  # trace each size once
    times = {}
    for _ in range(args.rounds):
        for size in GATYS_SIZES:
            times.setdefault(("gatys", size), []).append(
                gatys_seconds_per_step(st, content, style, size)
            )
        for size, image in squares.items():
            times.setdefault(("fast", size), []).append(fast_ms_per_image(net, image))
        times.setdefault(("pipeline", 256), []).append(pipeline_batches_per_second())
    med = {key: statistics.median(values) for key, values in times.items()}
    print(f"medians of {args.rounds} rounds")
    for size in GATYS_SIZES:
        print(f"Gatys step, {size} px longer side: {med['gatys', size]:.3f} s")
    for size in FAST_SIZES:
        line = f"FastStyle, {size}x{size}: {med['fast', size]:.0f} ms/image"
        if size in GATYS_SIZES:
            line += f" (= {1000 * med['gatys', size] / med['fast', size]:.1f} Gatys steps' time)"
        print(line)
    print(f"crop pipeline (4 x 256 px, augmented): {med['pipeline', 256]:.1f} batches/s")


if __name__ == "__main__":
    main()
