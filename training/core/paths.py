"""Where recipes find their data, without importing TensorFlow."""

import os
from pathlib import Path

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"


def data_dir(override=None):
    """--data-dir, else $ZOO_DATA_DIR, else the shared data folder beside the repo."""
    return Path(override or os.environ.get("ZOO_DATA_DIR") or DEFAULT_DATA_DIR)
