"""Unpickle a PyTorch checkpoint without torch, and without letting the file run code.

`torch.save` pickles its object with two hooks:

- every tensor becomes a call `torch._utils._rebuild_tensor_v2(storage, storage_offset,
  size, stride, requires_grad, backward_hooks)` (`_rebuild_tensor(storage, storage_offset,
  size, stride)` before torch 0.4; a Parameter wraps that in `_rebuild_parameter`);
- every storage, the flat buffer of elements behind one or more tensors, becomes a
  *persistent id* `("storage", torch.FloatStorage, key, location, numel)`: a reference to
  bytes kept outside the pickle, found by `key` (a file in the zip archive, or a block
  after the pickle in the legacy format; `location` says which device held them).

A pickle is a small program: its GLOBAL opcode names any importable callable (`os.system`,
`builtins.eval`) and REDUCE calls it with arguments from the file. So `find_class` below
resolves names only through `ALLOWED_GLOBALS`, tinycnn's own stand-ins for the few that
a checkpoint of tensors needs, and refuses every other name before anything is called:
what a hostile file names is never imported, let alone run. This admits what
`torch.load(weights_only=True)` admits for plain tensors; a whole pickled `nn.Module`
(`torch.save(model)`) is refused, as there. Before that, `_check_memo_indices` reads the
opcodes without running them, so that no file can make the unpickler allocate gigabytes.

The stand-ins do not make arrays at once: in the legacy format a storage's bytes come after
the pickle. `unpickle` returns the object with a `TensorRecord` in place of each tensor and
the storages it refers to; once a reader has their bytes, `materialize` swaps each record
for its ndarray.
"""

import math
import pickle
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from tinycnn.io.budget import MAX_ARRAY_BYTES, check_shape
from tinycnn.io.errors import RefusedPickleError, WeightFileError
from tinycnn.io.pickle_memo import check_memo_indices
from tinycnn.io.torch_dtypes import STORAGE_DTYPES

# Corrupt or hostile data makes pickle raise any of these: bad opcodes (UnpicklingError),
# an early end (EOFError), a REDUCE of something that is not callable or with the wrong
# arguments (TypeError), a bad memo index (KeyError), absurd sizes (OverflowError,
# MemoryError), undecodable text (UnicodeDecodeError, a ValueError).
_CORRUPT_PICKLE_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    MemoryError,
    RecursionError,
)


class StorageType(NamedTuple):
    """What a pickle's `torch.FloatStorage` (and the like) stands for: a dtype, not a class.

    Not callable, so a pickle that tries to call it fails before anything happens.
    """

    name: str
    dtype: np.dtype


class StorageRecord(NamedTuple):
    """A storage a pickle refers to: `numel` elements of `type`, found by `key`."""

    key: str
    type: StorageType
    numel: int


class TensorRecord(NamedTuple):
    """A tensor still to be read: where its elements sit in its storage.

    Element (i, j, ...) is `storage[offset + i * stride[0] + j * stride[1] + ...]`, as in
    torch; strides count elements, not bytes. Made only by `_tensor_record`, which checks
    that every element lies inside the storage.
    """

    storage: StorageRecord
    offset: int
    size: tuple
    stride: tuple

    def to_array(self, elements, budget):
        """The tensor as a new C-contiguous ndarray, given its storage's 1-D `elements`.

        The copy is counted against `budget` (an `AllocationBudget`) first: a tensor with
        stride 0 addresses each element many times, so a one-element storage can stand for
        a tensor of any size (torch.save writes an expanded tensor so). Within the budget it
        is copied like any other; beyond, refused.
        """
        nbytes = math.prod(self.size) * elements.itemsize
        budget.take(nbytes, f"a tensor of size {self.size} and stride {self.stride}")
        byte_strides = tuple(step * elements.itemsize for step in self.stride)
        view = np.lib.stride_tricks.as_strided(
            elements[self.offset :], shape=self.size, strides=byte_strides, writeable=False
        )
        return view.copy()  # owns its memory: no two arrays share a storage by accident


