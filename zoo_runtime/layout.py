"""The export layout's rules as every stage reads them:
<base>/<integer version>/ for versions holding a SavedModel (what TF
Serving sees) and <base>/onnx-only/<integer version>/ for those without
one (<base>/litert-only/ for LiteRT graphs alone); version numbers count
across all. exports.layout writes it."""

import importlib
import re
from pathlib import Path

ONNX_ONLY = "onnx-only"
LITERT_ONLY = "litert-only"  # versions with LiteRT graphs alone (no server runs them)
UNSERVED = (LITERT_ONLY, ONNX_ONLY)  # the homes of versions without a SavedModel
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a folder name, never a path
SIDECAR = "zoo.json"
WARMUP = Path("assets.extra") / "tf_serving_warmup_requests"


def check_name(name):
    """`name` if it can name a model folder, else ValueError."""
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"model name {name!r} must be a plain folder name (letters, digits, '.', '_', '-'; "
            "no separators or '..')"
        )
    return name


def versions(base, marker):
    """Integer versions under `base` whose folder holds the file `marker`
    (saved_model.pb, zoo.json), ascending; numbered folders only, as TF
    Serving reads them."""
    return sorted(version_folders(base, marker, onnx_only=False))


def version_folders(base, marker, onnx_only=True):
    """{version: folder} of the versions holding `marker`, the onnx-only
    and litert-only ones included unless onnx_only=False."""
    base = Path(base)
    found = {}
    homes = [*(base / home for home in UNSERVED), base] if onnx_only else [base]
    for home in homes:
        if home.is_dir():
            found.update(
                (int(p.name), p)
                for p in home.iterdir()
                if p.name.isdigit() and (p / marker).is_file()
            )
    return found


def task_identifier(task):
    """A task's name as a module name (`char-lm` -> `char_lm`), or None if
    it cannot be one: each stage keeps a family's code in `<package>.<this>`."""
    name = task.replace("-", "_") if isinstance(task, str) else ""
    return name if name.isidentifier() else None


def task_module(package, task):
    """`<package>.<task_identifier(task)>`, or None if the task names no
    module there; an error inside the module is raised as it is."""
    name = task_identifier(task)
    if name is None:
        return None
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{package}.{name}":
            raise
        return None
