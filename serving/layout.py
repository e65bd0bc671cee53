"""The export layout as serving reads it: <base>/<integer version>/."""

from pathlib import Path


def versions(base, marker):
    """Integer versions under `base` whose folder holds the file `marker`
    (saved_model.pb, zoo.json), ascending."""
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(
        int(p.name) for p in base.iterdir() if p.name.isdigit() and (p / marker).is_file()
    )
