"""Where recipes find their data, without importing TensorFlow."""

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"


def data_dir(override=None):
    """--data-dir, else $ZOO_DATA_DIR, else the shared data folder beside the repo."""
    return Path(override or os.environ.get("ZOO_DATA_DIR") or DEFAULT_DATA_DIR)


def vgg_weights_in(data_dir, name):
    """A recipe's VGG19 weights: a path you gave (absolute) as it is, else
    `name` in the data folder when it is there; else None, and
    zoo.models.vgg finds them ($ZOO_VGG19_WEIGHTS, Keras' cache, Keras'
    download), so your own data needs no shared data folder."""
    if not name:
        return None
    path = Path(data_dir) / name
    return str(path) if Path(name).is_absolute() or path.is_file() else None
