"""Writing a file so that a reader never sees half of it: the bytes go to
a unique temporary file beside it, renamed over it once complete."""

import contextlib
import os
import secrets
from pathlib import Path


@contextlib.contextmanager
def atomic_writer(path, mode="w", **open_args):
    """Yields a file object whose contents replace `path` when the block
    ends without an error; on an error `path` is left as it was. The file
    gets the mode any file the user makes gets (0666 less the umask), not
    tempfile.mkstemp's 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:  # a unique name, so two writers never share one
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
