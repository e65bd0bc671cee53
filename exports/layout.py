"""The TF Serving layout: exports/<name>/<integer version>/, each version
appearing whole or not at all (TF Serving polls the base path every
second), and the model_config_list that names every exported model."""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2


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


def models_config(out, path, base_path_prefix="/models", labels=None):
    """Write TF Serving's model_config_list for every model under `out`
    that has a SavedModel version; base paths are where `out` is mounted
    in the server (the tensorflow/serving image reads /models).

    Version policies and labels already in the file are kept; `labels`
    ({model: {label: version}}) adds or moves labels. A labelled model is
    served at its labelled versions plus its latest one (a `specific`
    policy, as TF Serving needs for labels); labels of versions that are
    gone are dropped."""
    out, path = Path(out), Path(path)
    names = sorted(
        p.name
        for p in out.iterdir()
        if p.is_dir() and any((p / str(v) / "saved_model.pb").is_file() for v in versions(p))
    ) if out.is_dir() else []  # fmt: skip
    previous = {entry.name: entry for entry in read_models_config(path).model_config_list.config}
    config = model_server_config_pb2.ModelServerConfig()
    for name in names:
        entry = config.model_config_list.config.add()
        if name in previous:
            entry.CopyFrom(previous[name])
        entry.name = name
        entry.base_path = f"{base_path_prefix.rstrip('/')}/{name}"
        entry.model_platform = "tensorflow"
        _set_labels(entry, (labels or {}).get(name, {}), versions(out / name))
    write_atomically(path, text_format.MessageToString(config))
    return names


def _set_labels(entry, new, available):
    kept = {k: v for k, v in {**entry.version_labels, **new}.items() if v in available}
    entry.ClearField("version_labels")
    for label, version in sorted(kept.items()):
        entry.version_labels[label] = version
    if kept:
        entry.model_version_policy.specific.ClearField("versions")
        entry.model_version_policy.specific.versions.extend(
            sorted(set(kept.values()) | {available[-1]})
        )
    elif entry.model_version_policy.WhichOneof("policy_choice") == "specific":
        entry.ClearField("model_version_policy")  # nothing pinned: back to the latest


def read_models_config(path):
    """The ModelServerConfig in `path`; empty if there is no such file."""
    config = model_server_config_pb2.ModelServerConfig()
    if Path(path).is_file():
        try:
            text_format.Parse(Path(path).read_text(), config)
        except text_format.ParseError as error:
            raise ValueError(f"{path} is not a TF Serving models config: {error}") from error
    return config


def write_atomically(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
