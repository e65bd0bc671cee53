"""`OnnxModel`: an exported zoo model run end to end with numpy and
onnxruntime alone (no TensorFlow): text in, text out for character LMs,
translators and classifiers; uint8 images in for captioners and style
networks.

It reads a version directory written by `exports` (or a model's base
directory, taking its highest version): the ONNX graphs plus `zoo.json`,
which holds the task, vocabularies, special tokens, state names and the
sha256 of every file (checked before anything is loaded).

`OnnxModel(path)` is an instance of the class for zoo.json's "task": the
`MODEL` of `serving.tasks.<task>` (`char-lm` -> `serving.tasks.char_lm`),
which adds that family's methods (`generate`, `translate`, ...). A new
family adds a module there and edits nothing here.
"""

import json
from pathlib import Path

import onnxruntime as ort

from zoo_runtime.checksums import sha256
from zoo_runtime.layout import SIDECAR, task_identifier, task_module, version_folders
from zoo_runtime.litert import LiteRTGraph

ONNXRUNTIME, LITERT = "onnxruntime", "litert"
RUNTIMES = {ONNXRUNTIME: "onnx", LITERT: "litert"}  # runtime -> zoo.json's list of its files
SUFFIXES = {ONNXRUNTIME: ".onnx", LITERT: ".tflite"}  # runtime -> its graph files' suffix


class ArtifactError(ValueError):
    """The directory is not a complete, intact zoo export."""


class OnnxModel:
    """An export run with numpy and onnxruntime only.

    Args:
        path: a version folder written by `exports` (holding zoo.json), or
            a model's folder, whose highest version with graphs for
            `runtime` is taken.
        providers: onnxruntime execution providers, in order of preference.
        threads: intra-op threads (None: the runtime's default).
        runtime: "onnxruntime" (the ONNX files), or "litert": the same
            API over the export's LiteRT files (`--formats litert`), run
            by ai-edge-litert's interpreter one example at a time; a
            seq2seq or caption search then runs in numpy over
            decoder.tflite (LiteRT has no search graph).

    Returns an instance of the class for zoo.json's task, with that family's
    methods: `generate` (char-lm), `translate` (seq2seq), `predict_proba`,
    `classify`, `explain` (sentiment), `caption` (caption), `stylize`
    (fast-style), and `run(graph, feed)` for any export.

    Example:

    >>> model = OnnxModel("exports/date-normalizer")  # doctest: +SKIP
    >>> model.translate(["1 Feb 2003"], beam_width=4)  # doctest: +SKIP
    ['2003-02-01']
    """

    task = None  # zoo.json's "task"; set by each serving.tasks module's class

    def __new__(cls, path, *args, runtime=ONNXRUNTIME, **kwargs):
        # zoo.json is read once: the class it names and the contract
        # __init__ checks come from the same bytes.
        directory = version_directory(path, runtime)
        sidecar = _read_json(directory / SIDECAR)
        if cls is OnnxModel:
            cls = task_class(_declared_task(sidecar, directory))
        model = super().__new__(cls)
        model.path, model._sidecar = directory, sidecar
        return model

    def __init__(
        self, path, providers=("CPUExecutionProvider",), threads=None, runtime=ONNXRUNTIME
    ):
        self.contract = checked_contract(self.path, self.__dict__.pop("_sidecar"))
        self.runtime = runtime
        files = self.contract.get(RUNTIMES[runtime]) or {}
        if not files:
            raise ArtifactError(
                f"{self.path} has no {runtime} graphs (exported without '{RUNTIMES[runtime]}'?)"
            )
        self.name = self.contract["name"]
        self.limits = self.contract.get("limits") or {}
        if runtime == LITERT:
            self.sessions = _litert_graphs(self.path, files, threads)
            return
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # Work split into small blocks that idle threads take in turn: on a
        # machine whose cores are busy with other work, a thread that is not
        # scheduled no longer holds back the whole step (translate-spa-eng,
        # 64 sentences, two busy processes beside: 792 -> 544 ms; the same
        # on a quiet machine). Threads keep spinning between steps: without
        # it, waking them under load cost 5x at batch 1 (47 -> 256 ms).
        options.add_session_config_entry("session.dynamic_block_base", "4")
        self.sessions = {
            name.removesuffix(".onnx"): ort.InferenceSession(
                str(self.path / name), options, providers=list(providers)
            )
            for name in files
        }

    def __repr__(self):
        return f"OnnxModel({self.name!r}, task={self.task!r}, path='{self.path}')"

    def __getattr__(self, name):
        # Only reached for a missing attribute: say which family this is.
        if name.startswith("_") or "name" not in self.__dict__:
            raise AttributeError(name)
        raise AttributeError(f"{self.name} is a {self.task} model; it has no {name}()")

    def run(self, graph, feed):
        """{output name: array} of one graph ("model", "encoder", "decoder")."""
        session = self.sessions[graph]
        if self.runtime == LITERT:
            return session.run(feed)
        names = [o.name for o in session.get_outputs()]
        return dict(zip(names, session.run(names, feed), strict=True))

    def graph_io(self, graph):
        """zoo.json's {"inputs": {name: {"dtype", "shape"}}, "outputs": ...}
        of one graph, for this runtime's file of it."""
        return self.contract[RUNTIMES[self.runtime]][graph + SUFFIXES[self.runtime]]

    def input_names(self, graph):
        """The names of one graph's inputs."""
        session = self.sessions[graph]
        if self.runtime == LITERT:
            return list(session.inputs)
        return [i.name for i in session.get_inputs()]

    def _within(self, limit, value, what):
        """The export's limits (zoo.json), as its SavedModel enforces them."""
        most = self.limits.get(limit)
        if most is not None and value > most:
            raise ValueError(f"{what}: {value:,} is over this export's limit of {most:,}")


