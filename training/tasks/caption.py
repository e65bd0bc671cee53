"""Training captioners (`zoo.models.Captioner`) on Flickr8k's standard
split, or on a user's own photos (`data.files`: an image folder and a CSV
of image,caption; `zoo train caption --data photos/ captions.csv`), from
cached VGG19 region features (training.data.features): the decoder never
sees pixels, so an epoch costs only the decoder's steps. `train.fine_tune`
starts from a captioner as it is."""

import csv
import gzip
import hashlib
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from training.core import fit as fitting
from training.core import held_out, own_data, packaging, runner
from training.core.paths import vgg_weights_in
from training.core.recipe import with_epochs
from training.data import features, text_data, user_files
from training.metrics import caption_metrics
from training.tasks.seq2seq import ScheduledSampling
from zoo import package_files, words
from zoo.images import read_image
from zoo.models import Captioner, regions
from zoo.models.captioner import caption_vocabulary

# Every key a captioning recipe may set, with its default.
DEFAULTS = {
    "name": None,
    "task": "caption",
    "description": "",
    "data": {
        "dataset": "flickr8k",
        "vgg_weights": "vgg19_notop.weights.h5",
        "min_count": 5,
        "batch_size": 64,
        # A user's own photos (instead of `dataset`): [image folder, captions table].
        "files": [],
        "validation_files": [],  # a captions table of the same folder; none: a share
        "test_files": [],
        "validation_share": 0.1,  # of the images, drawn with `seed`
        "seed": 0,
        "image_column": "image",
        "text_column": "caption",
    },
    "model": {
        "cell": "lstm",
        "units": 512,
        "embedding_dim": 256,
        "attention": "soft",
        "attention_units": 256,
        "memory_dim": 512,
        "dropout": 0.5,
        "attention_penalty": 1.0,
        "max_length": 24,
        "cell_options": {},
    },
    "train": {
        "epochs": 10,
        "learning_rate": 1e-3,
        "final_learning_rate": 5e-5,
        "clipnorm": 5.0,
        "seed": 0,
        "scheduled_sampling": "none",
        "max_sampling": 0.0,
        "fine_tune": "",  # a captioner to go on training as it is ([model] is ignored)
        "patience": 0,  # stop after this many epochs without a better val_loss (0: never)
    },
}

FLICKR_NAME = "Flickr8k (Hodosh et al., JAIR 2013), standard 6,000 / 1,000 / 1,000 image split"
FLICKR_TERMS = "non-commercial research use (Flickr8k terms); images (c) their Flickr owners"
COCO_NAME = "COCO-MINI: the 159 captioned MS-COCO 2017 images (Lin et al., ECCV 2014)"
COCO_TERMS = "annotations CC BY 4.0; images under their Flickr licences"
SPLIT_RULE = (
    "the standard Flickr8k split (Flickr_8k.{train,dev,test}Images.txt), as in Show and Tell "
    "and Show, Attend and Tell; dev is the validation set; training drops captions over the "
    "model's max_length - 1 words"
)


def read_captions(path):
    """{image name: [captions]} of a captions.csv.gz (`image,caption`)."""
    out = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["image"], []).append(row["caption"])
    return out


class Prepared:
    """The split's images and captions, the vocabulary and the cached
    region features (computed first if missing: see training.data.features)."""

    def __init__(self, recipe, data_dir=None, epochs=None):
        d = recipe["data"]
        self.recipe = with_epochs(recipe, epochs)
        self.epochs = self.recipe["train"]["epochs"]
        if d["files"]:
            self.images, self.captions, self.features = user_photos(d)
        else:
            root = text_data.data_dir(data_dir) / d["dataset"]
            captions = read_captions(root / "captions.csv.gz")
            self.images = {p: features.split_names(root, p) for p in ("train", "dev", "test")}
            self.captions = {p: [captions[n] for n in names] for p, names in self.images.items()}
            self.features = None
        self.base = own_data.load_base(self.recipe["train"]["fine_tune"], Captioner)
        if self.base is not None:  # fine-tuning keeps the words it knows
            self.vocabulary = self.base.vocabulary
        else:
            train_texts = [c for cs in self.captions["train"] for c in cs]
            self.vocabulary = caption_vocabulary(train_texts, d["min_count"])
        if self.features is None:
            self.features = cached_features(
                text_data.data_dir(data_dir), d["dataset"], d["vgg_weights"]
            )
        self.train = encoded(
            self.images["train"],
            self.captions["train"],
            self.vocabulary,
            self.model_options()["max_length"],
        )
        self.steps = len(self.train[1]) // d["batch_size"]
        if self.steps < 1:
            raise ValueError(
                f"{len(self.train[1])} training captions make no batch of {d['batch_size']}"
            )

    def model_options(self):
        """[model] of the recipe, or the fine-tuned base's architecture."""
        return own_data.model_options(self.recipe, self.base)


