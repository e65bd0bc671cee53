"""The models an embedded server holds: every model folder under a root
(`exports/`), each with integer version folders holding a SavedModel, the
way TF Serving reads a base path. The highest version is served (or the
versions a models.config policy names, with its version labels); a poll
loads versions as they appear and unloads those that go, swapping
atomically, so a request is always answered by a whole version."""

from serving.tensorflow import tf  # first: TensorFlow's quiet start

# isort: split

import json
import logging
import threading
import time
from pathlib import Path

from google.protobuf import text_format
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import prediction_log_pb2
from tensorflow_serving.config import model_server_config_pb2

from serving.errors import CODES, ServingError, not_found, shown
from serving.feeds import Requests, checked_request
from serving.onnx_servable import OnnxServable
from zoo_runtime.layout import (
    ONNX_ONLY,
    SIDECAR,
    WARMUP,
    check_name,
    version_folders,
    versions,
)

log = logging.getLogger("serving")
RETRY_SECONDS = (1, 2, 4, 8, 16, 32, 60)  # backoff for a version that failed to load


MAX_WARMUP_RECORDS = 1000  # as TF Serving reads at most


class Servable(Requests):
    """One loaded version of one model: its signatures, their input and
    output specs, the SignatureDefs (for metadata) and, from zoo.json,
    what a request costs (serving.work). Its warmup records are replayed
    before it serves, as TF Serving does, so the first requests do not
    pay for graph initialisation."""

    def __init__(self, name, version, path, max_batch, max_work_macs=float("inf")):
        self.name, self.version, self.path, self.max_batch = name, version, Path(path), max_batch
        self.max_work_macs = max_work_macs
        self.work = _read_work(self.path)
        self._loaded = tf.saved_model.load(str(path))
        self.signatures = dict(self._loaded.signatures)
        saved = saved_model_pb2.SavedModel.FromString((self.path / "saved_model.pb").read_bytes())
        self.signature_defs = {
            k: v for k, v in saved.meta_graphs[0].signature_def.items() if k in self.signatures
        }
        self.specs = {
            name: {
                "inputs": _specs(fn.structured_input_signature[1]),
                "outputs": _specs(fn.structured_outputs),
            }
            for name, fn in self.signatures.items()
        }

        self.warmed = self._warm_up()

    def _warm_up(self):
        """Replay assets.extra/tf_serving_warmup_requests; a record that
        fails fails the load (as in TF Serving). Returns the count."""
        path = self.path / WARMUP
        if not path.is_file():
            return 0
        count = 0
        for record in tf.data.TFRecordDataset(str(path)).take(MAX_WARMUP_RECORDS):
            log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            request = log.predict_log.request
            feed = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
            self.predict(request.model_spec.signature_name, feed)
            count += 1
        return count

    def predict(self, signature_name, feed, output_filter=()):
        """{output: array} for `feed` {input: array}, after checking the
        inputs against the signature (names, dtypes, shapes, batch)."""
        name, arrays, wanted = checked_request(self, signature_name, feed, output_filter)
        specs = self.specs[name]["inputs"]
        tensors = {k: tf.constant(v, dtype=specs[k][0]) for k, v in arrays.items()}
        try:
            outputs = self.signatures[name](**tensors)
        except tf.errors.OpError as error:
            raise ServingError(CODES[error.error_code], _tf_message(error.message)) from None
        return {k: outputs[k].numpy() for k in wanted or outputs}


def _read_work(path):
    """The `work` terms of the version's zoo.json; none if it has no
    zoo.json (a SavedModel from elsewhere: only byte budgets apply)."""
    sidecar = path / "zoo.json"
    if not sidecar.is_file():
        return {}
    try:
        work = json.loads(sidecar.read_text(encoding="utf-8")).get("work") or {}
    except (UnicodeDecodeError, ValueError, AttributeError) as error:
        raise ValueError(f"{sidecar} is not a valid zoo.json: {error}") from None
    return work


def _specs(structure):
    return {
        k: (v.dtype.name, [-1 if d is None else d for d in v.shape]) for k, v in structure.items()
    }


