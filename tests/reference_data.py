"""The reference files in tests/data, written by the scripts in tools/ with torch installed.

A missing file is an error, never a skip: the tests it feeds must not pass without it.
"""

import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"


def reference_path(name, tool):
    """tests/data/``name``, which must exist; ``tool`` is the script that writes it."""
    path = DATA / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: regenerate it with `python tools/{tool}` in an environment "
            "with torch and torchvision"
        )
    return path


def load_arrays(name, tool):
    """Every array of the .npz file tests/data/``name``, by key."""
    with np.load(reference_path(name, tool)) as archive:
        return {key: archive[key] for key in archive.files}


def load_json(name, tool):
    """The JSON file tests/data/``name``."""
    return json.loads(reference_path(name, tool).read_text())
