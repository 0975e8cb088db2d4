"""One run at a time in a run directory: an advisory lock file holding the owner's PID.

Two `tinycnn train` runs writing into one `--out` would overwrite each other's checkpoint
and log, and both would exit 0. So a run holds `fcntl.flock` on `<out>/.lock` (which
also records its process id, for the message the second run prints) for as long as it
trains. The operating system releases the lock when the process ends, however it ends
(`kill -9` included): a lock file left behind by a dead run never blocks the next one.

NOTE: flock is POSIX (Linux, macOS). Windows has no fcntl module; there the run
directory is not locked (and `tinycnn train` still works), as before this lock existed.
"""

import os
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows: see the NOTE above
    fcntl = None

from tinycnn.training.errors import TrainingError

LOCK_FILE = ".lock"


@contextmanager
def locked(out):
    """Hold the lock of run directory `out` (a Path that exists) inside the `with` block.

    Raises:
        TrainingError: another process holds it; the message gives that process's id.

    Example:
        >>> with locked(Path("runs/first")):
        ...     train_the_epochs()
    """
    if fcntl is None:
        yield
        return
    path = out / LOCK_FILE
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise TrainingError(
            f"--out {out}: cannot create the lock file {path}: {error.strerror}"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise TrainingError(
                f"--out {out} is in use by another tinycnn train run (process {owner}); wait "
                "for it to end, or choose another --out"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(descriptor)  # releases the lock; the file stays, harmless
