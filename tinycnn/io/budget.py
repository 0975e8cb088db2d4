"""How much memory reading a file may take: a stated multiple of the file's own size.

A file states the sizes of what it holds (a tensor's shape, an archive entry's length, an
image's pixel count), and a few bytes can state a terabyte. Every reader in tinycnn asks
an `AllocationBudget` before it allocates, so a hostile or corrupt file is refused with
one line instead of exhausting memory:

    a load may allocate at most  max(RATIO x the file's size, FLOOR)  bytes in all.

RATIO = 16 leaves room for what honest files need: a float32 copy of each bfloat16
tensor (2x), a tensor copied out of its storage (1x more), a compressed `.npz` or
`.gz` entry that inflates a few times (weights compress little: 1.1x for float32, about
5x for MNIST's images). FLOOR = 64 MiB lets a small file hold a tensor torch saved as a
broadcast (stride 0) view, or a mostly-zero compressed array.
"""

import io
import math

import numpy as np

RATIO = 16
FLOOR = 64 * 2**20
CHUNK = 2**20  # bytes read (and inflated, for a compressed stream) at a time
MAX_ARRAY_BYTES = np.iinfo(np.intp).max  # NumPy's limit on an array's extents x itemsize


class AllocationBudget:
    """The bytes a load of one file may still allocate.

    The messages do not name the file: the caller's error does (`tinycnn.load` puts it
    in front of every WeightFileError).

    Args:
        file_size: its size in bytes.
        error: the exception class to raise (WeightFileError, DatasetError, ...).

    Example:
        >>> budget = AllocationBudget(393, WeightFileError)
        >>> budget.take(16384 * 16384 * 4, "a tensor of shape (16384, 16384)")
        Traceback (most recent call last):
        WeightFileError: a tensor of shape (16384, 16384) claims 1,073,741,824 bytes ...
    """

    def __init__(self, file_size, error):
        self.file_size = file_size
        self.error = error
        self.limit = max(RATIO * file_size, FLOOR)
        self.used = 0

    def take(self, nbytes, what):
        """Count `nbytes` against the budget, before allocating them; raise if they do not fit."""
        if nbytes > self.limit - self.used:
            raise self.error(
                f"{what} claims {nbytes:,} bytes, more than a load may allocate: "
                f"at most {RATIO} x the file's {self.file_size:,} bytes (at least "
                f"{FLOOR // 2**20} MiB), {self.limit - self.used:,} bytes of which are left"
            )
        self.used += nbytes

    @classmethod
    def for_file(cls, file, error):
        """The budget of the open binary `file`, measured without moving its position."""
        here = file.tell()
        size = file.seek(0, io.SEEK_END)
        file.seek(here)
        return cls(size, error)


def read_into(file, array):
    """Fill the contiguous `array` from `file` a chunk at a time; return the bytes read.

    Chunks keep a compressed stream (gzip, a deflated zip entry) from being inflated all
    at once: no more is inflated than the array the budget granted can hold. Fewer bytes
    than `array.nbytes` means the file ended early.
    """
    raw = array.reshape(-1, order="A").view(np.uint8)  # its bytes in memory order
    filled = 0
    while filled < raw.size:
        count = file.readinto(raw[filled : filled + CHUNK])
        if not count:
            break
        filled += count
    return filled


def check_shape(shape, itemsize, what, error):
    """Raise `error` unless NumPy can make an array of `shape`: extents >= 0 whose product,
    zeros left out, times `itemsize` fits in an intp (NumPy multiplies every extent, so
    (2**40, 2**40, 0) is "too big" although it holds nothing)."""
    if any(extent < 0 for extent in shape):
        raise error(f"{what} has the shape {shape}, with a negative extent")
    if math.prod(extent for extent in shape if extent) * itemsize > MAX_ARRAY_BYTES:
        raise error(
            f"{what} has the shape {shape!r:.100}, whose extents multiply to more than NumPy "
            f"can address ({MAX_ARRAY_BYTES:,} bytes)"
        )
