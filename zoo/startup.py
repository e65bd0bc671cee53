"""A quiet start: TensorFlow's C++ side writes start-up lines to file
descriptor 2 (oneDNN, CUDA probing, CPU features, absl's "before
InitializeLog" notice) before any Python setting can stop them.
`quiet_backend()`, run by `import zoo`, imports Keras (and TensorFlow)
with fd 2 pointed at a temporary file; if that fails, what was written is
replayed to stderr, so real errors still show. Everything after it writes
to stderr as usual."""

import contextlib
import os
import sys
import tempfile


@contextlib.contextmanager
def native_stderr_captured():
    """Within the block, fd 2 (C and C++ writes too) goes to a temporary
    file, dropped on success and replayed to stderr on an exception."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        except BaseException:
            _restore(saved)
            capture.seek(0)
            sys.stderr.write(capture.read().decode(errors="replace"))
            raise
        finally:
            _restore(saved)
            os.close(saved)


def _restore(saved):
    sys.stderr.flush()
    os.dup2(saved, 2)


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