NOISE = ("Graph execution error", "Detected at node", "<stack traces", "[[{{node")


def _tf_message(message):
    """The line of a TF error that says what was wrong (an assertion's
    text, say), without graph node names and stack notes."""
    lines = [line.strip() for line in message.splitlines()]
    useful = [line for line in lines if line and not line.startswith(NOISE)]
    text = useful[0] if useful else "the model failed on this input"
    if text.startswith("assertion failed: ["):
        text = text[: text.find("]") + 1]
    return text.split(" [Op:")[0]


def _version_number(version):
    """A requested version as an int64, or NOT_FOUND (a 5,000-digit number
    is no version, and int() of it would raise)."""
    text = str(version)
    if not text.isdigit() or len(text) > 18:
        raise not_found(f"Servable version {shown(text)} is not a version number")
    return int(text)


def servable_folders(base):
    """{version: folder} a model serves: its SavedModel versions, or where
    it has none, its ONNX-only versions (base/onnx-only/N, onnxruntime)."""
    saved = {v: Path(base) / str(v) for v in versions(base, "saved_model.pb")}
    return saved or version_folders(Path(base) / ONNX_ONLY, SIDECAR, onnx_only=False)


class Failure:
    """A version that failed to load: why, how often, when to try again."""

    def __init__(self, message, attempts, retry):
        self.message, self.attempts, self.retry = message, attempts, retry


class ModelPolicy:
    """Which versions of a model to serve, and its version labels."""

    def __init__(self, name, base_path, latest=1, versions=None, labels=None):
        self.name, self.base_path = name, Path(base_path)
        self.latest, self.versions, self.labels = latest, versions, dict(labels or {})

    def wanted(self, available):
        if self.versions is not None:
            return sorted(set(available) & set(self.versions))
        return sorted(available)[-self.latest :] if self.latest else sorted(available)


def read_models_config(path, root):
    """ModelPolicy for each entry of a TF Serving models.config. Base paths
    there name where docker mounts exports/ (/models/NAME); here each
    model is read from `root`/NAME."""
    config = model_server_config_pb2.ModelServerConfig()
    try:
        text_format.Parse(Path(path).read_text(), config)
    except (OSError, text_format.ParseError) as error:
        raise ValueError(f"cannot read models config {path}: {error}") from error
    policies = []
    for entry in config.model_config_list.config:
        try:
            check_name(entry.name)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        policy = entry.model_version_policy
        which = policy.WhichOneof("policy_choice")
        policies.append(
            ModelPolicy(
                entry.name,
                Path(root) / entry.name,
                latest=0 if which == "all" else (policy.latest.num_versions or 1),
                versions=list(policy.specific.versions) if which == "specific" else None,
                labels=dict(entry.version_labels),
            )
        )
    return policies


