"""The `style-transfer-vgg19` package: Gatys et al.'s optimisation has no
weights of its own, so its "training" writes the configuration and
measures it on one content/style pair for the card. VGG19's weights stay
outside the package (80 MB): Keras' download, a file or $ZOO_VGG19_WEIGHTS."""

import time
from pathlib import Path

import keras

from training.core import packaging
from training.core.paths import vgg_weights_in
from training.data.text_data import data_dir as default_data_dir
from zoo.images import read_image
from zoo.models.style_transfer import StyleTransfer, resize_longer

# Gatys optimisation: a configuration, measured on one pair for the card.
DEFAULTS = {
    "name": None,
    "task": "style-transfer",
    "description": "",
    "data": {
        "content": "content/chelsea.jpg",
        "style": "styles/wave.jpg",
        "vgg_weights": "vgg19_notop.weights.h5",
        "size": 256,
        "steps": 200,
    },
    "model": {
        "content_layer": "block4_conv2",
        "style_layers": {f"block{i}_conv1": 0.2 for i in range(1, 6)},
        "content_style_ratio": 1e-3,
        "tv_weight": 1e-4,
    },
}

EXTERNAL = (
    "VGG19 ImageNet notop weights, not shipped (80 MB): weights='imagenet' downloads them "
    "through Keras; or a file path (--vgg-weights), or $ZOO_VGG19_WEIGHTS"
)


def new_model(recipe, weights=None):
    m = recipe["model"]
    return StyleTransfer(
        weights, m["content_layer"], m["style_layers"], m["content_style_ratio"], m["tv_weight"]
    )


def train(
    recipe,
    run_dir,
    data_dir=None,
    epochs=None,
    distribute="none",
    mixed_precision=False,
    publish_to=None,
    verbose=1,
    callbacks=(),
):
    """Measure the configuration on the recipe's check pair; write the package."""
    d, m = recipe["data"], recipe["model"]
    data_dir = default_data_dir(data_dir)
    model = new_model(recipe, vgg_weights_in(data_dir, d["vgg_weights"]))
    content, style = read_image(data_dir / d["content"]), read_image(data_dir / d["style"])
    start = time.perf_counter()
    image, history = model.stylize(
        content, style, steps=d["steps"], size=d["size"], progress=bool(verbose)
    )
    seconds = time.perf_counter() - start
    photo = resize_longer(content, d["size"])[None]
    grams = model.loss.style_target(resize_longer(style, d["size"])[None])
    before = float(model.loss.style_distance(photo, grams))
    after = float(model.loss.style_distance(image[None].astype("float32"), grams))
    card = {
        "name": recipe["name"],
        "task": recipe["task"],
        "description": recipe["description"],
        "parameters": 0,
        "external_weights": EXTERNAL,
        "recipe": {"file": f"training/recipes/{Path(recipe['path']).name}", "data": d, "model": m},
        "metrics": {
            "check": f"{d['content']} in the style of {d['style']}, {d['size']} px, {d['steps']} "
            "Adam steps from the photo",
            "style_distance_photo": before,
            "style_distance_result": after,
            "style_distance_ratio": after / before,
            "loss_first_last": [float(history[0, 0]), float(history[-1, 0])],
            "seconds_per_step": seconds / d["steps"],
        },
        "versions": {"keras": keras.__version__},
    }
    return model, packaging.write_package(model, card, run_dir, publish_to)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    return train(recipe, run_dir, data_dir, publish_to=publish_to, verbose=0)


def summary(card):
    ratio = card["metrics"]["style_distance_ratio"]
    return f"{card['name']}: style distance {ratio:.1%} of the photo's on the check pair"
