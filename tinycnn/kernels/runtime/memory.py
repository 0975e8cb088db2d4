"""Keep freed memory in the process, so that the next batch's arrays need no new pages.

A training step allocates its activations and gradients afresh (tens of MB at batch 8,
224x224) and frees them at the end of the step. glibc's malloc hands large blocks back to
the kernel when they are freed (blocks from ``mmap``, and the top of the heap beyond a trim
threshold), so the next step's arrays are new pages, and the kernel must zero and map
every 4 KiB page on first touch, which can cost more than the arithmetic done in the page
(docs/performance.md has the figures).

So, on glibc, `keep_freed_memory` (called by ``configure.py``) raises malloc's mmap
threshold to its largest value (32 MiB on 64-bit; larger arrays still come from ``mmap``)
and stops heap trimming, the same as starting Python with
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=...``. The price: the process's
resident size does not shrink after its peak. A user who set either variable keeps what
they set, and other C libraries (macOS, musl) are left alone.
"""

import ctypes
import os

# mallopt parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LARGEST_MMAP_THRESHOLD = 32 * 2**20  # glibc's cap on 64-bit: HEAP_MAX_SIZE / 2
_LARGEST_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes a C int: trim only above 2 GiB free


def keep_freed_memory():
    """Apply the settings above; True when glibc took them."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library already loaded
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # mallopt returns 1 on success; musl's stub returns 0 and changes nothing.
    trim = mallopt(_M_TRIM_THRESHOLD, _LARGEST_TRIM_THRESHOLD)
    mmap = mallopt(_M_MMAP_THRESHOLD, _LARGEST_MMAP_THRESHOLD)
    return trim == 1 and mmap == 1