class ModelRepository:
    def __init__(
        self, root, config_file=None, poll_seconds=1.0, max_batch=1024, max_work_macs=float("inf")
    ):
        self.root, self.config_file = Path(root), config_file
        self.poll_seconds, self.max_batch, self.max_work_macs = (
            poll_seconds,
            max_batch,
            max_work_macs,
        )
        self._models = {}  # name -> {version: Servable}; replaced, never mutated
        self._labels = {}  # name -> {label: version}
        self._failed = {}  # (name, version) -> Failure; guarded by _lock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    # ---- loading ---------------------------------------------------------------
    def policies(self):
        if self.config_file:
            return read_models_config(self.config_file, self.root)
        if not self.root.is_dir():
            raise ValueError(f"models directory {self.root} does not exist")
        return [
            ModelPolicy(p.name, p)
            for p in sorted(self.root.iterdir())
            if p.is_dir() and not p.name.startswith(".")
        ]

    def refresh(self):
        """Load wanted versions that appeared, drop those no longer wanted.
        A models.config that names no model, or under which no version
        would be served while some are, is refused (ValueError) and what
        is served stays as it was: one bad edit must not unload everything."""
        policies = {p.name: p for p in self.policies()}
        if self.config_file and not policies:
            raise ValueError(f"{self.config_file} names no model; the last good config stays")
        models = {}
        for name, policy in policies.items():
            current = self._models.get(name, {})
            loaded = self._load_wanted(policy, current)
            if loaded:
                models[name] = loaded
        if self.config_file and self._models and not models:
            raise ValueError(
                f"{self.config_file} leaves no servable version (it names "
                f"{', '.join(sorted(policies))}); the last good config stays"
            )
        with self._lock:
            self._models, self._labels = models, {n: p.labels for n, p in policies.items()}
        return {name: sorted(versions) for name, versions in models.items()}

    def _load_wanted(self, policy, current):
        """{version: Servable} for the versions the policy wants, passing
        over versions that failed to load (the last good one serves on)."""
        name, loaded = policy.name, {}
        while True:
            now = time.monotonic()
            with self._lock:
                waiting = {v for (n, v), f in self._failed.items() if n == name and f.retry > now}
            folders = servable_folders(policy.base_path)
            wanted = policy.wanted([v for v in folders if v not in waiting])
            for version in wanted:
                if version not in loaded:
                    loaded[version] = current.get(version) or self._load(
                        name, version, folders[version]
                    )
            if all(loaded[v] is not None for v in wanted):
                return {v: loaded[v] for v in wanted}

    def _load(self, name, version, path):
        """The Servable, or None after recording the failure: the version
        is tried again after a growing pause (it may still be being
        copied in), while the last good version serves on."""
        try:
            kind = Servable if (path / "saved_model.pb").is_file() else OnnxServable
            servable = kind(name, version, path, self.max_batch, self.max_work_macs)
        except Exception as error:  # a broken version must not take the server down
            with self._lock:
                attempts = getattr(self._failed.get((name, version)), "attempts", 0) + 1
                pause = RETRY_SECONDS[min(attempts, len(RETRY_SECONDS)) - 1]
                self._failed[(name, version)] = Failure(
                    f"{type(error).__name__}: {error}", attempts, time.monotonic() + pause
                )
            log.error(
                "could not load %s version %s (try %d, next in %d s): %s",
                name,
                version,
                attempts,
                pause,
                error,
            )
            return None
        with self._lock:
            self._failed.pop((name, version), None)
        log.info("loaded %s version %s", name, version)
        return servable

    def start_polling(self):
        self.refresh()
        self._thread = threading.Thread(target=self._poll, name="model-poll", daemon=True)
        self._thread.start()

    def _poll(self):
        said = None  # the same failure is logged once, not every poll
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
                said = None
            except Exception as error:  # keep serving what is loaded
                if str(error) != said:
                    log.error("model poll failed: %s", error)
                said = str(error)

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()

    # ---- lookup ------------------------------------------------------------------
    def get(self, name, version=None, label=None):
        """The Servable a request names: a version, a label, or the latest."""
        with self._lock:
            versions, labels = self._models.get(name), self._labels.get(name, {})
        if not versions:
            raise not_found(f"Servable not found for request: Latest({shown(name)})")
        if label is not None:
            if label not in labels:
                raise not_found(f"Unrecognized servable version label: {shown(label)}")
            version = labels[label]
        if version is None:
            return versions[max(versions)]
        number = _version_number(version)
        if number not in versions:
            raise not_found(f"Servable not found for request: Specific({shown(name)}, {version})")
        return versions[number]

    def status(self, name, version=None, label=None):
        """[(version, state, error code, message)] as GetModelStatus reports."""
        if version is not None or label is not None:
            servable = self.get(name, version, label)
            return [(servable.version, "AVAILABLE", "OK", "")]
        with self._lock:
            loaded = sorted(self._models.get(name, {}))
            failed = {v: f.message for (n, v), f in self._failed.items() if n == name}
        if not loaded and not failed:
            raise not_found(f"Could not find any versions of model {shown(name)}")
        rows = [(v, "AVAILABLE", "OK", "") for v in loaded]
        rows += [(v, "END", "UNKNOWN", message) for v, message in sorted(failed.items())]
        return sorted(rows)

    def names(self):
        with self._lock:
            return sorted(self._models)