def user_photos(d):
    """({split: image paths}, {split: [captions of each]}, {path: regions})
    of the user's folder and captions tables; every photo is read before
    training (an unreadable one is named with its line), then its VGG19
    regions cached once, keyed by the folder and its image list."""
    folders = [Path(f) for f in d["files"] if Path(f).is_dir()]
    tables = [f for f in d["files"] if not Path(f).is_dir()]
    if len(folders) != 1 or len(tables) != 1:
        raise ValueError("caption data is an image folder and a captions table: --data DIR FILE")
    folder = folders[0]

    def read(paths):
        table, lines = user_files.read_table(paths[0], (d["image_column"], d["text_column"]))
        user_files.check_texts(paths[0], table[d["text_column"]], lines, d["text_column"])
        out = {}
        for name, caption, line in zip(*table.values(), lines, strict=True):
            path = folder / name
            try:
                read_image(path)
            except (OSError, ValueError) as error:
                raise ValueError(f"{paths[0]} line {line}: image {name}: {error}") from None
            out.setdefault(str(path), []).append(caption)
        return out

    splits = {"train": read(tables)}
    if d["validation_files"]:
        splits["dev"] = read(d["validation_files"])
    else:
        names = list(splits["train"])
        held = user_files.hold_out(len(names), d["validation_share"], d["seed"])
        splits["dev"] = {n: splits["train"].pop(n) for n, h in zip(names, held, strict=True) if h}
    if d["test_files"]:
        splits["test"] = read(d["test_files"])
    paths = sorted({p for part in splits.values() for p in part})
    stamps = [f"{p} {Path(p).stat().st_size} {Path(p).stat().st_mtime_ns}" for p in paths]
    key = hashlib.sha256("\n".join(stamps).encode()).hexdigest()[:16]  # a changed photo: new
    weights = vgg_weights_in(text_data.data_dir(), d["vgg_weights"])
    cache = features.extract(paths, features.cache_root() / "own" / key, weights)
    table = dict(zip(paths, features.load(cache).values(), strict=True))
    return (
        {part: list(rows) for part, rows in splits.items()},
        {part: list(rows.values()) for part, rows in splits.items()},
        table,
    )


def cached_features(data_dir, dataset, vgg_weights):
    """{image: regions} from the cache, extracting whatever is missing."""
    folder = features.cache_root() / dataset
    paths = features.images_of(data_dir, dataset)
    features.extract(paths, folder, vgg_weights_in(data_dir, vgg_weights))
    return features.load(folder)


def encoded(images, captions, vocabulary, max_length):
    """(image names, caption ids) of every caption of at most max_length - 1
    words (one step is left for END), in split order."""
    ids = words.WordVocabulary(vocabulary)
    names, rows = [], []
    for name, texts in zip(images, captions, strict=True):
        for text in texts:
            tokens = words.tokenize(text)
            if 0 < len(tokens) < max_length:
                names.append(name)
                rows.append(ids.ids(tokens))
    return names, rows


def arrays(rows, start=2, end=3, pad=0):
    """Decoder inputs (START + words) and targets (words + END), (N, L) padded."""
    longest = max(len(r) for r in rows) + 1
    inputs = np.full((len(rows), longest), pad, np.int32)
    targets = inputs.copy()
    for i, row in enumerate(rows):
        inputs[i, : len(row) + 1] = [start, *row]
        targets[i, : len(row) + 1] = [*row, end]
    return inputs, targets


