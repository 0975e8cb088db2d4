"""Training checkpoints: one `.npz` file of named arrays plus a JSON entry, no pickle.

A checkpoint holds everything needed to continue a run exactly where it stopped: the
model's state dict, the optimizer's state dict, and a JSON-able `metadata` dict (the
trainer puts the epoch, the scheduler's state, the random generator's state, the run's
settings and its history there). The file is NumPy's `.npz` (a zip of `.npy` arrays),
read back with `allow_pickle=False`, so a tampered file cannot run code:

    metadata.json                  uint8 bytes of UTF-8 JSON:
                                       {"format": "tinycnn-checkpoint", "version": 1,
                                        "metadata": {...the caller's dict...},
                                        "optimizer": {"param_groups": [...],
                                                      "scalars": {"0": {"step": 40}, ...}}}
    model/<state-dict key>         one array per model entry, e.g. model/features.0.weight
    optimizer/<index>/<name>       one array per optimizer state entry, e.g.
                                       optimizer/0/momentum_buffer, optimizer/3/exp_avg

The optimizer's state dict is flattened (torch's layout: `state` maps a parameter's
index to a dict of arrays and scalars): its arrays become entries of their own and its
scalars (Adam's `step`) and `param_groups` go into the JSON. JSON writes floats with
`repr`, which reads back to the same double, so a learning rate survives bit for bit.

`save` writes through `tinycnn.io.atomic.atomic_write`: a save that fails or is
interrupted midway leaves the previous checkpoint as it was.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinycnn.io import npz
from tinycnn.io.atomic import atomic_write
from tinycnn.io.errors import WeightFileError
from tinycnn.training.errors import TrainingError

FORMAT = "tinycnn-checkpoint"
VERSION = 1
_METADATA = npz.CHECKPOINT_METADATA  # "metadata.json"; tinycnn.load knows these names too
_MODEL = npz.CHECKPOINT_MODEL  # "model/"
_OPTIMIZER = "optimizer/"


@dataclass
class Checkpoint:
    """What `load` returns.

    Attributes:
        path: the file it was read from.
        metadata: the dict given to `save`.
        model_state: dict name -> ndarray, for `Module.load_state_dict`.
        optimizer_state: dict in torch's layout, for `Optimizer.load_state_dict`.
    """

    path: Path
    metadata: dict
    model_state: dict
    optimizer_state: dict

    def get(self, key, kind):
        """`metadata[key]`, checked to be of type `kind`; TrainingError naming the file if not."""
        value = self.metadata.get(key)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise TrainingError(
                f"checkpoint: {self.path} must hold a {kind.__name__} {key!r}, got {value!r:.60}"
            )
        return value

    def load_model_state(self, model):
        """`model.load_state_dict(self.model_state)`; TrainingError if the weights do not fit.

        The error names the file and the model the checkpoint says it holds, e.g. when a
        file's weights belong to another network than its metadata claims.
        """
        try:
            model.load_state_dict(self.model_state)
        except RuntimeError as error:  # its message lists at most a few keys per kind
            raise TrainingError(
                f"checkpoint: {self.path} does not hold {self.metadata.get('model')!r} "
                f"weights: {error}"
            ) from error


def save(path, model_state, optimizer_state, metadata):
    """Write a checkpoint to `path` atomically.

    Args:
        path: the file to write (by convention ending in `.npz`).
        model_state: a model's `state_dict()`.
        optimizer_state: an optimizer's `state_dict()`.
        metadata: a dict of JSON-able values (str, int, float, bool, None, lists, dicts
            with string keys).

    Example:
        >>> save("run/checkpoint.npz", model.state_dict(), optimizer.state_dict(),
        ...      {"epoch": 3})
    """
    arrays = {}
    scalars = {}
    for index, state in optimizer_state["state"].items():
        for name, value in state.items():
            if isinstance(value, np.ndarray):
                arrays[f"{_OPTIMIZER}{index}/{name}"] = value
            else:
                scalars.setdefault(str(index), {})[name] = value
    header = {
        "format": FORMAT,
        "version": VERSION,
        "metadata": metadata,
        "optimizer": {"param_groups": optimizer_state["param_groups"], "scalars": scalars},
    }
    text = json.dumps(header, allow_nan=False)  # fails here, before the file is touched
    arrays[_METADATA] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    arrays.update((_MODEL + key, value) for key, value in model_state.items())
    atomic_write(path, lambda file: np.savez(file, **arrays))


def load(path):
    """Read a checkpoint written by `save`.

    Raises:
        TrainingError: the file is missing, is not a tinycnn checkpoint, or is corrupt or
            truncated; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"checkpoint: no checkpoint file {path}")
    entries = _read_entries(path)
    if _METADATA not in entries:
        raise TrainingError(
            f"checkpoint: {path} is not a tinycnn checkpoint: it has no {_METADATA} entry"
        )
    header = _read_header(path, entries.pop(_METADATA))
    model_state, optimizer_arrays = {}, {}
    for name, array in entries.items():
        if name.startswith(_MODEL):
            model_state[name[len(_MODEL) :]] = array
        elif name.startswith(_OPTIMIZER):
            optimizer_arrays[name[len(_OPTIMIZER) :]] = array
        else:
            raise TrainingError(f"checkpoint: {path} holds an unexpected entry {name!r}")
    optimizer_state = _optimizer_state(path, header["optimizer"], optimizer_arrays)
    return Checkpoint(path, header["metadata"], model_state, optimizer_state)


