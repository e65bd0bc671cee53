"""Training feed-forward style networks (`zoo.models.FastStyle`) from a
recipe: one network per painting, the VGG19 perceptual loss as Johnson et
al. train it, on augmented crops of the content photos.

The network is compiled with the perceptual loss as an ordinary Keras loss
(y_true: the photos, y_pred: the network's output), so Keras' own train
step runs it on any backend. With TensorFlow the crops come through
tf.data; without it (a JAX GPU host) from the same numpy function
(training.data.crops): same crops, same weights file. Validation: the same loss
on held-out photos, whole, at a fixed size.
"""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from training.core import fit as fitting
from training.core import held_out, own_data, packaging
from training.core.paths import data_dir as default_data_dir
from training.core.paths import vgg_weights_in
from training.core.recipe import with_epochs
from training.data import crops, user_files
from training.metrics import style_quality
from zoo import package_files
from zoo.images import read_image
from zoo.models import vgg
from zoo.models.fast_style import FastStyle
from zoo.models.regions import fit_longer

# Every key a fast-style recipe may set, with its default. Paths are under
# the data folder (../shared/data or --data-dir).
DEFAULTS = {
    "name": None,
    "task": "fast-style",
    "description": "",
    "data": {
        "style": "",
        "style_size": 256,
        "content": [],
        "validation": [],
        "vgg_weights": "vgg19_notop.weights.h5",
        "crop": 192,
        "batch_size": 4,
        "max_zoom": 2.0,
        "jitter": 0.1,
        # {content pattern: width factor}: undoes a source's squash
        "content_aspect": {},
        # held-out photos (a glob) measured for the card; the first
        # check_photos of them are re-measured by the tests
        "test": "",
        "check_photos": 8,
        # your own images (zoo train fast-style --data PAINTING PHOTOS...,
        # files or folders): they stand for style, content, validation, test
        "files": [],
        "validation_files": [],
        "test_files": [],
        "validation_share": 0.1,
    },
    "model": {
        "filters": [32, 64, 128],
        "residual_blocks": 5,
        "activation": "tanh",
        "norm": "instance",
        "up_norm": "",  # the upsampling path's normalisation, where not `norm`
    },
    "loss": {
        "content_layer": "block4_conv2",
        "style_layers": {f"block{i}_conv1": 0.2 for i in range(1, 6)},
        # The shipped networks' value. Gatys' alpha/beta = 1e-3 suits an image
        # that starts as the photo; a network starts from nothing, and at
        # 1e-3 it paints the style over the photo's content.
        "content_weight": 2e-2,
        "style_weight": 1.0,
        "tv_weight": 1e-4,
    },
    "train": {
        "epochs": 10,
        "steps_per_epoch": 100,
        "learning_rate": 2e-3,
        "seed": 0,
        "fine_tune": "",  # a network to go on training ([model] is ignored)
        "patience": 0,  # stop after this many epochs without a better val_loss (0: never)
        "xla": True,  # compile the train step (1.24-1.34x faster here: benchmarks.style_training)
    },
}
# Left off the card's recipe with your files: what they stand for, and a
# weights file's local path.
UNUSED_WITH_FILES = ("style", "content", "validation", "test", "content_aspect", "vgg_weights")


class PerceptualLoss(keras.losses.Loss):
    """Content + style + TV loss of stylised images (y_pred) against their
    own photos (y_true) and the painting's fixed Grams. VGG19 is frozen and
    not tracked by the network, so it is never checkpointed."""

    def __init__(self, perceptual, style_grams):
        super().__init__(name="perceptual")
        self.perceptual = perceptual
        self.grams = [np.asarray(g, "float32") for g in style_grams]

    def call(self, photos, stylized):
        target = ops.stop_gradient(self.perceptual.content_target(photos))
        return self.perceptual(stylized, target, self.grams)[0]


def perceptual_loss(recipe, data_dir):
    lo = recipe["loss"]
    weights = vgg_weights_in(data_dir, recipe["data"]["vgg_weights"])
    return vgg.Perceptual(
        weights,
        lo["content_layer"],
        lo["style_layers"],
        lo["content_weight"],
        lo["style_weight"],
        lo["tv_weight"],
    )


def painting(recipe, data_dir):
    """The painting, its longer side resized to style_size by the same
    matrices on every backend."""
    d = recipe["data"]
    return fit_longer(read_image(Path(data_dir) / d["style"]), d["style_size"])


