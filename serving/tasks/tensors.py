"""Any Keras model exported as tensors in, tensors out: `run("model", {input: array})`."""

from serving.onnx_model import OnnxModel


class TensorsOnnx(OnnxModel):
    task = "tensors"


MODEL = TensorsOnnx
