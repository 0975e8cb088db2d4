"""2-D convolution with stride 1 as accumulating GEMMs on shifted windows: no im2col.

A convolution is a sum over its KH*KW kernel taps. Tap (kh, kw) multiplies the weights
``w[:, :, kh, kw]`` (an OC x C matrix) with the input pixels that tap sees, one column per
output pixel. im2col copies those columns out for every tap, a KH*KW-fold copy of the
input. On the window grid (``window_grid.py``) they already sit side by side: for every
tap they are one *shifted window* ``grid[:, shift : shift + L]`` of the padded batch, with
``shift = kh*DH*WQ + kw*DW`` and L the grid columns of the batch. So the convolution is
one GEMM per tap, all adding into one output (BLAS's ``C += A @ B``), each reading its
window in place (``openblas.gemm``)::

    Y = sum over taps (kh, kw) of  w[:, :, kh, kw] @ grid[:, shift : shift + L]      "taps"

The input is copied once instead of KH*KW times. But each GEMM has inner size C/G only,
and with few input channels it runs far below the BLAS peak (GoogLeNet's 5x5 branch reads
16 channels: 25 GEMMs 16 deep). Stacking S = KW copies of the grid, copy s shifted by
s*DW, puts all the pixels one kernel row reads at an output position in one column, and
the convolution becomes one GEMM per kernel row, of inner size KW*C/G::

    stack[s*C/G + c, q] = grid[c, q + s*DW]
    Y = sum over kernel rows kh of  w_row[kh] @ stack[:, kh*DH*WQ : kh*DH*WQ + L]    "rows"

with ``w_row[kh][oc, s*C/G + c] = w[oc, c, kh, s]``: the input copied KW times instead of
KH*KW. Both are one loop over *window GEMMs*, S kernel columns each (S = 1: the taps, with
the grid as its own one-copy stack; S = KW: the rows); window (kh, j) starts at
``kh*DH*WQ + j*S*DW``. The gradients come the same way::

    dstack[:, shift : shift + L] += w_window.T @ dY     dx = the images on fold(dstack)
    dw_window += dY @ stack[:, shift : shift + L].T

where fold adds each copy back onto the grid columns it came from (the adjoint of the
stacking). Y and dY are on the output grid: output pixel (m, oh, ow) at
``m*HQ*WQ + oh*WQ + ow``. Its positions outside OH x OW are computed and dropped; in dY
they are zero, so they add nothing to dx or dw. With groups, each group multiplies its
own row blocks.
"""

import numpy as np

from tinycnn.kernels.conv.window_grid import (
    WindowGrid,
    input_grid,
    input_grid_to_images,
    output_grid,
    output_grid_to_images,
)
from tinycnn.kernels.runtime import openblas
from tinycnn.kernels.runtime.threads import blas_threads_for
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks

# Bytes of GEMM output summed over all windows at once (see `column_blocks`).
BLOCK_BYTES = 4 * 2**20


