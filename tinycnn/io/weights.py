"""`load` and `save`: weights from and to files, in the format the file's suffix names.

    import tinycnn
    tinycnn.save(model, "resnet18.pth")     # or .pt, .npz, .safetensors
    state = tinycnn.load("resnet18.pth")    # {"conv1.weight": ndarray, ...}
    model.load_state_dict(state)

    .pth, .pt      PyTorch's files. Both formats torch.save has used are read (the zip
                   archive, and the legacy pickle stream of most published torchvision
                   weights); the zip format is written, which torch.load(path,
                   weights_only=True) reads. No torch needed, no code in the file run.
    .npz           NumPy's archive of .npy files.
    .safetensors   a JSON header and the raw little-endian tensors.

NumPy has no bfloat16: bfloat16 tensors are read as float32, which holds them exactly.
"""

import os
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from tinycnn.io import npz, pth_reader, pth_writer, safetensors
from tinycnn.io.atomic import atomic_write
from tinycnn.io.errors import WeightFileError
from tinycnn.nn.module import Module
from tinycnn.tensor import Tensor


class _Format(NamedTuple):
    read: object  # read(binary file) -> the object saved
    write: object  # write(binary file, dict of name -> C-contiguous little-endian ndarray)
    dtypes: frozenset  # the NumPy dtypes the format can hold


FORMATS = {
    ".pth": _Format(pth_reader.read, pth_writer.write, pth_writer.DTYPES),
    ".pt": _Format(pth_reader.read, pth_writer.write, pth_writer.DTYPES),
    ".npz": _Format(npz.read_state_dict, npz.write, npz.DTYPES),
    ".safetensors": _Format(safetensors.read, safetensors.write, safetensors.DTYPES),
}


def load(path, strip_prefix=None):
    """Read the weights saved in `path`, without torch.

    Args:
        path: a .pth, .pt, .npz or .safetensors file.
        strip_prefix: a str to remove from the start of every key that has it, e.g.
            "backbone." for weights saved from a model wrapped in another one. Default:
            None (keys as saved).

    Returns:
        For a state dict, a dict of name -> NumPy ndarray, in the file's order: NumPy
        arrays, not Tensors, as `Module.state_dict()` returns them (and
        `load_state_dict` takes either; `tinycnn.tensor(array)` makes one a Tensor).
        A .pth file holds whatever torch.save was given: a training checkpoint comes
        back as saved, e.g. `{"epoch": 3, "state_dict": {...}}` (`models.<name>(weights=
        path)` finds the state dict inside). A checkpoint of `tinycnn train`
        (checkpoint.npz) gives its model's state dict. Arrays are C-contiguous and own
        their memory; bfloat16 becomes float32, every other dtype its NumPy equivalent.

    Raises:
        ValueError: the suffix is none of the above.
        FileNotFoundError: no such file (or not a regular file: a FIFO is never opened).
        WeightFileError (a ValueError): the file is truncated, corrupt or of another
            format, or claims more memory than `tinycnn.io.budget` allows (16 times the
            file's size, or 64 MiB). Its subclass RefusedPickleError: a .pth file asks
            to run code or to build objects other than tensors, numbers, strings, lists
            and dicts; nothing in the file is run.

    Example:
        >>> state = tinycnn.load("resnet18-f37072fd.pth")
        >>> state["conv1.weight"].shape
        (64, 3, 7, 7)
    """
    suffix, file_format = _format("load", path)
    if strip_prefix is not None and not isinstance(strip_prefix, str):
        raise TypeError(f"load: strip_prefix must be a str or None, got {strip_prefix!r:.60}")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"load: path must be an existing file (a regular one: never a FIFO, which would "
            f"block), got {os.fspath(path)}"
        )
    try:
        with open(path, "rb") as file:
            loaded = file_format.read(file)
    except WeightFileError as error:
        # the same class (a RefusedPickleError stays one), with the file named
        raise type(error)(
            f"load: {os.fspath(path)} is not a readable {suffix} file: {error}"
        ) from None
    if strip_prefix and isinstance(loaded, Mapping):
        loaded = type(loaded)(
            (key.removeprefix(strip_prefix) if isinstance(key, str) else key, value)
            for key, value in loaded.items()
        )
    return loaded


def save(state_dict_or_module, path):
    """Write a module's state dict, or a dict of name -> array, to `path`.

    The file is written under a temporary name and renamed onto `path` only when complete,
    so a save that fails midway leaves an existing file as it was.

    Args:
        state_dict_or_module: an `nn.Module` (its `state_dict()` is saved), or a mapping of
            str -> ndarray or Tensor.
        path: where to write; the suffix picks the format: .pth or .pt (torch's zip
            format, loadable by `torch.load(path, weights_only=True)`), .npz or
            .safetensors.

    Raises:
        TypeError: not a module or a mapping of str -> numeric array, or an array whose
            dtype the format cannot hold (e.g. uint16 in a .pth file).
        ValueError: the suffix is none of the above.

    Example:
        >>> tinycnn.save(model, "resnet18.pth")
    """
    _, file_format = _format("save", path)
    arrays = _arrays_to_save(state_dict_or_module, file_format.dtypes, path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: the folder of path must exist, got {os.fspath(path)}")
    atomic_write(path, lambda file: file_format.write(file, arrays))


def _format(op, path):
    """(suffix, _Format) for `path`, by its suffix."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{op}: path must be a str or os.PathLike, got {type(path).__name__}")
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in FORMATS:
        raise ValueError(f"{op}: path must end in {', '.join(FORMATS)}, got {os.fspath(path)!r}")
    return suffix, FORMATS[suffix]


def _arrays_to_save(state_dict_or_module, dtypes, path):
    """name -> C-contiguous little-endian ndarray, each checked against the format."""
    if isinstance(state_dict_or_module, Module):
        state_dict_or_module = state_dict_or_module.state_dict()
    if not isinstance(state_dict_or_module, Mapping):
        raise TypeError(
            "save: state_dict_or_module must be an nn.Module or a mapping of name -> array, "
            f"got {type(state_dict_or_module).__name__}"
        )
    arrays = {}
    for name, value in state_dict_or_module.items():
        if not isinstance(name, str):
            raise TypeError(f"save: every name must be a str, got {name!r}")
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.newbyteorder("=") not in dtypes:
            holds = ", ".join(sorted(str(dtype) for dtype in dtypes))
            raise TypeError(
                f"save: {name} must have a dtype a {os.path.splitext(path)[1]} file holds "
                f"({holds}), got {array.dtype}"
            )
        arrays[name] = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
    return arrays
