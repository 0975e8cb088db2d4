"""Checks of the entries a checkpoint's JSON holds, made before a resumed run trains.

A checkpoint's metadata is JSON anyone can edit. Each entry is checked against what this
tinycnn writes, so a bad one fails in one line when the run resumes, not after an epoch's
work (or with a traceback from deep inside the scheduler).
"""

from tinycnn.data import checks
from tinycnn.training.errors import TrainingError
from tinycnn.training.log import COLUMNS


def check_history(path, history):
    """Each row of a saved history must be the log row of its epoch: finite numbers."""
    for number, row in enumerate(history, 1):
        if not isinstance(row, dict) or set(row) != set(COLUMNS):
            raise TrainingError(
                f"checkpoint: {path} has a corrupt history: row {number} must have the "
                f"columns {', '.join(COLUMNS)}, got {row!r:.80}"
            )
        if row["epoch"] != number or not all(checks.is_finite_number(row[key]) for key in COLUMNS):
            raise TrainingError(
                f"checkpoint: {path} has a corrupt history: row {number} must hold epoch "
                f"{number} and finite numbers, got {row!r:.120}"
            )


def check_like(what, saved, fresh):
    """`saved` (from JSON) must have `fresh`'s structure: the same keys, list lengths and
    kinds of value, finite numbers where `fresh` has numbers. ValueError if not."""
    if isinstance(fresh, dict):
        if not isinstance(saved, dict) or set(saved) != set(fresh):
            raise ValueError(f"{what} must have the keys {sorted(fresh)}, got {saved!r:.80}")
        for key in fresh:
            check_like(f"{what}.{key}", saved[key], fresh[key])
    elif isinstance(fresh, (list, tuple)):
        if not isinstance(saved, (list, tuple)) or len(saved) != len(fresh):
            raise ValueError(f"{what} must be a list of {len(fresh)}, got {saved!r:.80}")
        for index, (item, fresh_item) in enumerate(zip(saved, fresh, strict=True)):
            check_like(f"{what}[{index}]", item, fresh_item)
    elif checks.is_finite_number(fresh):
        if not checks.is_finite_number(saved) or (
            checks.is_int(fresh) and not checks.is_int(saved)
        ):
            kind = "an int" if checks.is_int(fresh) else "a finite number"
            raise ValueError(f"{what} must be {kind}, got {saved!r:.80}")
    elif type(saved) is not type(fresh):
        raise ValueError(f"{what} must be a {type(fresh).__name__}, got {saved!r:.80}")