def column_blocks(L, rows, itemsize):
    """Split the L grid columns into blocks whose accumulated GEMM output stays in cache.

    Every window adds into the same output, so a block of ``rows`` x columns that fits in
    the cache is summed over all windows there; a whole chunk's output would be streamed
    through memory once per window.
    """
    step = max(1, BLOCK_BYTES // (rows * itemsize))
    return [(start, min(start + step, L)) for start in range(0, L, step)]


class WindowGemms:
    """The window algorithm with S kernel columns per GEMM: 1 ("taps") or KW ("rows").

    Its three methods take the arguments of ``conv.conv2d_forward`` and its backwards, with
    a `ConvGeometry` for the sizes.
    """

    def __init__(self, name, stack_kernel_rows):
        self.name = name
        self.stack_kernel_rows = stack_kernel_rows

    def __repr__(self):
        return f"<convolution algorithm {self.name!r}>"

    def computes(self, geo):
        """True for the convolutions it computes: stride 1 (the grid has no stride phases)."""
        return (geo.SH, geo.SW) == (1, 1)

    def _columns_per_gemm(self, geo):
        """S: kernel columns each GEMM covers."""
        return geo.KW if self.stack_kernel_rows else 1

    def _windows(self, geo, window_grid):
        """(kh, j, shift) of every window GEMM: kernel row kh, columns j*S .. j*S + S - 1."""
        S = self._columns_per_gemm(geo)
        return [
            (kh, j, row_shift + j * S * geo.DW)
            for kh, row_shift in enumerate(window_grid.row_shifts)
            for j in range(geo.KW // S)
        ]

    def _stack_margin(self, window_grid):
        """Columns after the last plane that a window of the stack reads."""
        return window_grid.row_margin if self.stack_kernel_rows else window_grid.margin

    def _chunks(self, N, geo, window_grid, itemsize, max_bytes):
        """Chunks of the batch whose input grid, stack and output grid fit in ``max_bytes``."""
        S = self._columns_per_gemm(geo)
        rows = geo.C + geo.OC + (S * geo.C if S > 1 else 0)
        return batch_chunks(N, rows * window_grid.plane * itemsize, max_bytes)

    def _weights(self, w, geo):
        """Window (kh, j)'s weights of group g as one row-major matrix, columns in (s, c) order.

        Shape:
            - w: (OC, C/G, KH, KW)
            - result: (KH, KW/S, G, OC/G, S*C/G)
        """
        S = self._columns_per_gemm(geo)
        J = geo.KW // S
        by_window = w.reshape(geo.G, geo.OCG, geo.CG, geo.KH, J, S).transpose(3, 4, 0, 1, 5, 2)
        return np.ascontiguousarray(by_window).reshape(geo.KH, J, geo.G, geo.OCG, S * geo.CG)

    def _stack(self, grid, geo, window_grid, L):
        """The stack of S shifted grid copies, by group; with S = 1, the grid itself.

        Shape:
            - grid: (C, L + margin)
            - result: (G, S*C/G, L + stack margin); row s*C/G + c of group g holds grid row
              g*C/G + c shifted by s*DW columns
        """
        if not self.stack_kernel_rows:
            return grid.reshape(geo.G, geo.CG, grid.shape[1])
        width = L + window_grid.row_margin
        by_group = grid.reshape(geo.G, geo.CG, grid.shape[1])
        stack = SCRATCH.array("window stack", (geo.G, geo.KW, geo.CG, width), grid.dtype)
        for s, shift in enumerate(window_grid.column_shifts):
            np.copyto(stack[:, s], by_group[:, :, shift : shift + width])
        return stack.reshape(geo.G, geo.KW * geo.CG, width)

    def _fold(self, dstack, geo, window_grid, L):
        """The adjoint of `_stack`: add every copy back onto the grid, a (C, L + margin) array.

        With S = 1 the stack is the grid itself.
        """
        if not self.stack_kernel_rows:
            return dstack.reshape(geo.C, dstack.shape[2])
        width = L + window_grid.row_margin
        dgrid = SCRATCH.array("input grid", (geo.G, geo.CG, L + window_grid.margin), dstack.dtype)
        dgrid.fill(0)
        by_copy = dstack.reshape(geo.G, geo.KW, geo.CG, width)
        for s, shift in enumerate(window_grid.column_shifts):
            window = dgrid[:, :, shift : shift + width]  # (G, C/G, width)
            np.add(window, by_copy[:, s], out=window)
        return dgrid.reshape(geo.C, L + window_grid.margin)

    def conv2d_forward(self, x, w, b, geo, max_workspace_bytes, y):
        """Write the convolution of ``x`` into ``y``.

        Loop::

            for each chunk of m images:
                stack = x[chunk] on the window grid, S copies    # (G, S*C/G, m*HQ*WQ + ...)
                Y = 0                                            # (OC, m*HQ*WQ)
                for each window (kh, j) and group g:
                    Y[g] += w_window[kh, j, g] @ stack[g, :, shift : shift + m*HQ*WQ]
                y[chunk] = the OH x OW corner of each plane of Y, plus b
        """
        G, OCG = geo.G, geo.OCG
        window_grid = WindowGrid(geo)
        windows = self._windows(geo, window_grid)
        w_windows = self._weights(w, geo)
        depth = w_windows.shape[-1]
        for images in self._chunks(x.shape[0], geo, window_grid, x.itemsize, max_workspace_bytes):
            L = (images.stop - images.start) * window_grid.plane
            stack = self._stack(
                input_grid(x[images], geo.padding, window_grid), geo, window_grid, L
            )
            Y = SCRATCH.array("output grid", (geo.OC, L), x.dtype)
            for start, stop in column_blocks(L, geo.OC, x.itemsize):
                with blas_threads_for(2 * OCG * depth * (stop - start)):
                    for t, (kh, j, shift) in enumerate(windows):
                        for g in range(G):
                            window = stack[g, :, shift + start : shift + stop]
                            out = Y[g * OCG : (g + 1) * OCG, start:stop]
                            openblas.gemm(w_windows[kh, j, g], window, out, accumulate=t > 0)
            output_grid_to_images(Y, window_grid, y[images])
        if b is not None:
            y += b.reshape(1, geo.OC, 1, 1)

    def conv2d_backward_input(self, dy, w, geo, max_workspace_bytes, dx):
        """Write dL/dx into ``dx``.

        Loop::

            for each chunk of m images:
                dY = dy[chunk] on the output grid                # (OC, m*HQ*WQ)
                dstack = 0                                       # (G, S*C/G, m*HQ*WQ + ...)
                for each window (kh, j) and group g:
                    dstack[g, :, shift : shift + m*HQ*WQ] += w_window[kh, j, g].T @ dY[g]
                dx[chunk] = the images on fold(dstack)
        """
        G, OCG = geo.G, geo.OCG
        window_grid = WindowGrid(geo)
        windows = self._windows(geo, window_grid)
        w_windows = self._weights(w, geo)
        depth = w_windows.shape[-1]
        for images in self._chunks(dx.shape[0], geo, window_grid, dy.itemsize, max_workspace_bytes):
            dY = output_grid(dy[images], window_grid)
            L = dY.shape[1]
            purpose = "window stack" if self.stack_kernel_rows else "input grid"
            width = L + self._stack_margin(window_grid)
            dstack = SCRATCH.array(purpose, (G, depth, width), dy.dtype)
            dstack.fill(0)
            for start, stop in column_blocks(L, G * depth, dy.itemsize):
                with blas_threads_for(2 * depth * OCG * (stop - start)):
                    for kh, j, shift in windows:
                        for g in range(G):
                            out = dstack[g, :, shift + start : shift + stop]
                            dY_g = dY[g * OCG : (g + 1) * OCG, start:stop]
                            openblas.gemm(w_windows[kh, j, g].T, dY_g, out, accumulate=True)
            dgrid = self._fold(dstack, geo, window_grid, L)
            input_grid_to_images(dgrid, geo.padding, window_grid, dx[images])

    def conv2d_backward_weight(self, dy, x, geo, max_workspace_bytes):
        """dL/dw, a new array.

        Loop::

            dw_window = 0                                        # (KH, KW/S, G, OC/G, S*C/G)
            for each chunk of m images:
                stack = x[chunk] on the window grid, S copies
                dY = dy[chunk] on the output grid                # (OC, m*HQ*WQ)
                for each window (kh, j) and group g:
                    dw_window[kh, j, g] += dY[g] @ stack[g, :, shift : shift + m*HQ*WQ].T
            dw = dw_window moved to (OC, C/G, KH, KW)
        """
        G, OCG, CG = geo.G, geo.OCG, geo.CG
        S = self._columns_per_gemm(geo)
        window_grid = WindowGrid(geo)
        windows = self._windows(geo, window_grid)
        dw_windows = np.zeros((geo.KH, geo.KW // S, G, OCG, S * CG), dtype=x.dtype)
        for images in self._chunks(x.shape[0], geo, window_grid, x.itemsize, max_workspace_bytes):
            dY = output_grid(dy[images], window_grid)
            L = dY.shape[1]
            stack = self._stack(
                input_grid(x[images], geo.padding, window_grid), geo, window_grid, L
            )
            with blas_threads_for(2 * OCG * S * CG * L):
                for kh, j, shift in windows:
                    for g in range(G):
                        window = stack[g, :, shift : shift + L]
                        dY_g = dY[g * OCG : (g + 1) * OCG]
                        openblas.gemm(dY_g, window.T, dw_windows[kh, j, g], accumulate=True)
        # (KH, KW/S, G, OC/G, S, C/G) -> (G, OC/G, C/G, KH, KW/S, S) = (OC, C/G, KH, KW)
        by_tap = dw_windows.reshape(geo.KH, geo.KW // S, G, OCG, S, CG).transpose(2, 3, 5, 0, 1, 4)
        return np.ascontiguousarray(by_tap).reshape(geo.OC, CG, geo.KH, geo.KW)


TAPS = WindowGemms("taps", stack_kernel_rows=False)
ROWS = WindowGemms("rows", stack_kernel_rows=True)
