"""2-D convolution as one accumulating GEMM per kernel row, on the row grid.

The taps (``conv_taps.py``) run one GEMM per kernel tap, of inner size C/G. With few input
channels those GEMMs are too thin to run fast (GoogLeNet's 5x5 branch reads 16 channels,
so its 25 GEMMs are each 16 deep) and every one of them adds into the whole output once
more. Here the KW taps of one kernel row share one GEMM.

The *row grid* stacks KW copies of the tap grid (``grid.py``), the copy for kernel
column kw shifted by that column's offset, so that one grid column holds, for one output
position, the pixels all KW taps of a kernel row read there::

    rows[a, g, kw, cg, q] = grid[a, b, g*C/G + cg, q + kw*DW // SW]    (b = kw*DW % SW)

Kernel row kh then needs the window of the row grid shifted by its rows, and the
convolution is KH GEMMs of inner size KW*C/G::

    Y = sum over kernel rows kh of  w_row[kh] @ rows[a, :, shift : shift + L]

with ``w_row[kh][oc, kw*C/G + cg] = w[oc, cg, kh, kw]``, ``a = kh*DH % SH`` and
``shift = (kh*DH // SH) * WQ``. The input is copied KW times (im2col copies it KH*KW
times), and the gradients come the same way::

    drows[a, :, shift : shift + L] += w_row[kh].T @ dY      dx = the images on the folded drows
    dw_row[kh] += dY @ rows[a, :, shift : shift + L].T

where folding adds each kernel column's copy back onto the grid columns it came from, the
adjoint of the stacking. Y and dY are on the output grid, as for the taps: positions
outside OH x OW are computed and dropped, and are zero in dY.
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


def _chunks(N, C, OC, KW, stride, tap_grid, itemsize, max_bytes):
    """Chunks of the batch whose input grid (C rows per phase), row grid (KW*C rows per
    phase row) and output grid (OC rows) fit."""
    SH, SW = stride
    rows = SH * SW * C + SH * KW * C + OC
    return batch_chunks(N, rows * tap_grid.plane * itemsize, max_bytes)


def _weight_rows(w, groups):
    """Kernel row kh's weights of group g as one row-major matrix, columns in (kw, cg) order.

    Shape:
        - w: (OC, C/G, KH, KW)
        - result: (KH, G, OC/G, KW*C/G)
    """
    OC, CG, KH, KW = w.shape
    G = groups
    by_row = w.reshape(G, OC // G, CG, KH, KW).transpose(3, 0, 1, 4, 2)  # (KH, G, OC/G, KW, C/G)
    return np.ascontiguousarray(by_row).reshape(KH, G, OC // G, KW * CG)


def _stack_rows(grid, tap_grid, groups, L):
    """The row grid of a tap grid, on a scratch buffer.

    Shape:
        - grid: (SH, SW, C, L + margin)
        - result: (SH, G, KW*C/G, L + row_margin); rows (g, kw, cg) hold grid row g*C/G + cg
          of phase (a, kw*DW % SW), shifted by kw*DW // SW columns
    """
    SH, SW, C, columns = grid.shape
    G, KW = groups, len(tap_grid.kernel_columns)
    width = L + tap_grid.row_margin
    by_group = grid.reshape(SH, SW, G, C // G, columns)
    rows = SCRATCH.array("row grid", (SH, G, KW, C // G, width), grid.dtype)
    for kw, col_phase, col_shift in tap_grid.kernel_columns:
        np.copyto(rows[:, :, kw], by_group[:, col_phase, :, :, col_shift : col_shift + width])
    return rows.reshape(SH, G, KW * (C // G), width)


def _fold_rows(drows, tap_grid, stride, C):
    """The adjoint of `_stack_rows`: add every kernel column's copy back onto the tap grid.

    Shape:
        - drows: (SH, G, KW*C/G, L + row_margin)
        - result: (SH, SW, C, L + margin), on a scratch buffer (zero where nothing was added)
    """
    SH, G, _, width = drows.shape
    KW = len(tap_grid.kernel_columns)
    L = width - tap_grid.row_margin
    dgrid = SCRATCH.array(
        "input grid", (SH, stride[1], G, C // G, L + tap_grid.margin), drows.dtype
    )
    dgrid.fill(0)
    by_column = drows.reshape(SH, G, KW, C // G, width)
    for kw, col_phase, col_shift in tap_grid.kernel_columns:
        window = dgrid[:, col_phase, :, :, col_shift : col_shift + width]  # (SH, G, C/G, width)
        np.add(window, by_column[:, :, kw], out=window)
    return dgrid.reshape(SH, stride[1], C, L + tap_grid.margin)


def conv2d_forward(x, w, b, stride, padding, dilation, groups, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``.

    Loop::

        for each chunk of m images:
            rows = x[chunk] on the row grid                   # (SH, G, KW*C/G, m*HQ*WQ + ...)
            Y = 0                                             # (OC, m*HQ*WQ)
            for each kernel row kh and group g:
                Y[g] += w_row[kh, g] @ rows[a, g, :, shift : shift + m*HQ*WQ]
            y[chunk] = the OH x OW corner of each plane of Y, plus b
    """
    N, C = x.shape[:2]
    OC, CG, KH, KW = w.shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(x.shape, w.shape, stride, padding, dilation)
    w_rows = _weight_rows(w, groups)
    for images in _chunks(N, C, OC, KW, stride, tap_grid, x.itemsize, max_workspace_bytes):
        L = (images.stop - images.start) * tap_grid.plane
        grid = input_grid(x[images], stride, padding, tap_grid)
        rows = _stack_rows(grid, tap_grid, groups, L)
        Y = SCRATCH.array("output grid", (OC, L), x.dtype)
        for start, stop in column_blocks(L, OC, x.itemsize):
            with blas_threads_for(2 * OCG * KW * CG * (stop - start)):
                for kh, row_phase, row_shift in tap_grid.kernel_rows:
                    for g in range(G):
                        window = rows[row_phase, g, :, row_shift + start : row_shift + stop]
                        out = Y[g * OCG : (g + 1) * OCG, start:stop]
                        openblas.gemm(w_rows[kh, g], window, out, accumulate=kh > 0)
        output_grid_to_images(Y, tap_grid, y[images])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)