def task_class(task):
    """The OnnxModel class of a task: serving.tasks.<task>.MODEL."""
    name = task_identifier(task)
    if name is None:
        raise ArtifactError(f"{SIDECAR} names no task that apps can run: {task!r}")
    module = task_module("serving.tasks", task)
    if module is None:
        raise ArtifactError(f"no app support for task {task!r} (no serving.tasks.{name})")
    return module.MODEL


def version_directory(path, runtime=ONNXRUNTIME):
    """`path` itself if it holds zoo.json, else its highest integer version
    with graphs for `runtime` (onnx-only and litert-only versions included)."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {sorted(RUNTIMES)}, got {runtime!r}")
    path = Path(path)
    if (path / SIDECAR).is_file():
        return path
    pattern = "*" + SUFFIXES[runtime]
    found = {v: p for v, p in version_folders(path, SIDECAR).items() if any(p.glob(pattern))}
    if not found:
        raise ArtifactError(
            f"{path} holds no exported model with {runtime} graphs (no {SIDECAR}, no such version)"
        )
    return found[max(found)]


def _litert_graphs(directory, files, threads):
    """{graph: zoo_runtime.litert.LiteRTGraph} of a version's LiteRT files."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise ArtifactError(
            "runtime='litert' needs the ai-edge-litert package (pip install './serving[litert]')"
        ) from error
    return {
        name.removesuffix(SUFFIXES[LITERT]): LiteRTGraph(
            Interpreter(model_path=str(directory / name), num_threads=threads)
        )
        for name in files
    }


def _declared_task(sidecar, directory):
    task = sidecar.get("task")
    if task is None:
        raise ArtifactError(
            f"{directory / SIDECAR} names no task: it was exported by an older zoo; export it again"
        )
    return task


def _read_json(path):
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read {path}: {error}") from error
    if not isinstance(found, dict):
        raise ArtifactError(f"{path} is not a JSON object")
    return found


def checked_contract(directory, contract):
    """zoo.json's `contract`, after checking every ONNX and LiteRT file
    against its sha256."""
    digests = contract.get("sha256", {})
    for name in [*(contract.get("onnx") or {}), *(contract.get("litert") or {})]:
        if name not in digests:
            raise ArtifactError(f"{SIDECAR} lists no checksum for {name}")
        try:
            digest = sha256(directory / name)
        except OSError as error:
            raise ArtifactError(f"cannot read {directory / name}: {error}") from error
        if digest != digests[name]:
            raise ArtifactError(f"{directory / name} does not match its sha256 in {SIDECAR}")
    return contract
