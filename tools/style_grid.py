"""The README's grid: content photos (rows) painted by the shipped
style-transfer-vgg19 (Gatys optimisation, 150 Adam steps at 256 px) in
the style of three paintings (columns), the paintings on top.

    python -m tools.style_grid [--out docs/style-grid.jpg] [--steps 150]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import zoo  # noqa: E402
from training.core.fit import save_figure  # noqa: E402
from training.data.text_data import data_dir  # noqa: E402
from zoo.images import read_image  # noqa: E402
from zoo.models.style_transfer import resize_longer  # noqa: E402

SIZE = 256
CONTENT = ["chelsea", "astronaut", "coffee", "rocket"]
PAINTINGS = ["wave", "udnie", "the_scream"]


def columns(data, steps):
    """(painting, title, function photo -> result) per column."""
    gatys = zoo.load("style-transfer-vgg19")
    gatys.weights = data / "vgg19_notop.weights.h5"
    cols = []
    for name in PAINTINGS:
        painting = read_image(data / "styles" / f"{name}.jpg")

        def optimise(photo, painting=painting):
            return gatys.stylize(photo, painting, steps=steps, size=SIZE, progress=False)[0]

        cols.append((painting, f"{name}, {steps} steps", optimise))
    return cols


def main(argv=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/style-grid.jpg")
    parser.add_argument("--steps", type=int, default=150)
    args = parser.parse_args(argv)
    data = data_dir()
    cols = columns(data, args.steps)
    fig, axes = plt.subplots(len(CONTENT) + 1, len(cols) + 1, figsize=(2.4 * (len(cols) + 1), 11))
    for ax in axes.flat:
        ax.axis("off")
    for j, (painting, title, _) in enumerate(cols, start=1):
        axes[0, j].imshow(resize_longer(painting, SIZE).astype("uint8"))
        axes[0, j].set_title(title, fontsize=9)
    for i, name in enumerate(CONTENT, start=1):
        photo = resize_longer(read_image(data / "content" / f"{name}.jpg"), SIZE).astype("uint8")
        axes[i, 0].imshow(photo)
        for j, (_, _, paint) in enumerate(cols, start=1):
            axes[i, j].imshow(paint(photo))
    save_figure(fig, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
