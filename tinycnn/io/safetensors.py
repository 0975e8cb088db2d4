"""Read and write the safetensors format without the safetensors package.

A .safetensors file is three parts:

    8 bytes     N, the header's length, an unsigned little-endian integer
    N bytes     a JSON object: {"conv.weight": {"dtype": "F32", "shape": [64, 3, 7, 7],
                "data_offsets": [begin, end]}, ...}, optionally with "__metadata__", a
                dict of str -> str; padded with spaces
    the rest    the tensors' bytes, C order, little-endian; tensor t is bytes
                [begin, end) of this part

It holds no code at all, which is its point. The readers of the format also insist that
the tensors tile the data exactly (no gaps, no overlaps, nothing left over); so does `read`.
"""

import io
import json
import math
import struct

import numpy as np

from tinycnn.io.bfloat16 import bfloat16_to_float32
from tinycnn.io.budget import AllocationBudget, check_shape
from tinycnn.io.errors import WeightFileError

# safetensors dtype name -> NumPy dtype of the stored elements (little-endian).
STORED_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # NumPy has no bfloat16: read as bits, becomes float32
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
# NumPy dtype -> safetensors dtype name, for writing (no NumPy dtype is BF16).
DTYPE_NAMES = {
    dtype.newbyteorder("="): name for name, dtype in STORED_DTYPES.items() if name != "BF16"
}
DTYPES = frozenset(DTYPE_NAMES)  # what a .safetensors file can hold
HEADER_ALIGNMENT = 8  # the header is padded so the data starts 8-byte aligned


def read(file):
    """The tensors of a .safetensors file, as a dict of name -> ndarray in the file's order.

    BF16 tensors become float32 (exactly); every other dtype keeps its NumPy equivalent.

    Args:
        file: a binary file open at the start of a .safetensors file.

    Raises:
        WeightFileError: truncated, corrupt, or not a .safetensors file.
    """
    file_size = file.seek(0, io.SEEK_END)
    file.seek(0)
    prefix = file.read(8)
    if len(prefix) != 8:
        raise WeightFileError("it is too short for a .safetensors file (no header length)")
    (header_size,) = struct.unpack("<Q", prefix)
    if header_size > file_size - 8:
        raise WeightFileError(
            f"its header length says {header_size} bytes, but only {file_size - 8} follow "
            "(truncated, or not a .safetensors file)"
        )
    header = _parse_header(file.read(header_size))
    data_size = file_size - 8 - header_size
    tensors = _check_layout(header, data_size)
    budget = AllocationBudget(file_size, WeightFileError)
    arrays = {}
    for name, (code, shape, _) in sorted(tensors.items(), key=lambda item: item[1][2]):
        if code == "BF16":  # its float32 copy; the stored bits lie within the data part
            budget.take(math.prod(shape) * 4, f"tensor {name!r} as float32")
        stored = np.empty(shape, dtype=STORED_DTYPES[code])
        if file.readinto(stored.reshape(-1).view(np.uint8)) != stored.nbytes:
            raise WeightFileError(f"it is truncated inside tensor {name!r}")
        arrays[name] = bfloat16_to_float32(stored) if code == "BF16" else stored
    return {name: arrays[name] for name in tensors}  # back in the header's order


def _parse_header(raw):
    """The header's JSON object; duplicate names are an error, not silently merged."""

    def no_duplicates(pairs):
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise WeightFileError(f"its header names a tensor twice: {sorted(names)[:5]}...")
        return dict(pairs)

    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicates)
    except RecursionError:
        raise WeightFileError("its header is JSON nested too deeply to be a header") from None
    except ValueError as error:  # not UTF-8, not JSON, or an int of more than 4,300 digits
        raise WeightFileError(
            f"its header is not JSON ({str(error)[:200]}); not a .safetensors file?"
        ) from None
    if not isinstance(header, dict):
        raise WeightFileError(f"its header must be a JSON object, got {type(header).__name__}")
    header.pop("__metadata__", None)
    return header


def _check_layout(header, data_size):
    """Check every entry of the header; returns name -> (dtype code, shape, (begin, end)).

    The tensors must tile the data part exactly, in some order: each one's byte range as
    long as its shape and dtype need, with no gap, overlap or leftover.
    """
    tensors = {}
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise WeightFileError(
                f"header entry {name!r} must hold exactly dtype, shape and data_offsets, "
                f"got {entry!r:.100}"
            )
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if code not in STORED_DTYPES:
            raise WeightFileError(
                f"tensor {name!r} has dtype {code!r:.20}; tinycnn reads {', '.join(STORED_DTYPES)}"
            )
        if not _are_counts(shape) or not _are_counts(offsets) or len(offsets) != 2:
            raise WeightFileError(
                f"tensor {name!r} must have a list of ints >= 0 as shape and two as "
                f"data_offsets, got {shape!r:.60} and {offsets!r:.60}"
            )
        begin, end = offsets
        itemsize = STORED_DTYPES[code].itemsize
        check_shape(tuple(shape), itemsize, f"tensor {name!r}", WeightFileError)
        needed = math.prod(shape) * itemsize
        if end - begin != needed:
            raise WeightFileError(
                f"tensor {name!r} of shape {tuple(shape)} and dtype {code} needs {needed} "
                f"bytes, its data_offsets {offsets} give {end - begin}"
            )
        tensors[name] = (code, tuple(shape), (begin, end))
    position = 0
    for name, (_, _, (begin, end)) in sorted(tensors.items(), key=lambda item: item[1][2]):
        if begin != position:
            raise WeightFileError(
                f"tensor {name!r} starts at byte {begin} of the data, where {position} was "
                "expected (a gap or an overlap)"
            )
        position = end
    if position != data_size:
        raise WeightFileError(
            f"its tensors take {position} bytes but the data part has {data_size} "
            "(truncated, or extra bytes)"
        )
    return tensors


def _are_counts(values):
    return isinstance(values, list) and all(type(v) is int and v >= 0 for v in values)


def write(file, arrays):
    """Write a dict of name -> C-contiguous little-endian ndarray as a .safetensors file.

    Every dtype must be in `DTYPES`.
    The tensors follow one another in the dict's order; the header is padded with spaces
    so that the data starts 8-byte aligned, as the safetensors package writes it.
    """
    header = {}
    position = 0
    for name, array in arrays.items():
        header[name] = {
            "dtype": DTYPE_NAMES[array.dtype.newbyteorder("=")],
            "shape": list(array.shape),
            "data_offsets": [position, position + array.nbytes],
        }
        position += array.nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % HEADER_ALIGNMENT)
    file.write(struct.pack("<Q", len(encoded)))
    file.write(encoded)
    for array in arrays.values():
        file.write(array.reshape(-1).view(np.uint8))
