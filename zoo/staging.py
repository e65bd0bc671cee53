"""Hidden staging folders that a writer fills and then renames into place
(an export version, a published package), and the clean-up of those a
killed writer left behind.

Each staging folder `.PREFIX-XXXX/` has a lock file `.PREFIX-XXXX.lock`
beside it, created first, flock-ed by its writer for as long as the
folder exists, and removed last. A folder whose lock nobody holds was
left by a writer that died (the kernel drops a dead process's locks), so
it can be deleted; one still being written is never touched."""

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import sys
import tempfile
from pathlib import Path

LOCK = ".lock"


@contextlib.contextmanager
def staging_folder(parent, prefix):
    """Yields a new hidden folder `parent/.PREFIX-XXXX` (mode from the
    umask, as any folder a user makes), locked while the block runs; the
    folder is deleted afterwards unless the block renamed it away."""
    parent = Path(parent)
    parent.mkdir(parents=True, exist_ok=True)
    remove_stale(parent, prefix)
    fd, lock_name = tempfile.mkstemp(prefix=f".{prefix}-", suffix=LOCK, dir=parent)
    lock = Path(lock_name)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        folder = lock.with_name(lock.name[: -len(LOCK)])
        folder.mkdir()  # mkdir, unlike mkdtemp's 0700, leaves the mode to the umask
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def remove_stale(parent, prefix):
    """Delete the staging folders under `parent` whose writer is gone;
    returns their paths."""
    parent, removed = Path(parent), []
    for folder in parent.glob(f".{prefix}-*"):  # from before lock files: no writer left
        if folder.is_dir() and not folder.with_name(folder.name + LOCK).exists():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    for lock in parent.glob(f".{prefix}-*{LOCK}"):
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:  # its writer just finished
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # still being written
            os.close(fd)
            continue
        try:
            folder = lock.with_name(lock.name[: -len(LOCK)])
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
            lock.unlink(missing_ok=True)
        finally:
            os.close(fd)
    return removed


def publish(package, destination):
    """Replace `destination` with a copy of the package. The copy is staged
    beside it, then swapped in by one atomic exchange of the two names, so
    a reader sees the old package or the new one, never a mix or nothing;
    only then is the old one deleted."""
    destination = Path(destination)
    with staging_folder(destination.parent, f"publish-{destination.name}") as staging:
        shutil.copytree(package, staging, dirs_exist_ok=True)
        if destination.exists():
            exchange(staging, destination)  # staging now holds the old package
        else:
            os.rename(staging, destination)


def exchange(a, b):
    """Swap two directories' names atomically (Linux renameat2
    RENAME_EXCHANGE); elsewhere, two renames that restore `b` on failure."""
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_cwd, rename_exchange = -100, 2
        if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), rename_exchange) == 0:
            return
        if ctypes.get_errno() not in (errno.EINVAL, errno.ENOSYS):  # not just unsupported
            raise OSError(ctypes.get_errno(), f"cannot swap {a} and {b}")
    aside = Path(tempfile.mkdtemp(prefix=f".{Path(b).name}.old.", dir=Path(b).parent))
    os.replace(b, aside)  # an empty directory is replaced
    try:
        os.rename(a, b)
    except OSError:
        os.rename(aside, b)
        raise
    os.rename(aside, a)
