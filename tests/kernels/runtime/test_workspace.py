"""Scratch buffers and batch chunks."""

import numpy as np

from tinycnn.kernels.runtime.workspace import Scratch, batch_chunks


def test_chunks_cover_the_batch_within_the_limit():
    assert batch_chunks(5, 100, 250) == [slice(0, 2), slice(2, 4), slice(4, 5)]
    assert batch_chunks(5, 100, 10**9) == [slice(0, 5)]
    assert batch_chunks(3, 100, 1) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # >= 1 image


def test_scratch_reuses_a_buffer_until_a_call_needs_more():
    scratch = Scratch()
    first = scratch.array("cols", (4, 5), np.float32)
    smaller = scratch.array("cols", (3, 2), np.float32)
    assert np.shares_memory(first, smaller)
    other_dtype = scratch.array("cols", (3, 2), np.float64)
    assert not np.shares_memory(first, other_dtype)
    larger = scratch.array("cols", (10, 10), np.float32)
    assert larger.shape == (10, 10) and larger.flags.c_contiguous
    assert not np.shares_memory(first, larger)
