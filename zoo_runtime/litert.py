"""Running an export's LiteRT graphs through their signature, as a phone
app does: `LiteRTGraph(Interpreter(model_path=...))` with the
`ai-edge-litert` package's interpreter (no TensorFlow), which the caller
imports: this package needs numpy alone.

The graphs take one example at a time (exports.litert_export); `run`
feeds a batch row by row and stacks the rows' outputs, so it answers
with the shapes the ONNX graph gives for the same feed. Fused LSTMs keep
their state in variable tensors, which persist between invocations: each
row starts from reset variables."""

import numpy as np

SIGNATURE = "serving_default"


class LiteRTGraph:
    """One `.tflite` file's interpreter, run through its signature."""

    def __init__(self, interpreter):
        self._interpreter = interpreter
        self._allocated = False  # the first run allocates, which zeroes the variables
        self._runner = interpreter.get_signature_runner(SIGNATURE)
        details = self._runner.get_input_details()
        self.inputs = {name: np.dtype(d["dtype"]) for name, d in details.items()}
        self.io = {
            "inputs": _specs(details),
            "outputs": _specs(self._runner.get_output_details()),
        }
        self.outputs = list(self.io["outputs"])  # sorted by name

    def run(self, feed):
        """{output: array} for a batch `feed` ({input: array}, leading axis
        the batch), each row run on its own."""
        missing = set(self.inputs) - set(feed)
        extra = set(feed) - set(self.inputs)
        if missing or extra:
            raise ValueError(
                f"inputs {sorted(self.inputs)} expected; missing {sorted(missing)}, "
                f"unknown {sorted(extra)}"
            )
        arrays = {k: np.asarray(v, self.inputs[k]) for k, v in feed.items()}
        sizes = {len(a) for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"every input needs the same batch size, got {sorted(sizes)}")
        if sizes == {0}:
            raise ValueError("the batch is empty")
        rows = [self._row({k: a[i : i + 1] for k, a in arrays.items()}) for i in range(*sizes)]
        return {name: np.concatenate([r[name] for r in rows]) for name in self.outputs}

    def _row(self, feed):
        if self._allocated:
            self._interpreter.reset_all_variables()
        result = self._runner(**feed)
        self._allocated = True
        return result


def _specs(details):
    """{name: {"dtype", "shape"}} as zoo.json lists a graph's tensors (-1:
    a free dimension)."""
    return {
        name: {
            "dtype": np.dtype(d["dtype"]).name,
            "shape": [int(n) for n in d["shape_signature"]],
        }
        for name, d in sorted(details.items())
    }
