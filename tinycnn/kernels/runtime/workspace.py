"""Scratch buffers kept between calls, and the batch chunks that keep them bounded.

The convolutions build large intermediate matrices (column matrices, window grids, GEMM
outputs). The page faults of a fresh large allocation can cost more than the arithmetic
done in it, so those matrices live in buffers that are allocated once and reused; and a big
batch is processed in chunks of images (or bands of one image's rows, see
``conv/via_im2col.py``) so that the buffers stay under `WORKSPACE_BYTES` whatever the
batch and image size.
"""

import math
import threading

import numpy as np

# Largest workspace a convolution builds at once; a chunk holds at least one image.
WORKSPACE_BYTES = 64 * 2**20


class Scratch(threading.local):
    """Reusable buffers, one per (purpose, dtype), grown when a call needs more.

    Each thread gets its own buffers, so two threads convolving at once never share one.
    Arrays handed out are views of a buffer: they must never escape the kernel that asked.
    """

    def __init__(self):
        self.buffers = {}

    def array(self, purpose, shape, dtype):
        """A C-contiguous array of ``shape`` on the ``purpose`` buffer; contents are garbage."""
        size = math.prod(shape)
        key = (purpose, np.dtype(dtype))
        buffer = self.buffers.get(key)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size, dtype=dtype)
            self.buffers[key] = buffer
        return buffer[:size].reshape(shape)


SCRATCH = Scratch()


def batch_chunks(N, bytes_per_image, max_bytes):
    """Split the batch into consecutive slices of images whose workspace fits in ``max_bytes``.

    Example:
        >>> batch_chunks(5, bytes_per_image=100, max_bytes=250)
        [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    step = max(1, max_bytes // bytes_per_image)
    return [slice(n0, min(n0 + step, N)) for n0 in range(0, N, step)]
