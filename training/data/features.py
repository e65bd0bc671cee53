"""VGG19 region features computed once and cached on disk (float16),
outside the repository: the captioner's decoder trains on these, never on
pixels.

    python -m training.data.features flickr8k      # resumable: finished chunks are kept
    python -m training.data.features coco_mini

The cache lives in $ZOO_CACHE (default ~/.cache/zoo)/features/<set>/: one
`chunk-NNNN.npy` of (n, 196, 512) float16 per `CHUNK` images, in the order
of `images.txt`. A chunk is written to a temporary file and renamed, so a
killed run leaves only whole chunks behind and resumes after the last one.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from training.data.text_data import data_dir
from zoo.images import read_image
from zoo.models import regions

CACHE_ENV = "ZOO_CACHE"
CHUNK = 256
BATCH = 16


def cache_root():
    return Path(os.environ.get(CACHE_ENV, Path.home() / ".cache" / "zoo")) / "features"


def images_of(data_dir, dataset):
    """The image files of a shared data set, in a fixed order."""
    folder = Path(data_dir) / dataset
    if dataset == "flickr8k":  # the standard split's 8,000 images
        names = [n for part in ("train", "dev", "test") for n in split_names(folder, part)]
    else:
        names = sorted(p.name for p in (folder / "images").glob("*.jpg"))
    return [folder / "images" / n for n in names]


def split_names(folder, part):
    return (Path(folder) / f"{part}_images.txt").read_text().split()


def pixels(paths):
    """Image files -> float32 (B, 224, 224, 3), squashed as the captioner does."""
    return np.stack([regions.squash(read_image(p)) for p in paths])


def compute(encoder, paths, batch=BATCH):
    """(n, 196, 512) float16 features of the image files."""
    out = [
        encoder.predict_on_batch(pixels(paths[i : i + batch])) for i in range(0, len(paths), batch)
    ]
    return np.concatenate(out).astype("float16")


def extract(paths, folder, weights=None, chunk=CHUNK, log=print):
    """Fill `folder` with the features of `paths`; resumes a partial run."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [Path(p).name for p in paths]
    index = folder / "images.txt"
    if index.exists() and index.read_text().split() != names:
        raise ValueError(f"{folder} caches another image list; delete it to start over")
    index.write_text("\n".join(names) + "\n")
    encoder = None
    for start in range(0, len(paths), chunk):
        target = folder / f"chunk-{start // chunk:04d}.npy"
        if target.exists():
            continue
        encoder = encoder or regions.encoder(weights)
        began = time.time()
        features = compute(encoder, paths[start : start + chunk])
        temp = target.with_suffix(".tmp.npy")
        np.save(temp, features)
        os.replace(temp, target)
        each = (time.time() - began) / len(features)
        log(f"{target.name}: {len(features)} images, {each:.3f} s each")
    return folder


def load(folder, chunk=CHUNK):
    """{image name: (196, 512) float16 features} of a finished cache."""
    folder = Path(folder)
    names = (folder / "images.txt").read_text().split()
    chunks = sorted(folder.glob("chunk-[0-9][0-9][0-9][0-9].npy"))
    if len(chunks) < -(-len(names) // chunk):
        raise FileNotFoundError(f"{folder} is incomplete: run python -m training.data.features")
    features = np.concatenate([np.load(c) for c in chunks])
    if len(features) != len(names):
        raise ValueError(f"{folder}: {len(features)} feature rows for {len(names)} images")
    return dict(zip(names, features, strict=True))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m training.data.features", description=__doc__)
    parser.add_argument("dataset", choices=("flickr8k", "coco_mini"))
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--vgg-weights", default=None)
    args = parser.parse_args(argv)
    data = data_dir(args.data_dir)
    weights = (
        args.vgg_weights
        or os.environ.get("ZOO_VGG19_WEIGHTS")
        or str(data / "vgg19_notop.weights.h5")
    )
    paths = images_of(data, args.dataset)
    folder = extract(
        paths, cache_root() / args.dataset, weights, log=lambda m: print(m, flush=True)
    )
    print(f"{folder}: {len(paths)} images cached", file=sys.stderr)


if __name__ == "__main__":
    main()
