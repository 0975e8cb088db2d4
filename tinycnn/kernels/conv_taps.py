"""2-D convolution as one accumulating GEMM per kernel tap, with no im2col.

A convolution is a sum over its KH*KW kernel taps. Tap (kh, kw) multiplies the weights
``w[:, :, kh, kw]`` (an OC x C matrix) with the input pixels that tap sees, one column
per output pixel. im2col copies those columns out for every tap, a KH*KW-fold copy of the
input. On the tap grid (``grid.py``) they already sit side by side: for every tap they
are one *shifted window* ``grid[a, b, :, shift : shift + L]`` of the padded, phase-split
batch ((a, b) is the stride phase the tap reads, L the grid columns of the batch). So::

    Y = sum over taps (kh, kw) of  w_tap @ grid[a, b, :, shift : shift + L]

is KH*KW GEMMs that accumulate into one output (BLAS's ``C += A @ B``), each reading its
window in place (``openblas.gemm``). The input is copied once instead of KH*KW times,
and the gradients come the same way::

    dgrid[a, b, :, shift : shift + L] += w_tap.T @ dY      dx = the images on dgrid
    dw_tap.T += grid[a, b, :, shift : shift + L] @ dY.T

where Y and dY are on the output grid: output pixel (m, oh, ow) at ``m*HQ*WQ + oh*WQ +
ow``. Its positions outside OH x OW are computed and dropped; in dY they are zero, so
they add nothing to dx or dw. With groups, each group multiplies its own row blocks.

This pays when the copy im2col saves is dear next to the GEMMs (few output channels),
C/G is large enough for a GEMM of inner size C/G to run near the BLAS peak, and the grid
wastes few positions; ``conv.py`` chooses between this and the other algorithms.
"""

import numpy as np

from tinycnn.kernels import openblas
from tinycnn.kernels.grid import (
    TapGrid,
    column_blocks,
    input_grid,
    input_grid_to_images,
    output_grid,
    output_grid_to_images,
)
from tinycnn.kernels.threads import blas_threads_for
from tinycnn.kernels.workspace import SCRATCH, batch_chunks


def _chunks(N, C, OC, stride, tap_grid, itemsize, max_bytes):
    """Chunks of the batch whose input grid (C rows) and output grid (OC rows) fit."""
    rows = stride[0] * stride[1] * C + OC
    return batch_chunks(N, rows * tap_grid.plane * itemsize, max_bytes)


def _gemm_flop(M, K, L):
    return 2 * M * K * L