def conv2d_backward_input(dy, w, stride, padding, dilation, groups, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``.

    Loop::

        for each chunk of m images:
            dY = dy[chunk] on the output grid                 # (OC, m*HQ*WQ)
            drows = 0                                         # (SH, G, KW*C/G, m*HQ*WQ + ...)
            for each kernel row kh and group g:
                drows[a, g, :, shift : shift + m*HQ*WQ] += w_row[kh, g].T @ dY[g]
            dx[chunk] = the images on the tap grid drows folds onto
    """
    N, C = dx.shape[:2]
    OC, CG, KH, KW = w.shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(dx.shape, w.shape, stride, padding, dilation)
    w_rows = _weight_rows(w, groups)
    for images in _chunks(N, C, OC, KW, stride, tap_grid, dy.itemsize, max_workspace_bytes):
        dY = output_grid(dy[images], tap_grid)
        L = dY.shape[1]
        drows = SCRATCH.array(
            "row grid", (stride[0], G, KW * CG, L + tap_grid.row_margin), dy.dtype
        )
        drows.fill(0)
        for start, stop in column_blocks(L, KW * C, dy.itemsize):
            with blas_threads_for(2 * KW * CG * OCG * (stop - start)):
                for kh, row_phase, row_shift in tap_grid.kernel_rows:
                    for g in range(G):
                        out = drows[row_phase, g, :, row_shift + start : row_shift + stop]
                        dY_g = dY[g * OCG : (g + 1) * OCG, start:stop]
                        openblas.gemm(w_rows[kh, g].T, dY_g, out, accumulate=True)
        dgrid = _fold_rows(drows, tap_grid, stride, C)
        input_grid_to_images(dgrid, stride, padding, tap_grid, dx[images])


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups, max_workspace_bytes):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    Loop::

        dw_row = 0                                            # (KH, G, OC/G, KW*C/G)
        for each chunk of m images:
            rows = x[chunk] on the row grid
            dY = dy[chunk] on the output grid                 # (OC, m*HQ*WQ)
            for each kernel row kh and group g:
                dw_row[kh, g] += dY[g] @ rows[a, g, :, shift : shift + m*HQ*WQ].T
        dw = dw_row moved to (OC, C/G, KH, KW)
    """
    N, C = x.shape[:2]
    OC, CG, KH, KW = w_shape
    G, OCG = groups, OC // groups
    tap_grid = TapGrid(x.shape, w_shape, stride, padding, dilation)
    dw_rows = np.zeros((KH, G, OCG, KW * CG), dtype=x.dtype)
    for images in _chunks(N, C, OC, KW, stride, tap_grid, x.itemsize, max_workspace_bytes):
        grid = input_grid(x[images], stride, padding, tap_grid)
        dY = output_grid(dy[images], tap_grid)
        L = dY.shape[1]
        rows = _stack_rows(grid, tap_grid, groups, L)
        with blas_threads_for(2 * OCG * L * KW * CG):
            for kh, row_phase, row_shift in tap_grid.kernel_rows:
                for g in range(G):
                    window = rows[row_phase, g, :, row_shift : row_shift + L]
                    dY_g = dY[g * OCG : (g + 1) * OCG]
                    openblas.gemm(dY_g, window.T, dw_rows[kh, g], accumulate=True)
    # (KH, G, OC/G, KW, C/G) -> (G, OC/G, C/G, KH, KW) = (OC, C/G, KH, KW)
    by_tap = dw_rows.reshape(KH, G, OCG, KW, CG).transpose(1, 2, 4, 0, 3)
    return np.ascontiguousarray(by_tap).reshape(w_shape)
