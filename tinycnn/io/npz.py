"""Read and write NumPy's .npz: a zip archive of one .npy file per array."""

import math
import tokenize
import zipfile

import numpy as np

from tinycnn.io.budget import AllocationBudget, check_shape, read_into
from tinycnn.io.errors import CORRUPT_ZIP_ERRORS, WeightFileError

# What a .npz file can hold here: every number type NumPy has (no strings, no objects).
DTYPES = frozenset(
    np.dtype(code) for code in "?" + np.typecodes["AllInteger"] + np.typecodes["AllFloat"]
)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive, an empty zip archive
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
# The entries of a checkpoint of `tinycnn train` (tinycnn.training.checkpoint writes them).
CHECKPOINT_METADATA = "metadata.json"
CHECKPOINT_MODEL = "model/"


def read(file):
    """The arrays of a .npz file, as a dict of name -> ndarray in the file's order.

    Each entry is read in chunks into an array allocated from its .npy header, after
    checking that the header's shape fits in the entry's declared size and that the
    whole load stays within `tinycnn.io.budget` (16 times the file's size, or 64 MiB).
    A compressed entry (`np.savez_compressed`) is inflated chunk by chunk, never beyond
    the size the archive declares, so a small file cannot inflate to gigabytes.

    Args:
        file: a binary file open at the start of a .npz file.

    Raises:
        WeightFileError: not a .npz file, truncated or corrupt, holding pickled Python
            objects (refused: unpickling them could run code), or claiming more memory
            than the budget allows.
    """
    budget = AllocationBudget.for_file(file, WeightFileError)
    if file.read(4) not in ZIP_SIGNATURES:
        raise WeightFileError("not a .npz archive: it does not start as a zip archive does")
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            return {
                info.filename.removesuffix(".npy"): _read_entry(archive, info, budget)
                for info in archive.infolist()
            }
    except WeightFileError:
        raise
    except CORRUPT_ZIP_ERRORS as error:
        raise WeightFileError(f"not a readable .npz archive ({error})") from None


def read_state_dict(file):
    """`read`, except that a checkpoint of `tinycnn train` gives only its model's arrays.

    Such a checkpoint (see `tinycnn.training.checkpoint`) holds a `metadata.json` entry
    and the model's state dict as entries named `model/<key>`; `<key>` -> array is
    returned, the optimizer's entries and the metadata are left out.
    """
    arrays = read(file)
    if CHECKPOINT_METADATA not in arrays:
        return arrays
    return {
        name.removeprefix(CHECKPOINT_MODEL): array
        for name, array in arrays.items()
        if name.startswith(CHECKPOINT_MODEL)
    }


def _read_entry(archive, info, budget):
    """One .npy entry as an ndarray, read into memory the budget has granted."""
    if not info.filename.endswith(".npy"):
        raise WeightFileError(
            f"a .npz archive holds only .npy files, this one holds {info.filename!r} (is it a "
            ".pth file, or some other zip?)"
        )
    with archive.open(info) as entry:
        array = _empty_array(entry, f"entry {info.filename}", info.file_size, budget)
        _fill(entry, array, f"entry {info.filename}")
        if entry.read(1):
            raise WeightFileError(f"entry {info.filename} has bytes after its array")
    return array


def read_npy(file, what):
    """The array of one .npy file, read as `read` reads each entry of a .npz.

    Args:
        file: a binary file open at the start of a .npy file.
        what: how errors name it, e.g. "image.npy".

    Raises:
        WeightFileError: not a .npy file, truncated, holding objects, or claiming more
            memory than `tinycnn.io.budget` allows for the file's size.
    """
    budget = AllocationBudget.for_file(file, WeightFileError)
    array = _empty_array(file, what, budget.file_size, budget)
    _fill(file, array, what)
    if file.read(1):
        raise WeightFileError(f"{what} has bytes after its array")
    return array


def _empty_array(file, what, size, budget):
    """Read a .npy header from `file` and allocate the array it describes, unfilled.

    `size` is the .npy file's whole size as declared (its header included); the array's
    bytes must fit in it, and in `budget`.
    """
    start = file.tell()
    try:
        version = np.lib.format.read_magic(file)
        header_reader = _HEADER_READERS.get(version)
        if header_reader is not None:
            shape, fortran_order, dtype = header_reader(file)
    # a bad magic string, a header that is not a dict (ValueError); a header NumPy's
    # tokenizer gives up on, e.g. an unclosed bracket (TokenError)
    except (ValueError, tokenize.TokenError) as error:
        raise WeightFileError(f"{what} is not a .npy array ({error})") from None
    if header_reader is None:
        raise WeightFileError(f"{what} has .npy format version {version}, not 1.0 or 2.0")
    if dtype not in DTYPES:
        raise WeightFileError(
            f"{what} holds {dtype} values; tinycnn reads numbers only, never Python objects "
            "(unpickling them could run code)"
        )
    check_shape(shape, dtype.itemsize, what, WeightFileError)
    nbytes = math.prod(shape) * dtype.itemsize
    header_size = file.tell() - start
    if nbytes > size - header_size:
        raise WeightFileError(
            f"{what} claims an array of shape {shape} ({nbytes:,} bytes) but holds only "
            f"{size - header_size:,} bytes after its header"
        )
    budget.take(nbytes, f"{what} (an array of shape {shape})")
    return np.empty(shape, dtype=dtype, order="F" if fortran_order else "C")


def _fill(file, array, what):
    if read_into(file, array) != array.nbytes:
        raise WeightFileError(f"{what} is truncated: its array is cut short")


def write(file, arrays):
    """Write a dict of name -> ndarray to `file` as a .npz archive, as `np.savez` does.

    NOTE: not `np.savez(file, **arrays)` itself: a state-dict key could clash with its
    own parameters (`file`, `allow_pickle`).
    """
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)
