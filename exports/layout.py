"""The TF Serving layout: exports/<name>/<integer version>/, each version
appearing whole or not at all (TF Serving polls the base path every
second), and the model_config_list that names every exported model.

One rule, which TF Serving and the embedded server both follow because it
is in the files: every numbered folder in a base path is a SavedModel
version. TF Serving takes any numbered folder for a version, so an export
without a SavedModel goes to <base>/onnx-only/<N>/, or to
<base>/litert-only/<N>/ when it holds LiteRT graphs alone (not numbers, so
TF Serving passes them over). Version numbers count across all three, so
N always names one export."""

import contextlib
import fcntl
import os
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from zoo.staging import staging_folder
from zoo_runtime.files import atomic_writer
from zoo_runtime.layout import LITERT_ONLY, NAME, ONNX_ONLY, UNSERVED


def versions(base):
    """The integer versions under `base` (SavedModel versions, onnx-only
    and litert-only ones), ascending."""
    base = Path(base)
    return sorted({*_numbered(base), *(v for home in UNSERVED for v in _numbered(base / home))})


def home_for(formats):
    """The folder of `base` (relative; "" for base itself) a version with
    these formats is published in."""
    if "savedmodel" in formats:
        return ""
    return ONNX_ONLY if "onnx" in formats else LITERT_ONLY


def _numbered(folder):
    if not folder.is_dir():
        return []
    return [int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit()]


@contextlib.contextmanager
def staged_version(base, home=""):
    """Yields a hidden staging directory inside `base` (zoo.staging: locked
    while written, so a killed export's debris is removed by the next one
    and a running one's never is); on success it is renamed to the next
    integer version in base/`home` (home_for: base itself for a SavedModel)
    (returned via the yielded holder's `final`); on any exception it is
    deleted."""
    base = Path(base)
    home = base / home
    with staging_folder(home, "staging") as staging:
        stage = _Stage(staging)
        yield stage
        stage.final = _publish(staging, base, home)


class _Stage:
    def __init__(self, path):
        self.path, self.final = path, None


def _publish(staging, base, home):
    """Rename into the first free version number; a rename onto an existing
    directory fails, and numbers are taken under the base's lock, so two
    exporters never share a number across the two folders."""
    with locked(base / ".versions.lock"):
        version = (versions(base) or [0])[-1] + 1
        while True:
            target = home / str(version)
            try:
                os.rename(staging, target)  # atomic within one file system
                return target
            except OSError:
                if not target.exists():
                    raise
                version += 1


@contextlib.contextmanager
def locked(path):
    """An exclusive advisory lock on `path` (created if missing), held for
    the block: exporters in other processes wait their turn."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    with locked(path.with_name(f".{path.name}.lock")):
        return _rewrite_models_config(out, path, base_path_prefix, labels)


def _rewrite_models_config(out, path, base_path_prefix, labels):
    names = (
        sorted(
            p.name for p in out.iterdir() if p.is_dir() and NAME.fullmatch(p.name) and servable(p)
        )
        if out.is_dir()
        else []
    )
    previous = {entry.name: entry for entry in read_models_config(path).model_config_list.config}
    config = model_server_config_pb2.ModelServerConfig()
    for name in names:
        entry = config.model_config_list.config.add()
        if name in previous:
            entry.CopyFrom(previous[name])
        entry.name = name
        entry.base_path = f"{base_path_prefix.rstrip('/')}/{name}"
        entry.model_platform = "tensorflow"
        _set_labels(entry, (labels or {}).get(name, {}), servable(out / name))
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


def servable(base):
    """The SavedModel versions in `base`, ascending: what TF Serving sees."""
    base = Path(base)
    return sorted(v for v in _numbered(base) if (base / str(v) / "saved_model.pb").is_file())


def write_atomically(path, text):
    """Write through a temporary file of its own (unique, so two writers
    never share one) and rename it over `path`."""
    with atomic_writer(path) as handle:
        handle.write(text)
