"""Read the files `torch.save` writes (.pth, .pt), in both of its formats, without torch.

The zip format (torch >= 1.6, the default since):

    <name>/data.pkl        the pickled object; tensors refer to storages by key
    <name>/byteorder       "little" or "big" (absent in older files: little)
    <name>/data/<key>      the raw bytes of one storage, one file per storage
    <name>/version, ...    bookkeeping that does not matter for reading

The legacy format (torch < 1.6, and `torch.save(..., _use_new_zipfile_serialization=False)`;
most published torchvision weights): one stream of five pickles, then raw storages:

    pickle  MAGIC_NUMBER
    pickle  PROTOCOL_VERSION (1001)
    pickle  sys_info, a dict (byte order, C type sizes)
    pickle  the object; tensors refer to storages by key
    pickle  the list of storage keys, in the order their bytes follow
    then, per key: its element count as an 8-byte little-endian int, then its elements

Both pickles are read by `torch_pickle`, which runs none of the file's code. Every size
the file states is checked against what is really there before anything is allocated, so a
truncated or corrupt file gives a `WeightFileError`, never a crash or a wrong array; and
everything a load allocates is counted against `tinycnn.io.budget` (at most 16 times the
file's size, or 64 MiB), so a small file cannot claim gigabytes.
"""

import io
import zipfile

import numpy as np

from tinycnn.io import torch_pickle
from tinycnn.io.bfloat16 import bfloat16_to_float32
from tinycnn.io.budget import AllocationBudget
from tinycnn.io.errors import CORRUPT_ZIP_ERRORS, RefusedPickleError, WeightFileError
from tinycnn.io.torch_dtypes import BFLOAT16

ZIP_SIGNATURE = b"PK\x03\x04"  # how every zip archive starts
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first pickle of a legacy file
PROTOCOL_VERSION = 1001


def read(file):
    """The object a torch checkpoint holds, every tensor an ndarray.

    Args:
        file: a binary file open at the start of a `.pth` file, either format.

    Returns:
        What was saved: usually a dict of name -> ndarray (a state dict), or a dict that
        holds one (a training checkpoint). bfloat16 tensors become float32 (exactly);
        every other dtype keeps its NumPy equivalent. Each array is C-contiguous and owns
        its memory, whatever the tensor's strides were; a tensor the pickle lists twice is
        one array, listed twice.

    Raises:
        WeightFileError: not a torch checkpoint, truncated or corrupt, holding objects
            other than tensors, numbers, strings, lists and dicts, or claiming more memory
            than `tinycnn.io.budget` allows.
    """
    budget = AllocationBudget.for_file(file, WeightFileError)
    if file.read(len(ZIP_SIGNATURE)) == ZIP_SIGNATURE:
        file.seek(0)
        return _read_zip(file, budget)
    file.seek(0)
    return _read_legacy(file, budget)


def _read_zip(file, budget):
    try:
        archive = zipfile.ZipFile(file)
    except CORRUPT_ZIP_ERRORS as error:
        raise WeightFileError(f"truncated or corrupt zip archive ({error})") from None
    with archive:
        entries = {info.filename: info for info in archive.infolist()}
        if any(name.endswith("/constants.pkl") for name in entries):
            raise WeightFileError(
                "it is a TorchScript archive (torch.jit.save), which tinycnn cannot run; "
                "save the model's state_dict() with torch.save instead"
            )
        pickles = sorted(name for name in entries if name.endswith("/data.pkl"))
        if len(pickles) != 1:
            raise WeightFileError(
                "a zip archive from torch.save holds one <name>/data.pkl, this one holds "
                f"{len(pickles)} (is it a .npz file, or some other zip?)"
            )
        prefix = pickles[0].removesuffix("data.pkl")
        byteorder = _zip_byteorder(archive, entries.get(prefix + "byteorder"))
        obj, storages = torch_pickle.unpickle(io.BytesIO(_read_entry(archive, entries[pickles[0]])))
        elements = {}
        for key, storage in storages.items():
            info = entries.get(f"{prefix}data/{key}")
            if info is None:
                raise WeightFileError(f"storage {prefix}data/{key} is missing from the archive")
            elements[key] = _zip_storage(archive, info, storage, byteorder, budget)
    return torch_pickle.materialize(obj, elements, budget)