def conv2d_forward(x, w, b, stride, padding, dilation, groups, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``.

    Loop::

        for each chunk of m images:
            grid = x[chunk] on the tap grid                   # (SH, SW, C, m*HQ*WQ + margin)
            Y = 0                                             # (OC, m*HQ*WQ)
            for each tap (kh, kw) and group g:
                Y[g] += w[g, :, kh, kw] @ grid[a, b, g, shift : shift + m*HQ*WQ]
            y[chunk] = the OH x OW corner of each plane of Y, plus b
    """
    N, C = x.shape[:2]
    OC, CG, KH, KW = w.shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(x.shape, w.shape, stride, padding, dilation)
    # (KH, KW, G, OC/G, C/G): tap (kh, kw)'s weights of group g as one row-major matrix.
    w_taps = np.ascontiguousarray(w.reshape(G, OCG, CG, KH, KW).transpose(3, 4, 0, 1, 2))
    for images in _chunks(N, C, OC, stride, tap_grid, x.itemsize, max_workspace_bytes):
        grid = input_grid(x[images], stride, padding, tap_grid)
        L = (images.stop - images.start) * tap_grid.plane
        Y = SCRATCH.array("output grid", (OC, L), x.dtype)
        for start, stop in column_blocks(L, OC, x.itemsize):
            with blas_threads_for(_gemm_flop(OCG, CG, stop - start)):
                for t, (kh, kw, row_phase, col_phase, shift) in enumerate(tap_grid.taps):
                    for g in range(G):
                        rows = grid[row_phase, col_phase, g * CG : (g + 1) * CG]
                        window = rows[:, shift + start : shift + stop]
                        out = Y[g * OCG : (g + 1) * OCG, start:stop]
                        openblas.gemm(w_taps[kh, kw, g], window, out, accumulate=t > 0)
        output_grid_to_images(Y, tap_grid, y[images])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)


def conv2d_backward_input(dy, w, stride, padding, dilation, groups, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``.

    Loop::

        for each chunk of m images:
            dY = dy[chunk] on the output grid                 # (OC, m*HQ*WQ)
            dgrid = 0                                         # (SH, SW, C, m*HQ*WQ + margin)
            for each tap (kh, kw) and group g:
                dgrid[a, b, g, shift : shift + m*HQ*WQ] += w[g, :, kh, kw].T @ dY[g]
            dx[chunk] = the images on dgrid
    """
    N, C, H, W = dx.shape
    OC, CG, KH, KW = w.shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(dx.shape, w.shape, stride, padding, dilation)
    w_taps = np.ascontiguousarray(w.reshape(G, OCG, CG, KH, KW).transpose(3, 4, 0, 1, 2))
    for images in _chunks(N, C, OC, stride, tap_grid, dy.itemsize, max_workspace_bytes):
        dY = output_grid(dy[images], tap_grid)
        L = dY.shape[1]
        dgrid = SCRATCH.array("input grid", (*stride, C, L + tap_grid.margin), dy.dtype)
        dgrid.fill(0)
        for start, stop in column_blocks(L, C, dy.itemsize):
            with blas_threads_for(_gemm_flop(CG, OCG, stop - start)):
                for kh, kw, row_phase, col_phase, shift in tap_grid.taps:
                    for g in range(G):
                        rows = dgrid[row_phase, col_phase, g * CG : (g + 1) * CG]
                        out = rows[:, shift + start : shift + stop]
                        dY_g = dY[g * OCG : (g + 1) * OCG, start:stop]
                        openblas.gemm(w_taps[kh, kw, g].T, dY_g, out, accumulate=True)
        input_grid_to_images(dgrid, stride, padding, tap_grid, dx[images])


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups, max_workspace_bytes):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    Loop::

        dw_t = 0                                              # (KH, KW, G, C/G, OC/G)
        for each chunk of m images:
            grid = x[chunk] on the tap grid
            dY = dy[chunk] on the output grid                 # (OC, m*HQ*WQ)
            for each tap (kh, kw) and group g:
                dw_t[kh, kw, g] += grid[a, b, g, shift : shift + m*HQ*WQ] @ dY[g].T
        dw = dw_t moved to (OC, C/G, KH, KW)

    A tap's weights ``dw[:, :, kh, kw]`` lie KH*KW elements apart in dw, a layout BLAS
    cannot write, so each tap's gradient gets a matrix of its own, moved into dw at the end.
    """
    N, C = x.shape[:2]
    OC, CG, KH, KW = w_shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(x.shape, w_shape, stride, padding, dilation)
    dw_t = np.zeros((KH, KW, G, CG, OCG), dtype=x.dtype)
    for images in _chunks(N, C, OC, stride, tap_grid, x.itemsize, max_workspace_bytes):
        grid = input_grid(x[images], stride, padding, tap_grid)
        dY = output_grid(dy[images], tap_grid)
        L = dY.shape[1]
        with blas_threads_for(_gemm_flop(CG, OCG, L)):
            for kh, kw, row_phase, col_phase, shift in tap_grid.taps:
                for g in range(G):
                    window = grid[row_phase, col_phase, g * CG : (g + 1) * CG, shift : shift + L]
                    dY_g = dY[g * OCG : (g + 1) * OCG]
                    openblas.gemm(window, dY_g.T, dw_t[kh, kw, g], accumulate=True)
    # (KH, KW, G, C/G, OC/G) -> (G, OC/G, C/G, KH, KW) = (OC, C/G, KH, KW)
    return np.ascontiguousarray(dw_t.transpose(2, 4, 3, 0, 1)).reshape(w_shape)
