"""Fixes for the style networks' droplet blobs, compared on one budget.

    python -m benchmarks.style_fixes [--steps 300] [--runs runs/style-fixes]

Each variant trains the same narrow network (16/32/64, 3 residual blocks)
for the same steps from the same seed on the same crops (4 x 128 px of
BSDS500 train + val and Flickr8k, fast-style-scream's data) toward
Hokusai's wave, then is measured by training.metrics.style_quality on the
same 36 held-out BSDS500 test photos (never trained on). The variants
change Johnson et al.'s network (instance normalisation, tanh output):
the linear output, clipped when an image is made; batch statistics;
demodulated kernels and no map statistics (StyleGAN2), also at a third and
a tenth of the learning rate; each pixel's channels normalised alone; the
residual output (the photo plus the network's), with per-pixel
normalisation and with demodulated kernels; demodulated kernels with each
map centred, at a tenth of the rate; instance normalisation with
demodulated upsampling convs; and ten times the TV weight. `spike` is
the mean over 4 photos of the largest share of a channel's variance held
by its top 1% of pixels after the last conv but one
(training.metrics.style_spikes; about 0.05 for noise).

Runs resume from their backups (`--runs`), so a comparison may span
sessions; a finished variant's figures are read from its package's card
(its spike measured again). Needs $ZOO_DATA_DIR.
"""

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.core.paths import data_dir  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.metrics import style_spikes  # noqa: E402
from training.tasks import fast_style  # noqa: E402
from zoo.images import read_image  # noqa: E402

TEST = "bsds500/test/[4-9]*.jpg"  # 36 photos
SPIKE_PHOTOS = 4
# variant: ([model] changes, TV weight factor, learning rate factor)
VARIANTS = {
    "instance, tanh": ({"norm": "instance", "activation": "tanh"}, 1, 1),
    "instance, linear": ({"norm": "instance", "activation": "linear"}, 1, 1),
    "batch, linear": ({"norm": "batch", "activation": "linear"}, 1, 1),
    "demodulated, linear": ({"norm": "demodulated", "activation": "linear"}, 1, 1),
    "instance, linear, TV x10": ({"norm": "instance", "activation": "linear"}, 10, 1),
    "demodulated, linear, lr / 3": ({"norm": "demodulated", "activation": "linear"}, 1, 1 / 3),
    "demodulated, linear, lr / 10": ({"norm": "demodulated", "activation": "linear"}, 1, 0.1),
    "pixel, linear": ({"norm": "pixel", "activation": "linear"}, 1, 1),
    "pixel, residual": ({"norm": "pixel", "activation": "residual"}, 1, 1),
    "demodulated, residual": ({"norm": "demodulated", "activation": "residual"}, 1, 1),
    "centred, linear, lr / 10": ({"norm": "centred", "activation": "linear"}, 1, 0.1),
    "instance, demodulated up, linear": (
        {"norm": "instance", "up_norm": "demodulated", "activation": "linear"},
        1,
        1,
    ),
}


def recipe_for(variant, steps):
    """fast-style-scream's data and network, toward the wave, changed by `variant`."""
    recipe = load_recipe("fast-style-scream")
    model, tv_factor, lr_factor = VARIANTS[variant]
    per_epoch = recipe["train"]["steps_per_epoch"]
    return {
        **recipe,
        "name": "style-fix-"
        + "-".join(variant.replace(",", "").replace("/", "by").split()).lower(),
        "data": {**recipe["data"], "style": "styles/wave.jpg", "test": TEST},
        "model": {**recipe["model"], **model},
        "loss": {**recipe["loss"], "tv_weight": recipe["loss"]["tv_weight"] * tv_factor},
        "train": {
            **recipe["train"],
            "epochs": max(1, steps // per_epoch),
            "learning_rate": recipe["train"]["learning_rate"] * lr_factor,
        },
    }


def spike(net):
    """Mean over SPIKE_PHOTOS test photos of the largest spike share after
    the last conv that feeds a normalisation or ReLU."""
    photos = sorted(data_dir().glob(TEST))[:SPIKE_PHOTOS]
    return float(
        np.mean([style_spikes.forward(net, read_image(p))[1][-1][2].max() for p in photos])
    )


def run(variant, steps, runs):
    """{metric: value} of one variant, trained (or resumed) in runs/<name>;
    a finished one is read from its package."""
    recipe = recipe_for(variant, steps)
    package = Path(runs) / recipe["name"] / "model"
    if (package / "card.json").is_file():
        net = zoo.load_path(package)
        card = net.card
    else:
        net, card = fast_style.train(recipe, package.parent, verbose=0)
    held_out = card["metrics"]["held_out"]
    return {**held_out, "spike": spike(net), "seconds": card["training"]["seconds"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--runs", default="runs/style-fixes")
    parser.add_argument("--only", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    print(f"{args.steps} steps each, measured on {TEST} (36 photos)\n")
    print(
        "| variant | mean style | worst style | mean content | mean blob | worst blob "
        "| spike | train s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for variant in args.only:
        m = run(variant, args.steps, args.runs)
        print(
            f"| {variant} | {m['mean_style']:.1%} | {m['max_style']:.1%} | "
            f"{m['mean_content']:.2f} | {m['mean_blob']:.2%} | {m['max_blob']:.2%} | "
            f"{m['spike']:.2f} | {m['seconds']:.0f} |",
            flush=True,
        )
        (Path(args.runs) / "results.jsonl").open("a").write(json.dumps({variant: m}) + "\n")


if __name__ == "__main__":
    main()