def new_network(recipe, data_dir, base=None):
    """A FastStyle compiled with its recipe's loss (painting's Grams
    computed once) and Adam: fresh, or a copy of `base` to fine-tune."""
    loss = perceptual_loss(recipe, data_dir)  # first: the shipped nets' seed order
    grams = [ops.convert_to_numpy(g) for g in loss.style_target(painting(recipe, data_dir)[None])]
    m, d = own_data.model_options(recipe, base), recipe["data"]
    net = FastStyle(
        m["filters"],
        m["residual_blocks"],
        style=Path(d["style"]).name if d["files"] else d["style"],
        activation=m["activation"],
        norm=m["norm"],
        up_norm=m["up_norm"] or None,
    )
    net.build()
    if base is not None:
        net.set_weights(base.get_weights())
    net.compile(
        optimizer=keras.optimizers.Adam(recipe["train"]["learning_rate"]),
        loss=PerceptualLoss(loss, grams),
        jit_compile=recipe["train"]["xla"],  # Keras' "auto" left it off under TensorFlow
    )
    return net


def training_crops(recipe, data_dir, start_step=0):
    """(batch, batch) pairs from start_step on: tf.data under TensorFlow,
    a numpy generator elsewhere; the same crops either way."""
    d, seed = recipe["data"], recipe["train"]["seed"]
    photos = crops.expand(d["content"], data_dir, d["content_aspect"])
    args = (photos, d["crop"], d["batch_size"], seed, d["max_zoom"], d["jitter"])
    if keras.backend.backend() == "tensorflow":
        from training.data import image_data

        return image_data.training_batches(*args, start_step=start_step)
    return crops.Crops(*args).batches(start_step)


