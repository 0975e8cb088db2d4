"""Checks that a dataset's directory and files exist, failing with one line naming the path."""

from pathlib import Path


def directory(op, root):
    """`root` as a Path; FileNotFoundError (or NotADirectoryError) unless it is a directory."""
    path = Path(root)
    if path.is_dir():
        return path
    if path.exists():
        raise NotADirectoryError(f"{op}: root must be a directory, got the file {path}")
    raise FileNotFoundError(f"{op}: root must be an existing directory, got {path}")


def file(op, path):
    """`path` as a Path; FileNotFoundError unless it is a file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{op}: missing file {path}")
    return path
