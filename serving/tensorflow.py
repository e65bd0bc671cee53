"""TensorFlow for the server and the gRPC client, imported without its C++
start-up lines (zoo_runtime.quiet_start): `from serving.tensorflow import tf`.
TensorFlow's C++ log stays off unless TF_CPP_MIN_LOG_LEVEL says otherwise."""

import os

from zoo_runtime.quiet_start import native_stderr_captured

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
with native_stderr_captured():
    import tensorflow as tf

__all__ = ["tf"]
