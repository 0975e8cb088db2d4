"""The learner's file: writing a skeleton into it, and loading the functions from it."""

import importlib.util
from pathlib import Path


class LearnerFileError(Exception):
    """The file cannot be written or loaded, or lacks a function the exercise needs."""


def write_skeleton(path, text):
    """Write `text` to `path`; never overwrite (the learner's work may be there).

    Raises:
        LearnerFileError: if the file exists or its folder cannot be created.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as file:  # "x": fail if it exists
            file.write(text)
    except FileExistsError:
        raise LearnerFileError(
            f"exercises: {path} already exists; it is not overwritten (delete it or pick "
            "another DIR to start again)"
        ) from None
    except OSError as error:
        raise LearnerFileError(f"exercises: cannot write {path}: {error}") from None
    return path


def load(path, names):
    """Run the learner's file as a module and return it; it must define every name.

    Raises:
        LearnerFileError: the file is missing, does not run, or lacks a name.
    """
    path = Path(path)
    if not path.is_file():
        raise LearnerFileError(f"exercises: no file {path}")
    spec = importlib.util.spec_from_file_location(f"learner_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the learner's code: any error is theirs to see
        raise LearnerFileError(
            f"exercises: {path} does not run: {type(error).__name__}: {error}"
        ) from error
    missing = [name for name in names if not hasattr(module, name)]
    if missing:
        raise LearnerFileError(f"exercises: {path} must define {', '.join(missing)}")
    return module
