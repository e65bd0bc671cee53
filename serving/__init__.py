"""Serving of exported artifacts: reads files only, never imports zoo,
training or exports. `OnnxModel` and `RestClient` need no TensorFlow;
`GrpcClient` and the embedded server (`python -m serving`) use TF Serving's
protos and TensorFlow, and are imported only when asked for."""

import importlib

_EXPORTED = {
    "OnnxModel": "serving.onnx_model",
    "RestClient": "serving.rest_client",
    "GrpcClient": "serving.grpc_client",
    "ServingError": "serving.errors",
}
__all__ = list(_EXPORTED)


def __getattr__(name):
    if name not in _EXPORTED:
        raise AttributeError(f"module 'serving' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTED[name]), name)
