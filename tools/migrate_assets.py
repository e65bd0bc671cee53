"""One-off migration (issue 29): the shipped packages' vocabularies move
out of config.json into the asset files their class lists (ASSETS), and a
seq2seq package's vocabulary.json (its target vocabulary again) goes. The
weights files are not touched (checked byte for byte); the cards get new
checksums and say what changed.

    python -m tools.migrate_assets [--dry-run]
"""

import argparse
import json
import sys

import keras

import zoo.models  # noqa: F401  (registers the classes configs name)
from zoo import package_files, registry
from zoo_runtime.checksums import sha256

NOTE = (
    "2026-12-05: vocabularies moved from config.json to {files} (tools/migrate_assets.py); "
    "weights and every answer unchanged"
)


def migrate(directory, dry_run=False):
    """What changed in one package, or None if it is already migrated."""
    config = json.loads((directory / package_files.CONFIG).read_text(encoding="utf-8"))
    model_class = keras.saving.get_registered_object(config.get("registered_name"))
    keys = [k for k in getattr(model_class, "ASSETS", ()) if k in config["config"]]
    if not keys:
        return None
    card = registry.read_card(directory)
    registry.verify_files(directory, card)
    weights = card["files"].get(package_files.WEIGHTS)
    written = [package_files.asset_file(k) for k in keys]
    stale = [f for f in card["files"] if f.endswith(".json") and f != package_files.CONFIG]
    stale = [f for f in stale if f not in written]
    if dry_run:
        return written, stale
    for key, name in zip(keys, written, strict=True):
        package_files.write_json(directory / name, config["config"].pop(key))
    package_files.write_json(directory / package_files.CONFIG, config, indent=1)
    for name in stale:
        (directory / name).unlink()
    files = [f for f in card["files"] if f not in stale] + [
        f for f in written if f not in card["files"]
    ]
    card["files"] = {f: sha256(directory / f) for f in files}
    if card["files"].get(package_files.WEIGHTS) != weights:
        raise RuntimeError(f"{directory}: the weights changed")
    card.setdefault("migrations", []).append(NOTE.format(files=", ".join(written)))
    package_files.write_json(directory / package_files.CARD, card, indent=1)
    registry.load_path(directory)  # loads, checksums verified
    return written, stale


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    for directory in sorted(p.parent for p in registry.PRETRAINED.glob(f"*/{package_files.CARD}")):
        changed = migrate(directory, args.dry_run)
        if changed:
            print(f"{directory.name}: wrote {changed[0]}, removed {changed[1] or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
