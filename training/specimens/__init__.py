"""Networks a recipe here trained that failed their bars, so they are not
offered: `zoo.list_models()` leaves them out and `zoo.load` refuses their
names (zoo/pretrained/withdrawn.json says why). Each stays to show and test
what went wrong, and as a real-size graph for the export and serving tests.

- fast-style-wave: Johnson et al.'s network with instance normalisation,
  trained by training/recipes/fast-style-wave.toml. It paints the droplet
  (docs/style.md): one saturated blob, up to 75% of a held-out photo.
  tools.style_diagnosis measures the cause on it.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def path(name):
    """The package folder of the specimen `name`."""
    folder = FOLDER / name
    if not (folder / "card.json").is_file():
        raise FileNotFoundError(f"no specimen named {name!r} in {FOLDER}")
    return folder


def cards():
    """The card of every specimen, by name."""
    from zoo.registry import read_card

    return [read_card(p.parent) for p in sorted(FOLDER.glob("*/card.json"))]


def source(name):
    """What zoo.registry.load_name_or_path and exports.export take for
    `name`: a specimen's folder, else the name (a shipped model)."""
    folder = FOLDER / name
    return folder if (folder / "card.json").is_file() else name


def load(name):
    """The specimen `name`, checksum-verified like any package."""
    import zoo

    return zoo.load_path(path(name))