class _Function(NamedTuple):
    """A stand-in function that no pickle can alter.

    A pickle's BUILD opcode sets attributes on whatever object it is given, and a Python
    function accepts some (its `__defaults__`, for one): a file could change the stand-in
    for every later load. A NamedTuple has no attribute that can be set, and a pickle has
    no opcode that reaches `function` inside it.
    """

    function: Callable

    def __call__(self, *args):
        return self.function(*args)


def _tensor_record(storage, storage_offset, size, stride):
    """Check a rebuild call's arguments (they come from the file) and record the tensor.

    Every element the tensor addresses must lie inside its storage: `as_strided` would
    otherwise read memory that is not the storage's. The record is a tuple, so nothing in
    the file can change it once checked.
    """
    if not isinstance(storage, StorageRecord):
        raise WeightFileError(
            f"a tensor's storage must be a storage reference, got {storage!r:.100}"
        )
    if not _is_count(storage_offset):
        raise WeightFileError(
            f"a tensor's storage offset must be an int >= 0, got {storage_offset!r:.100}"
        )
    for what, values in (("size", size), ("stride", stride)):
        if type(values) is not tuple or not all(_is_count(value) for value in values):
            raise WeightFileError(
                f"a tensor's {what} must be a tuple of ints >= 0, got {values!r:.100}"
            )
    if len(size) != len(stride):
        raise WeightFileError(f"a tensor's size {size} and stride {stride} differ in length")
    itemsize = storage.type.dtype.itemsize
    check_shape(size, itemsize, "a tensor", WeightFileError)
    if any(step * itemsize > MAX_ARRAY_BYTES for step in stride):
        raise WeightFileError(
            f"a tensor's stride {stride!r:.100} steps further than NumPy can address "
            f"({MAX_ARRAY_BYTES:,} bytes)"
        )
    if all(size):  # not empty: its last element must lie inside the storage
        last = storage_offset + sum(
            (extent - 1) * step for extent, step in zip(size, stride, strict=True)
        )
        if last >= storage.numel:
            raise WeightFileError(
                f"a tensor of size {size}, stride {stride} at offset {storage_offset} needs "
                f"element {last} of a storage of only {storage.numel} elements"
            )
    return TensorRecord(storage, storage_offset, size, stride)