def _zip_byteorder(archive, info):
    """The byte order the archive's storages were written in: "<" (little) or ">" (big)."""
    if info is None:
        return "<"  # files from before the byteorder record are little-endian
    recorded = _read_entry(archive, info)
    orders = {b"little": "<", b"big": ">"}
    if recorded not in orders:
        raise WeightFileError(f"its byteorder must be 'little' or 'big', got {recorded[:16]!r}")
    return orders[recorded]


def _zip_storage(archive, info, storage, byteorder, budget):
    """The elements of one storage, read from its own file in the archive."""
    dtype = storage.type.dtype.newbyteorder(byteorder)
    expected = storage.numel * dtype.itemsize
    if info.file_size != expected:  # checked before reading a byte of it
        raise WeightFileError(
            f"storage {info.filename} must hold {storage.numel} elements of "
            f"{storage.type.name} ({expected} bytes), got {info.file_size} bytes"
        )
    budget.take(expected, f"storage {info.filename}")
    elements = np.frombuffer(_read_entry(archive, info), dtype=dtype)
    little_endian = elements.astype(storage.type.dtype, copy=False)
    return _as_elements(little_endian, storage, budget)


def _read_entry(archive, info):
    """The bytes of one archive entry, checked against its CRC by zipfile.

    torch.save stores every entry uncompressed, so an entry can hold no more bytes than the
    file has: refusing compressed entries means no entry can expand into more memory.
    """
    if info.compress_type != zipfile.ZIP_STORED:
        raise WeightFileError(f"entry {info.filename} is compressed, which torch.save never does")
    try:
        with archive.open(info) as entry:
            return entry.read()
    except CORRUPT_ZIP_ERRORS as error:
        raise WeightFileError(f"entry {info.filename} is truncated or corrupt ({error})") from None


def _read_legacy(file, budget):
    try:
        magic = _expect_plain(file, "its first pickle, the magic number")
    except RefusedPickleError:
        raise
    except WeightFileError:
        magic = None  # not even a pickle
    if magic != MAGIC_NUMBER:
        raise WeightFileError(
            "it is not a PyTorch checkpoint: it starts with neither a zip archive nor torch's "
            "legacy magic number"
        )
    version = _expect_plain(file, "the protocol version")
    if version != PROTOCOL_VERSION:
        raise WeightFileError(f"its protocol version must be {PROTOCOL_VERSION}, got {version!r}")
    _expect_plain(file, "sys_info")
    obj, storages = torch_pickle.unpickle(file)
    keys = _expect_plain(file, "the list of storage keys")
    if not isinstance(keys, list) or sorted(keys, key=str) != sorted(storages, key=str):
        raise WeightFileError(
            f"its list of storage keys must name the {len(storages)} storages its tensors "
            "use, exactly once each"
        )
    elements = {key: _legacy_storage(file, storages[key], budget) for key in keys}
    return torch_pickle.materialize(obj, elements, budget)


def _expect_plain(file, what):
    """One of the legacy format's bookkeeping pickles; they hold no tensors."""
    obj, storages = torch_pickle.unpickle(file)
    if storages:
        raise WeightFileError(f"{what} must not refer to storages")
    return obj


def _legacy_storage(file, storage, budget):
    """One storage of a legacy file: an 8-byte element count, then the elements."""
    header = file.read(8)
    if len(header) != 8:
        raise WeightFileError(f"it is truncated: storage {storage.key!r} is missing")
    count = int.from_bytes(header, "little", signed=True)
    if count != storage.numel:
        raise WeightFileError(
            f"storage {storage.key!r} must hold {storage.numel} elements, its header says {count}"
        )
    dtype = storage.type.dtype
    expected = count * dtype.itemsize
    remaining = _remaining_bytes(file)
    if remaining < expected:  # checked before allocating: a corrupt count cannot exhaust memory
        raise WeightFileError(
            f"it is truncated: storage {storage.key!r} needs {expected} bytes, {remaining} are left"
        )
    budget.take(expected, f"storage {storage.key!r}")
    elements = np.empty(count, dtype=dtype)
    if file.readinto(elements) != expected:
        raise WeightFileError(f"it is truncated: storage {storage.key!r} is cut short")
    return _as_elements(elements, storage, budget)


def _remaining_bytes(file):
    here = file.tell()
    end = file.seek(0, io.SEEK_END)
    file.seek(here)
    return end - here


def _as_elements(elements, storage, budget):
    """A storage's raw elements as the array its tensors are read from."""
    if storage.type.name == BFLOAT16:
        budget.take(elements.size * 4, f"storage {storage.key!r} as float32")
        return bfloat16_to_float32(elements)
    return elements
