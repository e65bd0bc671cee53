"""A quiet start for anything that imports TensorFlow: its C++ side writes
start-up lines to file descriptor 2 (oneDNN, CUDA probing, CPU features,
absl's "before InitializeLog" notice) before any Python setting can stop
them. `native_stderr_captured()` holds fd 2 in a temporary file for the
import; if it fails, what was written is replayed to stderr, so real
errors still show. Used by zoo.startup and serving.tensorflow."""

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