def _is_count(value):
    return type(value) is int and value >= 0


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
):
    """Stands for torch._utils._rebuild_tensor_v2; gradients and hooks do not apply here."""
    return _tensor_record(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    """Stands for torch._utils._rebuild_tensor, which files saved by torch < 0.4 call."""
    return _tensor_record(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    """Stands for torch._utils._rebuild_parameter: an nn.Parameter is read as its tensor."""
    if not isinstance(data, TensorRecord):
        raise WeightFileError(f"a parameter must wrap a tensor, got {data!r:.100}")
    return data


# (module, name) as written in the file -> the object it stands for. Each is immutable
# (OrderedDict is a built-in type, the rest are tuples), so no file can change it.
ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict,  # the type of every state dict
    ("torch._utils", "_rebuild_tensor_v2"): _Function(_rebuild_tensor_v2),
    ("torch._utils", "_rebuild_tensor"): _Function(_rebuild_tensor),
    ("torch._utils", "_rebuild_parameter"): _Function(_rebuild_parameter),
    **{("torch", name): StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _CheckpointUnpickler(pickle.Unpickler):
    def __init__(self, file):
        # Strings pickled by Python 2 (torch < 1.0 checkpoints) are decoded as torch does.
        super().__init__(file, encoding="utf-8")
        self.storages = {}  # key -> StorageRecord, in order of first reference

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[module, name]
        except KeyError:
            pass
        if module == "torch" and name.endswith("Storage"):
            raise WeightFileError(
                f"it holds a torch.{name}, which tinycnn cannot read; it reads "
                + ", ".join(STORAGE_DTYPES)
            )
        raise RefusedPickleError(
            f"refusing to unpickle it: it names the global {module}.{name}, which a "
            "checkpoint of tensors never needs (nothing in the file was run). tinycnn reads "
            "what torch.load(weights_only=True) reads: tensors, numbers, strings, lists and "
            "dicts; for a whole saved model, save model.state_dict() instead"
        )

    def persistent_load(self, saved_id):
        """A storage reference: ("storage", type, key, location, numel[, view])."""
        if not isinstance(saved_id, tuple) or len(saved_id) not in (5, 6):
            raise WeightFileError(f"unknown persistent id {saved_id!r:.100}")
        if saved_id[0] != "storage":
            raise WeightFileError(
                f"it holds a persistent {saved_id[0]!r:.40} (a whole pickled model?), not "
                "tensors; save model.state_dict() instead"
            )
        storage_type, key, _location, numel = saved_id[1:5]
        if len(saved_id) == 6 and saved_id[5] is not None:
            raise WeightFileError(
                "it holds a view of a storage (a torch < 0.4 feature), which tinycnn cannot read"
            )
        if not isinstance(storage_type, StorageType):
            raise WeightFileError(
                f"a storage's type must be a torch storage class, got {storage_type!r:.100}"
            )
        if not isinstance(key, str) or not _is_count(numel):
            raise WeightFileError(
                f"a storage needs a str key and an int size, got {saved_id!r:.100}"
            )
        record = StorageRecord(key, storage_type, numel)
        if self.storages.setdefault(key, record) != record:
            raise WeightFileError(
                f"storage {key!r} is referred to as both {self.storages[key]} and {record}"
            )
        return record


def unpickle(file):
    """Unpickle one object of a torch checkpoint, with tensors left as `TensorRecord`s.

    Args:
        file: a binary file positioned at the pickle; left just after it.

    Returns:
        `(obj, storages)`: the unpickled object, and a dict key -> `StorageRecord` of every
        storage it refers to.

    Raises:
        WeightFileError: the pickle names a global outside `ALLOWED_GLOBALS` (refused before
            anything is called), or is truncated or corrupt.
    """
    try:
        check_memo_indices(file)
    except pickle.UnpicklingError as error:
        raise WeightFileError(str(error)) from None
    unpickler = _CheckpointUnpickler(file)
    try:
        obj = unpickler.load()
    except WeightFileError:
        raise
    except _CORRUPT_PICKLE_ERRORS as error:
        raise WeightFileError(
            f"corrupt or truncated pickle ({type(error).__name__}: {error})"
        ) from None
    return obj, unpickler.storages


def materialize(obj, storage_elements, budget):
    """`obj` with every `TensorRecord` in its dicts, lists and tuples made an ndarray.

    An object the pickle refers to many times (through its memo) is built once and the
    result shared, as unpickling shares it: a tensor listed 300 times is one array, and
    lists nested 22 deep, each holding the one below twice, take 22 steps, not 2**22.

    Args:
        obj: what `unpickle` returned.
        storage_elements: dict key -> 1-D ndarray of each storage's elements.
        budget: the `AllocationBudget` every tensor's copy is counted against.

    Raises:
        WeightFileError: a storage or stand-in sits outside any tensor, the tensors need
            more memory than the budget allows, or the object is nested too deeply (or is
            cyclic).
    """
    built = {}  # id(object of the pickle) -> what it became; `obj` keeps each one alive
    try:
        return _materialize(obj, storage_elements, budget, built)
    except RecursionError:
        raise WeightFileError("its object is nested too deeply (or contains itself)") from None


def _materialize(obj, storage_elements, budget, built):
    if id(obj) in built:
        return built[id(obj)]
    kind = type(obj)
    if kind is TensorRecord:
        result = obj.to_array(storage_elements[obj.storage.key], budget)
    elif kind in (dict, OrderedDict):  # the only mappings a pickle can build here
        result = kind(
            (key, _materialize(value, storage_elements, budget, built))
            for key, value in obj.items()
        )
    elif kind in (list, tuple):
        result = kind(_materialize(item, storage_elements, budget, built) for item in obj)
    elif kind in (StorageType, StorageRecord, _Function) or obj is OrderedDict:
        raise WeightFileError(f"it holds {obj!r:.60} outside any tensor, which no checkpoint does")
    else:
        result = obj
    built[id(obj)] = result
    return result