def validation(recipe, data_dir):
    d = recipe["data"]
    images = crops.whole([Path(data_dir) / p for p in d["validation"]], d["crop"])
    return images, images


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
    """Train `recipe` in `run_dir` (resuming if a backup is there); write
    the package to run_dir/model (and `publish_to`). Returns (net, card)."""
    if distribute != "none" or mixed_precision:
        raise ValueError("fast-style recipes train on one device in float32")
    recipe = with_own_files(with_epochs(recipe, epochs))
    t = recipe["train"]
    data_dir = default_data_dir(data_dir)
    keras.utils.set_random_seed(t["seed"])
    base = own_data.load_base(t["fine_tune"], FastStyle)
    net = new_network(recipe, data_dir, base)
    start = fitting.resume_epoch(run_dir) * t["steps_per_epoch"]
    batches = training_crops(recipe, data_dir, start)
    history = fitting.fit(
        net,
        batches,
        validation(recipe, data_dir),
        run_dir,
        t["epochs"],
        t["steps_per_epoch"],
        verbose=verbose,
        callbacks=[*callbacks, *fitting.early_stopping(t["patience"])],
        unit="perceptual loss",
    )
    return package_net(recipe, net, history, data_dir, run_dir, publish_to, base)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights."""
    recipe = with_own_files(with_epochs(recipe, epochs))
    data_dir = default_data_dir(data_dir)
    base = own_data.load_base(recipe["train"]["fine_tune"], FastStyle)
    net = new_network(recipe, data_dir, base)
    net.load_weights(Path(run_dir) / fitting.BEST)
    history = fitting.read_history(run_dir)
    return package_net(recipe, net, history, data_dir, run_dir, publish_to, base)


def package_net(recipe, net, history, data_dir, run_dir, publish_to, base=None):
    """The network without its loss and optimizer, measured, packaged
    (`base`: the network it was fine-tuned from, if any)."""
    net = package_files.inference_copy(net)
    card = model_card(recipe, net, history, data_dir, base)
    return net, packaging.write_package(net, card, run_dir, publish_to)


def with_own_files(recipe):
    """The recipe with `--data PAINTING PHOTOS...` standing for its style,
    content, validation and test photos (absolute paths), every image read
    first; validation photos given, or a share held out with the seed."""
    d = recipe["data"]
    if not d["files"]:
        return recipe
    painting, *photos = d["files"]
    if Path(painting).is_dir() or not photos:
        raise ValueError("fast-style data is a painting and photos: --data PAINTING PHOTOS...")
    user_files.image_files([painting])
    photos = user_files.image_files(photos)
    if d["validation_files"]:
        validation = user_files.image_files(d["validation_files"])
    elif len(photos) < 2:
        raise ValueError("give two photos or more (one is held out), or --validation PHOTOS")
    else:
        held = user_files.hold_out(len(photos), d["validation_share"], recipe["train"]["seed"])
        validation = [p for p, h in zip(photos, held, strict=True) if h]
        photos = [p for p, h in zip(photos, held, strict=True) if not h]
    resolved = lambda paths: [str(Path(p).resolve()) for p in paths]  # noqa: E731
    own = {
        "style": resolved([painting])[0],
        "content": resolved(photos),
        "validation": resolved(validation),
        "test_files": resolved(user_files.image_files(d["test_files"])),
        "test": "",
        "content_aspect": {},
    }
    return {**recipe, "data": {**d, **own}}


TERMS = {
    "styles/": "public-domain painting",
    "content/": "scikit-image sample photos (public domain / CC0)",
    "bsds500/": "BSDS500 (Martin et al. 2001; Arbelaez et al. 2011): research use (Berkeley)",
    "flickr8k/": "Flickr8k (Hodosh et al. 2013): non-commercial research; images (c) their owners",
}


def terms(patterns):
    return sorted({t for p in patterns for prefix, t in TERMS.items() if p.startswith(prefix)})


def held_out_photos(recipe, data_dir):
    """The card's test photos: your test files, data.test (a glob), else
    the validation photos."""
    d = recipe["data"]
    patterns = d["test_files"] or ([d["test"]] if d["test"] else d["validation"])
    return [p for p, _ in crops.expand(patterns, data_dir)]


def measure(net, recipe, data_dir):
    """Style, content and blob measures on every held-out photo, their
    summary, and the summary over the first check_photos (what tests re-check)."""
    photos = held_out_photos(recipe, data_dir)
    painting_image = read_image(Path(data_dir) / recipe["data"]["style"])
    weights = vgg_weights_in(data_dir, recipe["data"]["vgg_weights"])
    rows, summary = style_quality.evaluate(net.stylize, painting_image, photos, weights)
    check = dict(list(rows.items())[: recipe["data"]["check_photos"]])
    return {"held_out": summary, "check": style_quality.summarise(check), "per_photo": rows}


def model_card(recipe, net, history, data_dir, base=None):
    card = packaging.common_card(
        recipe, net, history, recipe["train"]["steps_per_epoch"], "none", False
    )
    d = recipe["data"]
    photos = crops.expand(d["content"], data_dir, d["content_aspect"])
    if d["files"]:
        return own_files_card(card, recipe, net, photos, data_dir, base)
    card["data"] = {
        "style": d["style"],
        "content": d["content"],
        "content_photos": len(photos),
        "content_aspect": d["content_aspect"],
        "validation": d["validation"],
        "test": d["test"] or d["validation"],
        "terms": terms([d["style"], *d["content"], d["test"], *d["validation"]]),
        "note": (
            f"Trained on random crops of {len(photos)} photos (rescaled, flipped, colour-"
            "jittered); measured on held-out photos never seen in training."
        ),
    }
    card["metrics"] = measure(net, recipe, data_dir)
    return card


def own_files_card(card, recipe, net, photos, data_dir, base):
    """The card of a network trained on your images: their names and
    counts, and measures on your held-out photos, and nothing else."""
    d, seed = recipe["data"], recipe["train"]["seed"]
    splits = {"train": photos, "validation": d["validation"], "test": d["test_files"]}
    share = f"a {d['validation_share']:.0%} share of the photos drawn with seed {seed}"
    return {
        **card,
        "description": card["description"] or f"Fast style network for {Path(d['style']).name}",
        "recipe": own_data.applied_recipe(
            card["recipe"], UNUSED_WITH_FILES, {k: net.get_config()[k] for k in recipe["model"]}
        ),
        "dataset": own_data.dataset_card(
            d, {k: v for k, v in splits.items() if v}, share, painting=Path(d["style"]).name
        ),
        "metrics": measure(net, recipe, data_dir),
        **own_data.base_card(base),
    }


def summary(card):
    m = card["metrics"]["held_out"]
    return (
        f"{card['name']}: on {m['photos']} held-out photos, style distance "
        f"{m['mean_style']:.1%} of the photo's (worst {m['max_style']:.1%}), largest blob "
        f"{m['max_blob']:.2%} of the image at worst"
    )


CALIBRATION_PHOTOS = 8  # training photos int8 calibration reads, longer side 256 px


def held_out_judge(net, recipe, data_dir=None):
    """The int8 gate's measure (training.core.held_out): mean style distance
    and largest blob (% of the photo) on the card's check photos (the
    first check_photos held-out photos); calibration on content photos."""
    data_dir = default_data_dir(data_dir)
    d = recipe["data"]
    metrics = (getattr(net, "card", None) or {}).get("metrics", {})
    if "held_out_photos" in metrics:  # what the card measured (a recipe may name none)
        found = sorted(Path(data_dir).glob(metrics["held_out_photos"]))
        photos = found[: metrics["check"]["photos"]]
    else:
        photos = held_out_photos(recipe, data_dir)[: d["check_photos"]]
    names = [Path(p).name for p in photos]
    painting_image = read_image(Path(data_dir) / d["style"])
    weights = vgg_weights_in(data_dir, d["vgg_weights"])
    content = crops.expand(d["content"], data_dir, d["content_aspect"])[:CALIBRATION_PHOTOS]
    calibration = tuple(
        np.asarray(fit_longer(read_image(p), 256).round(), np.uint8) for p, _ in content
    )

    def score(m):
        _, summary = style_quality.evaluate(m.stylize, painting_image, photos, weights)
        return {"style": 100 * summary["mean_style"], "blob": 100 * summary["mean_blob"]}

    return held_out.Judge(
        f"the card's check photos: the first {len(photos)} held out ({', '.join(names)})",
        {"style": (False, held_out.POINTS), "blob": (False, held_out.POINTS)},
        score,
        calibration,
    )
