"""The TF Serving layout: exports/<name>/<integer version>/, each version
appearing whole or not at all (TF Serving polls the base path every
second), and the model_config_list that names every exported model."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def versions(base):
    """The integer versions under `base`, ascending."""
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit())


@contextlib.contextmanager
def staged_version(base):
    """Yields a hidden temporary directory inside `base`; on success it is
    renamed to the next integer version (returned via the yielded holder's
    `final`), on any exception it is deleted."""
    base = Path(base)
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
    stage = _Stage(staging)
    try:
        yield stage
        stage.final = _publish(staging, base)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


class _Stage:
    def __init__(self, path):
        self.path, self.final = path, None


def _publish(staging, base):
    """Rename into the first free version number; a rename onto an existing
    directory fails, so two exporters never share a number."""
    version = (versions(base) or [0])[-1] + 1
    while True:
        target = base / str(version)
        try:
            os.rename(staging, target)  # atomic within one file system
            return target
        except OSError:
            if not target.exists():
                raise
            version += 1


def models_config(out, path, base_path_prefix="/models"):
    """Write TF Serving's model_config_list for every model under `out`
    that has a SavedModel version; base paths are where `out` is mounted
    in the server (the tensorflow/serving image reads /models)."""
    out = Path(out)
    names = sorted(
        p.name
        for p in out.iterdir()
        if p.is_dir() and any((p / str(v) / "saved_model.pb").is_file() for v in versions(p))
    ) if out.is_dir() else []  # fmt: skip
    entries = "".join(
        "  config {\n"
        f'    name: "{name}"\n'
        f'    base_path: "{base_path_prefix.rstrip("/")}/{name}"\n'
        '    model_platform: "tensorflow"\n'
        "  }\n"
        for name in names
    )
    write_atomically(Path(path), f"model_config_list {{\n{entries}}}\n")
    return names


def write_atomically(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
