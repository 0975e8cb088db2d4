"""Write a file so that a failure midway never leaves it broken or half-written."""

import os
import tempfile


def atomic_write(path, write):
    """Call `write(file)` on a temporary file beside `path`, then rename it onto `path`.

    The rename is atomic on POSIX and Windows: readers see either the old file or the
    complete new one. If `write` raises (or the process is interrupted), the temporary
    file is removed and an existing `path` is left exactly as it was.

    Args:
        path: the destination file.
        write: a function taking a binary file object open for writing.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        # mkstemp creates the file readable by its owner only; give it the permissions a
        # plain open() would have given (those of the file it replaces, else the umask's).
        os.chmod(temporary, _permissions(path))
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())  # the data is on disk before the name points at it
        os.replace(temporary, path)
    except BaseException:  # also KeyboardInterrupt: never leave the temporary behind
        os.unlink(temporary)
        raise


def _permissions(path):
    """The mode bits of an existing `path`, else 0o666 less the process's umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)  # reading the umask means setting it; put it back at once
        os.umask(umask)
        return 0o666 & ~umask