def _read_entries(path):
    """Every array in the file, read now, so that a corrupt member fails here.

    Read as `tinycnn.load` reads a .npz: in chunks, within `tinycnn.io.budget`, so an
    edited or hostile checkpoint cannot claim more memory than a stated multiple of its size.
    """
    try:
        with open(path, "rb") as file:
            return npz.read(file)
    except (OSError, WeightFileError) as error:
        raise TrainingError(f"checkpoint: {path} is corrupt or truncated ({error})") from error


def _read_header(path, raw):
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except RecursionError:
        raise TrainingError(f"checkpoint: {path} has a {_METADATA} nested too deeply") from None
    except ValueError as error:  # not UTF-8, not JSON, an int of more than 4,300 digits
        raise TrainingError(
            f"checkpoint: {path} has a corrupt {_METADATA}: {str(error)[:200]}"
        ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TrainingError(f"checkpoint: {path} is not a tinycnn checkpoint")
    if header.get("version") != VERSION:
        raise TrainingError(
            f"checkpoint: {path} has format version {header.get('version')!r}; "
            f"this tinycnn reads version {VERSION}"
        )
    if not isinstance(header.get("metadata"), dict) or not isinstance(
        header.get("optimizer"), dict
    ):
        raise TrainingError(f"checkpoint: {path} has a corrupt {_METADATA}")
    return header


def _optimizer_state(path, saved, arrays):
    """The optimizer's state dict in torch's layout, from the JSON part and its arrays."""
    try:
        param_groups = [_group_from_json(group) for group in saved["param_groups"]]
        state = {}
        for index, scalars in saved["scalars"].items():
            state.setdefault(int(index), {}).update(scalars)
        for name, array in arrays.items():
            index, key = name.split("/")
            state.setdefault(int(index), {})[key] = array
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise TrainingError(
            f"checkpoint: {path} has a corrupt optimizer state ({type(error).__name__}: {error})"
        ) from error
    return {"state": dict(sorted(state.items())), "param_groups": param_groups}


def _group_from_json(group):
    """A parameter group as saved, with the tuples JSON turned into lists (Adam's betas)
    made tuples again; `params` stays a list, as in torch."""
    return {
        key: tuple(value) if isinstance(value, list) and key != "params" else value
        for key, value in group.items()
    }
