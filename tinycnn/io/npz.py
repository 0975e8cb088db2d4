"""Read and write NumPy's .npz: a zip archive of one .npy file per array."""

import zipfile

import numpy as np

from tinycnn.io.errors import CORRUPT_ZIP_ERRORS, WeightFileError

# What a .npz file can hold here: every number type NumPy has (no strings, no objects).
DTYPES = frozenset(
    np.dtype(code) for code in "?" + np.typecodes["AllInteger"] + np.typecodes["AllFloat"]
)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # a zip archive, an empty zip archive


def read(file):
    """The arrays of a .npz file, as a dict of name -> ndarray in the file's order.

    Args:
        file: a binary file open at the start of a .npz file.

    Raises:
        WeightFileError: not a .npz file, truncated or corrupt, or holding pickled Python
            objects (refused: unpickling them could run code).
    """
    if file.read(4) not in ZIP_SIGNATURES:
        raise WeightFileError("not a .npz archive: it does not start as a zip archive does")
    file.seek(0)
    try:
        with np.load(file, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except CORRUPT_ZIP_ERRORS as error:  # numpy's own (a bad .npy) are ValueErrors
        raise WeightFileError(f"not a readable .npz archive ({error})") from None
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray):  # np.load hands out other members as bytes
            raise WeightFileError(
                f"a .npz archive holds only .npy files, this one holds {name!r} (is it a .pth "
                "file, or some other zip?)"
            )
    return arrays


def write(file, arrays):
    """Write a dict of name -> ndarray to `file` as a .npz archive, as `np.savez` does.

    NOTE: not `np.savez(file, **arrays)` itself: a state-dict key could clash with its
    own parameters (`file`, `allow_pickle`).
    """
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, array in arrays.items():
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)
