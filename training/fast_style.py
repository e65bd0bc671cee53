"""Training feed-forward style networks (`zoo.models.FastStyle`) from a
recipe: one network per painting, the VGG19 perceptual loss of Gatys et al.
as Johnson et al. train it, on augmented crops of the content photos.
Validation: the same loss on held-out photos, whole, at a fixed size."""

from pathlib import Path

import keras
import tensorflow as tf

from training import fit as fitting
from training import image_data, packaging
from training.recipe import with_epochs
from training.text_data import data_dir as default_data_dir
from zoo.images import read_image
from zoo.models import vgg
from zoo.models.fast_style import FastStyle
from zoo.models.style_transfer import resize_longer


class PerceptualTrainer(keras.Model):
    """Trains `net` to minimise `loss` (a vgg.Perceptual) against fixed
    style Grams; each batch is its own content target. Only the net's
    weights are tracked: VGG19 is frozen and never checkpointed."""

    def __init__(self, net, loss, style_grams, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.perceptual = loss  # plain object: not tracked, not saved
        self.grams = [tf.constant(g) for g in style_grams]
        self.built = True  # the net is built; VGG19 has no trainable state

    def call(self, images, training=False):
        return self.net(images, training=training)

    def _terms(self, images, training):
        target = self.perceptual.content_target(images)
        total, c, s, tv = self.perceptual(self.net(images, training=training), target, self.grams)
        return total, {"loss": total, "content": c, "style": s, "tv": tv}

    def train_step(self, images):
        with tf.GradientTape() as tape:
            total, logs = self._terms(images, True)
        variables = self.net.trainable_variables
        self.optimizer.apply(tape.gradient(total, variables), variables)
        return logs

    def test_step(self, images):
        return self._terms(images, False)[1]


def perceptual_loss(recipe, data_dir):
    lo = recipe["loss"]
    weights = Path(data_dir) / recipe["data"]["vgg_weights"]
    return vgg.Perceptual(weights, lo["content_layer"], lo["style_layers"],
                          lo["content_weight"], lo["style_weight"], lo["tv_weight"])  # fmt: skip


def style_grams(recipe, loss, data_dir):
    d = recipe["data"]
    painting = resize_longer(read_image(Path(data_dir) / d["style"]), d["style_size"])
    return [keras.ops.convert_to_numpy(g) for g in loss.style_target(painting[None])]


def new_trainer(recipe, data_dir):
    """A fresh FastStyle inside its PerceptualTrainer, the painting's Grams
    computed once."""
    loss = perceptual_loss(recipe, data_dir)  # first: the shipped nets' seed order
    m = recipe["model"]
    net = FastStyle(m["filters"], m["residual_blocks"], style=recipe["data"]["style"])
    net.build()
    return PerceptualTrainer(net, loss, style_grams(recipe, loss, data_dir))


def train(recipe, run_dir, data_dir=None, epochs=None, distribute="none",
          mixed_precision=False, publish_to=None, verbose=1, callbacks=()):  # fmt: skip
    """Train `recipe` in `run_dir` (resuming if a backup is there); write
    the package to run_dir/model (and `publish_to`). Returns (net, card)."""
    if distribute != "none" or mixed_precision:
        raise ValueError("fast-style recipes train on one device in float32")
    recipe = with_epochs(recipe, epochs)
    d, t = recipe["data"], recipe["train"]
    data_dir = default_data_dir(data_dir)
    keras.utils.set_random_seed(t["seed"])
    trainer = new_trainer(recipe, data_dir)
    trainer.compile(optimizer=keras.optimizers.Adam(t["learning_rate"]))
    start = fitting.resume_epoch(run_dir) * t["steps_per_epoch"]
    train_ds = image_data.training_batches(
        [data_dir / p for p in d["content"]], d["crop"], d["batch_size"], t["seed"],
        d["max_zoom"], d["jitter"], start_step=start)  # fmt: skip
    val_ds = image_data.evaluation_batches([data_dir / p for p in d["validation"]], d["crop"])
    history = fitting.fit(trainer, train_ds, val_ds, run_dir, t["epochs"], t["steps_per_epoch"],
                          verbose=verbose, callbacks=callbacks, unit="perceptual loss")  # fmt: skip
    card = model_card(recipe, trainer, history, data_dir)
    return trainer.net, packaging.write_package(trainer.net, card, run_dir, publish_to)


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights."""
    recipe = with_epochs(recipe, epochs)
    data_dir = default_data_dir(data_dir)
    trainer = new_trainer(recipe, data_dir)
    trainer.load_weights(Path(run_dir) / fitting.BEST)
    card = model_card(recipe, trainer, fitting.read_history(run_dir), data_dir)
    return trainer.net, packaging.write_package(trainer.net, card, run_dir, publish_to)


def style_distances(trainer, paths):
    """For each held-out photo at its size: the weighted style loss to the
    painting of the photo itself and of the network's output."""
    net, loss, grams = trainer.net, trainer.perceptual, trainer.grams
    rows = {}
    for path in paths:
        photo = read_image(path).astype("float32")[None]
        before = float(loss.style_distance(photo, grams))
        after = float(loss.style_distance(net.stylize(photo[0])[None].astype("float32"), grams))
        rows[Path(path).name] = {"photo": before, "stylized": after, "ratio": after / before}
    return rows


def model_card(recipe, trainer, history, data_dir):
    card = packaging.common_card(recipe, trainer.net, history, recipe["train"]["steps_per_epoch"],
                                 "none", False)  # fmt: skip
    d = recipe["data"]
    card["data"] = {
        "style": d["style"],
        "content": d["content"],
        "validation": d["validation"],
        "note": (
            f"Trained on {len(d['content'])} content photos only (../shared/data/content), "
            "made into endless random crops by rescaling, flipping and colour jitter. Expect "
            "it to generalise less than networks trained on COCO's 80,000 photos."
        ),
    }
    held_out = [Path(data_dir) / p for p in d["validation"]]
    card["metrics"] = {"validation_style_distance": style_distances(trainer, held_out)}
    return card


def summary(card):
    rows = card["metrics"]["validation_style_distance"].values()
    ratio = max(row["ratio"] for row in rows)
    return f"{card['name']}: held-out style distance at most {ratio:.1%} of the unstyled photo's"
