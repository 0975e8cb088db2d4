"""Checks that a dataset's directory and files exist, failing with one line naming the path."""

import stat
from pathlib import Path

from tinycnn.data.errors import DatasetError

# What a path can be besides a regular file, as error messages name it.
_KINDS = {
    stat.S_IFIFO: "FIFO (named pipe)",
    stat.S_IFDIR: "directory",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFSOCK: "socket",
}


def directory(op, root):
    """`root` as a Path; FileNotFoundError (or NotADirectoryError) unless it is a directory."""
    path = Path(root)
    if path.is_dir():
        return path
    if path.exists():
        raise NotADirectoryError(f"{op}: root must be a directory, got the file {path}")
    raise FileNotFoundError(f"{op}: root must be an existing directory, got {path}")


def file(op, path):
    """`path` as a Path; FileNotFoundError unless it exists, DatasetError unless it is a
    regular file (see `regular_file`)."""
    return regular_file(op, path)


def regular_file(op, path):
    """`path` as a Path if it is a regular file (or a link to one).

    Anything else is refused before it is opened: opening a FIFO (named pipe) blocks until
    another program writes to it, so `tinycnn predict fifo.png` would hang forever.

    Raises:
        FileNotFoundError: nothing is there.
        DatasetError: something that is not a regular file is (a FIFO, a device, a folder).
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise FileNotFoundError(f"{op}: missing file {path}") from None
    if not stat.S_ISREG(mode):
        raise DatasetError(
            f"{op}: {path} must be a regular file, "
            f"got a {_KINDS.get(stat.S_IFMT(mode), 'special file')}"
        )
    return path