def batch_at(table, names, rows, order):
    """One batch: ((regions float32 (B, 196, 512), decoder inputs), targets)."""
    inputs, targets = arrays([rows[i] for i in order])
    stacked = np.stack([table[names[i]] for i in order]).astype("float32")
    return (stacked, inputs), targets


def epoch_order(count, seed, epoch):
    """A permutation keyed by (seed, epoch) alone, so resuming replays it."""
    return np.random.default_rng([seed, epoch]).permutation(count)


# Batches cut from pools of this many, sorted by caption length: a batch
# pads to its longest caption, 22.2 steps on average for random batches of
# 64 Flickr8k captions against 13.2 so (the decoder's cost is per step).
LENGTH_POOL = 20


def epoch_batches(rows, batch_size, seed, epoch, pool=LENGTH_POOL):
    """One epoch's batches (index arrays), keyed by (seed, epoch) alone:
    the epoch's permutation, whole batches only, cut into pools of `pool`
    batches, each pool sorted by length and cut into batches, which are
    then shuffled (pool=1: plain random batches)."""
    order = epoch_order(len(rows), seed, epoch)
    order = order[: len(order) - len(order) % batch_size]
    lengths = np.array([len(r) for r in rows])
    cut = []
    for i in range(0, len(order), batch_size * pool):
        part = order[i : i + batch_size * pool]
        part = part[np.argsort(lengths[part], kind="stable")]
        cut += [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
    return [cut[k] for k in np.random.default_rng([seed, epoch, 1]).permutation(len(cut))]


SIGNATURE = (
    (
        tf.TensorSpec((None, regions.REGIONS, regions.DEPTH), tf.float32),
        tf.TensorSpec((None, None), tf.int32),
    ),
    tf.TensorSpec((None, None), tf.int32),
)


def batches(table, names, rows, batch_size, seed=None, epochs=1, start_epoch=0, pool=LENGTH_POOL):
    """Shuffled, length-pooled training batches of epochs start_epoch..
    (seed given; epoch_batches), or one ordered pass (seed None, e.g.
    validation)."""

    def generate():
        if seed is None:
            for i in range(0, len(rows), batch_size):
                yield batch_at(table, names, rows, range(i, min(i + batch_size, len(rows))))
            return
        for epoch in range(start_epoch, epochs):
            for order in epoch_batches(rows, batch_size, seed, epoch, pool):
                yield batch_at(table, names, rows, order)

    ds = tf.data.Dataset.from_generator(generate, output_signature=SIGNATURE)
    if seed is None:
        ds = ds.apply(tf.data.experimental.assert_cardinality(-(-len(rows) // batch_size)))
    return ds.prefetch(4)


def new_model(recipe, vocabulary, vgg_weights=None):
    m = recipe["model"]
    model = Captioner(
        vocabulary,
        cell=m["cell"],
        units=m["units"],
        embedding_dim=m["embedding_dim"],
        attention=m["attention"],
        attention_units=m["attention_units"],
        memory_dim=m["memory_dim"],
        dropout=m["dropout"],
        attention_penalty=m["attention_penalty"],
        max_length=m["max_length"],
        cell_options=m["cell_options"],
        vgg_weights=vgg_weights,
        seed=recipe["train"]["seed"],
    )
    model.build()
    return model


def blank_model(data):
    """A new model of the run's architecture and vocabulary."""
    if data.base is None:
        return new_model(data.recipe, data.vocabulary)
    return package_files.rebuilt(data.base, vgg_weights=None)


def build_model(data):
    """The model to train, compiled: the fine-tuned base, else a new one;
    the loss is Captioner.compile_defaults' (cross-entropy, PAD ignored)."""
    model = data.base if data.base is not None else new_model(data.recipe, data.vocabulary)
    model.compile(optimizer=fitting.cosine_adam(data.recipe["train"], data.steps))
    return model


def train(recipe, run_dir, data_dir=None, epochs=None, **options):
    """Train `recipe` in `run_dir` (resumable); write the package
    (`runner.run_prepared`'s options). -> (model, card)"""
    data = Prepared(recipe, data_dir, epochs)
    sampling = ScheduledSampling.of(data)  # an unknown schedule fails here, before any work
    return runner.run_prepared(
        data,
        build_model,
        pipelines,
        model_card,
        run_dir,
        unit="nats/word",
        task_callbacks=[sampling],
        **options,
    )


def pipelines(data, start_epoch):
    """(training batches from start_epoch on, validation batches)."""
    d, seed = data.recipe["data"], data.recipe["train"]["seed"]
    train_batches = batches(
        data.features, *data.train, d["batch_size"], seed, data.epochs, start_epoch
    )
    max_length = data.model_options()["max_length"]
    dev = encoded(data.images["dev"], data.captions["dev"], data.vocabulary, max_length)
    return train_batches, batches(data.features, *dev, d["batch_size"])


def package_run(recipe, run_dir, data_dir=None, epochs=None, publish_to=None):
    """The package of a finished run, from its best weights; no training."""
    data = Prepared(recipe, data_dir, epochs)
    return packaging.package_prepared(blank_model(data), data, model_card, run_dir, publish_to)


def evaluate(model, table, images, references, beam_width=1):
    """BLEU-1..4 and CIDEr-D of the model's captions of `images` (names in
    `table`), against their reference captions; and ms per image."""
    began = time.perf_counter()
    stacked = np.stack([table[n] for n in images]).astype("float32")
    captions = model.caption_features(stacked, beam_width)
    ms = 1000 * (time.perf_counter() - began) / len(images)
    return {**caption_metrics.scores(captions, references), "decoder_ms_per_image": round(ms, 2)}


def metrics(data, model):
    """Flickr8k test and COCO-MINI, greedy and beam 3; dev greedy."""
    root = text_data.data_dir() / "coco_mini"
    coco = read_captions(root / "captions.csv.gz")
    coco_table = cached_features(
        text_data.data_dir(), "coco_mini", data.recipe["data"]["vgg_weights"]
    )
    sets = {
        "test": (data.features, data.images["test"], data.captions["test"]),
        "coco_mini": (coco_table, list(coco), list(coco.values())),
    }
    out = {}
    for name, (table, images, refs) in sets.items():
        for width in (1, 3):
            suffix = "" if width == 1 else f"_beam{width}"
            for k, v in evaluate(model, table, images, refs, width).items():
                out[f"{name}_{k}{suffix}"] = v
    out["check_subset"] = pixel_check(model, data)
    dev = evaluate(model, data.features, data.images["dev"], data.captions["dev"])
    out.update({f"validation_{k}": v for k, v in dev.items() if k != "decoder_ms_per_image"})
    out["evaluation"] = caption_metrics.DESCRIPTION
    return out


CHECK_IMAGES = 40  # photos CI re-captions from their files (about 0.2 s each)


def pixel_check(model, data, count=CHECK_IMAGES):
    """Greedy BLEU-4 and CIDEr-D of the first `count` test images captioned
    from their files (float32 features, the whole Captioner.caption path):
    what a test re-computes without the feature cache."""
    names = data.images["test"][:count]
    folder = text_data.data_dir() / data.recipe["data"]["dataset"] / "images"
    model.vgg_weights = vgg_weights_in(text_data.data_dir(), data.recipe["data"]["vgg_weights"])
    try:
        photos = [read_image(folder / n) for n in names]
        captions = model.caption(photos, 1, length_penalty=0.0, no_repeat_ngram_size=0)
    finally:
        model.vgg_weights = None  # the package names no local file
    scores = caption_metrics.scores(captions, data.captions["test"][:count])
    return {
        "images": f"the first {count} of test_images.txt, from their files, greedy",
        "bleu4": scores["bleu4"],
        "cider": scores["cider"],
    }


EXTERNAL_WEIGHTS = (
    "the VGG19 ImageNet encoder is not shipped (80 MB): "
    "vgg_weights='imagenet', a file path, or $ZOO_VGG19_WEIGHTS"
)


def model_card(data, model, history, distribute, mixed_precision):
    recipe = data.recipe
    card = packaging.common_card(recipe, model, history, data.steps, distribute, mixed_precision)
    if recipe["data"]["files"]:
        return user_card(card, data, model)
    return {
        **card,
        "dataset": {
            "name": FLICKR_NAME,
            "terms": FLICKR_TERMS,
            "splits": {part: len(names) for part, names in data.images.items()},
            "captions_trained": len(data.train[1]),
            "split_rule": SPLIT_RULE,
            "images": "Flickr8k as shipped in ../shared/data: squashed to 224 x 224 by their "
            "source (aspect ratio not kept), JPEG q75",
            "cross_dataset_test": {"name": COCO_NAME, "terms": COCO_TERMS},
        },
        "external_weights": EXTERNAL_WEIGHTS,
        "metrics": metrics(data, model),
        "architecture": {
            "class": "zoo.models.Captioner",
            "encoder": "VGG19 conv5_4 (196 x 512)",
            **recipe["model"],
        },
    }


def user_card(card, data, model):
    """The card of a run on the user's photos: their files and splits, and
    scores on the user's validation (and test) images only."""
    named = {part: "validation" if part == "dev" else part for part in data.images}
    splits = {named[part]: images for part, images in data.images.items()}
    scores = {
        f"{named[part]}_{k}": v
        for part in ("dev", "test")
        if part in data.images
        for k, v in evaluate(model, data.features, data.images[part], data.captions[part]).items()
    }
    return {
        **card,
        "description": card["description"] or "Captioner trained on the user's photos",
        "recipe": own_data.applied_recipe(
            card["recipe"], ("dataset", "vgg_weights"), data.model_options()
        ),
        "dataset": own_data.dataset_card(
            data.recipe["data"],
            splits,
            "a share of the images (all their captions) drawn with the recipe's seed",
            captions_trained=len(data.train[1]),
        ),
        "external_weights": EXTERNAL_WEIGHTS,
        "metrics": {**scores, "evaluation": caption_metrics.DESCRIPTION + "; greedy"},
        "architecture": {"class": "zoo.models.Captioner", **data.model_options()},
        **own_data.base_card(data.base),
    }


def summary(card):
    m = card["metrics"]
    keys = ("test_bleu4", "test_cider", "test_bleu4_beam3", "coco_mini_bleu4", "coco_mini_cider")
    keys += ("validation_bleu4", "validation_cider") if "coco_mini_cider" not in m else ()
    return f"{card['name']}: " + ", ".join(f"{k} {m[k]:.2f}" for k in keys if k in m)


CALIBRATION_PHOTOS = 8  # training photos int8 calibration reads, at 224 px


def held_out_judge(model, recipe, data_dir=None):
    """The int8 gate's measure (training.core.held_out): greedy BLEU-4 and
    CIDEr-D of the first CHECK_IMAGES test photos captioned from their
    files (the card's check_subset); calibration on training photos."""
    d = recipe["data"]
    root = text_data.data_dir(data_dir) / d["dataset"]
    captions = read_captions(root / "captions.csv.gz")
    names = features.split_names(root, "test")[:CHECK_IMAGES]
    photos = [read_image(root / "images" / n) for n in names]
    refs = [captions[n] for n in names]
    train = features.split_names(root, "train")[:CALIBRATION_PHOTOS]
    calibration = tuple(_squashed(read_image(root / "images" / n)) for n in train)

    def score(m):
        got = caption_metrics.scores(m.caption(photos, beam_width=1), refs)
        return {"bleu4": got["bleu4"], "cider": got["cider"]}

    return held_out.Judge(
        f"the first {len(names)} of {d['dataset']}'s test photos, greedy",
        {"bleu4": (True, held_out.POINTS), "cider": (True, held_out.POINTS)},
        score,
        calibration,
    )


def _squashed(photo):
    return np.asarray(regions.squash(photo).round(), np.uint8)
