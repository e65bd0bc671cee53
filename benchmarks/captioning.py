"""Image captioning: soft attention against Show and Tell (no attention)
and nearest-neighbour retrieval (Devlin et al. 2015), on the 1,000
Flickr8k test images and the 159 COCO-MINI images (BLEU-1..4, CIDEr-D),
and the speed of the encoder (VGG19 + projection) and of the decoder,
Keras against onnxruntime, measured side by side in one run.

    python -m benchmarks.captioning [--baseline runs/caption-flickr8k-no-attention/model]
        [--images 50] [--tables quality|speed]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import zoo  # noqa: E402
from training.core.recipe import load_recipe  # noqa: E402
from training.data import features  # noqa: E402
from training.data.text_data import data_dir  # noqa: E402
from training.metrics import (
    caption_metrics,  # noqa: E402
    retrieval,  # noqa: E402
)
from training.tasks import caption  # noqa: E402
from zoo.images import read_image  # noqa: E402

NAME = "caption-flickr8k"


def test_sets(data):
    """{set: (feature table, image names, reference lists)}."""
    coco = caption.read_captions(data_dir() / "coco_mini" / "captions.csv.gz")
    coco_table = caption.cached_features(data_dir(), "coco_mini", "vgg19_notop.weights.h5")
    return {
        "Flickr8k test": (data.features, data.images["test"], data.captions["test"]),
        "COCO-MINI": (coco_table, list(coco), list(coco.values())),
    }


def quality(models, baseline, sets):
    print("| test set | model | decoding | BLEU-1 | BLEU-2 | BLEU-3 | BLEU-4 | CIDEr-D |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for set_name, (table, images, refs) in sets.items():
        rows = [("retrieval (k = 10, consensus)", "-", baseline.caption(table, images))]
        for label, model in models.items():
            stacked = np.stack([table[n] for n in images]).astype("float32")
            for width in (1, 3):
                how = "greedy" if width == 1 else f"beam {width}"
                rows.append((label, how, model.caption_features(stacked, width)))
        for label, how, captions in rows:
            s = caption_metrics.scores(captions, refs)
            cells = " | ".join(f"{s[k]:.2f}" for k in ("bleu1", "bleu2", "bleu3", "bleu4", "cider"))
            print(f"| {set_name} | {label} | {how} | {cells} |")


def speed(model, photos):
    """ms per image: the encoder (VGG19 + projection) and the decoder
    (greedy and beam 3), Keras against ORT, one image per call."""
    from exports import export
    from serving import OnnxModel

    with tempfile.TemporaryDirectory() as out:
        runtime = OnnxModel(export(model, out, formats=("onnx",), check=False))
        keras_encode = lambda p: model.features([p])  # noqa: E731
        ort_encode = lambda p: runtime.run("encoder", {"image": p[None]})  # noqa: E731
        times = [_timed(f, photos) for f in (keras_encode, ort_encode)]
        print(
            f"\n| one image per call, {len(photos)} Flickr8k test photos | Keras ms | ORT ms "
            "| Keras / ORT |"
        )
        print("|---|---:|---:|---:|")
        _row("encoder (VGG19 conv5_4 + projection)", times)
        features = model.features(photos)
        encoded = [runtime.encode_images([p]) for p in photos]
        for width in (1, 3):
            keras_decode = lambda f, w=width: model.caption_features(f[None], w)  # noqa: E731
            ort_decode = lambda e, w=width: runtime.captions_of(e, w)  # noqa: E731
            times = [_timed(keras_decode, features), _timed(ort_decode, encoded)]
            _row(f"decoder, {'greedy' if width == 1 else f'beam {width}'}", times)


def _row(label, times):
    print(f"| {label} | {times[0]:.1f} | {times[1]:.1f} | {times[0] / times[1]:.2f}x |")


def _timed(fn, items):
    fn(items[0])  # compile / warm up
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) * 1e3 / len(items)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    baseline = "runs/caption-flickr8k-no-attention/model"
    parser.add_argument("--baseline", default=baseline, help="the no-attention package")
    parser.add_argument("--images", type=int, default=50, help="for the speed table")
    parser.add_argument(
        "--tables",
        choices=("all", "quality", "speed"),
        default="all",
        help="quality needs the feature cache and the baseline; speed needs neither",
    )
    args = parser.parse_args(argv)
    model = zoo.load(NAME)
    model.vgg_weights = model.vgg_weights or str(data_dir() / "vgg19_notop.weights.h5")
    if args.tables != "speed":
        quality_tables(model, args.baseline)
    if args.tables != "quality":
        root = data_dir() / load_recipe(NAME)["data"]["dataset"]
        names = features.split_names(root, "test")[: args.images]
        speed(model, [read_image(root / "images" / n) for n in names])


def quality_tables(model, baseline):
    if not Path(baseline).is_dir():  # trained by its recipe, not shipped
        sys.exit(f"no baseline at {baseline}: python -m training caption-flickr8k-no-attention")
    models = {"soft attention": model, "no attention": zoo.load_path(baseline)}
    data = caption.Prepared(load_recipe(NAME))
    nearest = retrieval.Retrieval(data.features, data.images["train"], data.captions["train"])
    quality(models, nearest, test_sets(data))


if __name__ == "__main__":
    main()
