"""A quiet start: `quiet_backend()`, run by `import zoo`, imports Keras (and
TensorFlow) without TensorFlow's C++ start-up lines (zoo_runtime.quiet_start).
Everything after it writes to stderr as usual."""

import os
import sys

from zoo_runtime.quiet_start import native_stderr_captured


def quiet_backend():
    """Import Keras without TensorFlow's start-up noise. TensorFlow's C++
    log is off unless TF_CPP_MIN_LOG_LEVEL says otherwise: at ERROR level it
    prints the CUDA probe's failure and advice such as "oneDNN supports
    DT_BOOL only on ...", and real failures reach Python as exceptions."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "keras" in sys.modules:
        return  # too late to catch anything
    with native_stderr_captured():
        import keras  # noqa: F401  (imports the backend, TensorFlow)
