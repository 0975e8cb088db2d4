"""The window grid: a batch of padded images laid end to end, for stride-1 convolutions.

The window algorithms (``via_windows.py``) multiply each kernel tap's weights with one
*shifted window* of a matrix, so they need the input in a layout where, for every tap,
the pixels that tap sees at all output positions sit in one row range at a constant
offset. That layout is the grid: each channel is one long row holding every image's
padded plane of ``HQ x WQ`` positions, one plane after another::

    grid[c, m*HQ*WQ + i*WQ + j] = x[m, c, i - PH, j - PW]     (0 outside the image)

Output pixel (oh, ow) of image m reads, through tap (kh, kw), padded pixel
``(oh + kh*DH, ow + kw*DW)``. So if the output is laid out on the same planes (output
pixel at ``m*HQ*WQ + oh*WQ + ow``), every output position q of tap (kh, kw) reads grid
entry ``q + shift``, with one shift for the whole tap::

    shift = kh*DH*WQ + kw*DW

A position past the end of a row is read from the start of the next row, and one past the
last row from the next image. Both places hold zeros, the padding before the next row's
pixels, and the padding after this row's pixels would have held the same zeros. So the grid
stores each padding once between neighbours: a plane has room for ``H + PH`` padded rows
and ``W + PW`` padded columns, not ``H + 2*PH`` and ``W + 2*PW`` (see `_pitch`).

The output planes have ``HQ x WQ`` positions of which only ``OH x OW`` are real; the others
are computed and thrown away (4% more at 56x56 with a 3x3 kernel, 15% at 28x28 with 5x5).
"""

from numba import prange

from tinycnn.kernels.conv.geometry import conv_output_size
from tinycnn.kernels.runtime.threads import parallel_kernel
from tinycnn.kernels.runtime.workspace import SCRATCH


def _pitch(size, K, P, D):
    """Grid positions from one padded row (or image) to the next along one axis: HQ or WQ.

    A padded row holds P zeros, ``size`` pixels and P zeros, but the row after it begins
    with P zeros of its own, which can serve as this row's trailing ones. So the pitch needs
    only ``size + P`` positions, as long as the farthest pixel an output reads,
    ``(outputs - 1) + (K - 1)*D``, lands no further than those next P zeros, and the
    outputs fit in the pitch.
    """
    outputs = conv_output_size(size, K, 1, P, D)
    return max(size + P, outputs + (K - 1) * D - P, outputs)


class WindowGrid:
    """Sizes of the window grid of a stride-1 convolution, and where each window starts.

    Attributes:
        HQ, WQ: size of one plane (about ``H + PH`` by ``W + PW``, see `_pitch`).
        plane: HQ*WQ, the grid columns per image.
        row_shifts: ``kh*DH*WQ`` for each kernel row kh: where its windows start.
        column_shifts: ``kw*DW`` for each kernel column kw, likewise.
        row_margin, margin: columns after the last plane that the farthest-shifted window
            reads, along the kernel rows only (largest row shift) and for a whole tap.
    """

    def __init__(self, geo):
        self.HQ = _pitch(geo.H, geo.KH, geo.PH, geo.DH)
        self.WQ = _pitch(geo.W, geo.KW, geo.PW, geo.DW)
        self.plane = self.HQ * self.WQ
        self.row_shifts = [kh * geo.DH * self.WQ for kh in range(geo.KH)]
        self.column_shifts = [kw * geo.DW for kw in range(geo.KW)]
        self.row_margin = self.row_shifts[-1]
        self.margin = self.row_margin + self.column_shifts[-1]

    def waste(self, OH, OW):
        """Output grid positions computed per real output pixel (1.0 = none wasted)."""
        return self.plane / (OH * OW)


def input_grid(x, padding, window_grid):
    """The images ``x`` on the window grid, on a scratch buffer.

    Shape:
        - x: (n, C, H, W)
        - result: (C, n*HQ*WQ + margin)
    """
    n, C = x.shape[:2]
    grid = SCRATCH.array("input grid", (C, n * window_grid.plane + window_grid.margin), x.dtype)
    images_to_grid(x, *padding, window_grid.HQ, window_grid.WQ, grid, work=grid.size)
    return grid


def output_grid(dy, window_grid):
    """Output gradients ``dy`` on the output grid (zeros off the images), on a scratch buffer.

    Shape:
        - dy: (n, OC, OH, OW)
        - result: (OC, n*HQ*WQ)
    """
    n, OC = dy.shape[:2]
    grid = SCRATCH.array("output grid", (OC, n * window_grid.plane), dy.dtype)
    images_to_grid(dy, 0, 0, window_grid.HQ, window_grid.WQ, grid, work=grid.size)
    return grid


def input_grid_to_images(grid, padding, window_grid, x):
    """Overwrite ``x`` with the images on an input-shaped grid (the adjoint of `input_grid`).

    Shape:
        - grid: (C, n*HQ*WQ + margin)
        - x: (n, C, H, W)
    """
    grid_to_images(grid, *padding, window_grid.HQ, window_grid.WQ, x, work=x.size)


def output_grid_to_images(grid, window_grid, y):
    """Overwrite ``y`` with the OH x OW corner of every plane of an output grid.

    Shape:
        - grid: (OC, n*HQ*WQ)
        - y: (n, OC, OH, OW)
    """
    grid_to_images(grid, 0, 0, window_grid.HQ, window_grid.WQ, y, work=y.size)


@parallel_kernel
def images_to_grid(x, PH, PW, HQ, WQ, grid):
    """Overwrite ``grid`` with the images ``x`` on the window grid, zeros everywhere else.

    Every entry of ``grid`` is written, including the columns after the last plane (the
    margin that shifted windows read past the end), so ``grid`` may hold stale data.
    Call with ``work=grid.size`` (see `threads.parallel_kernel`).

    Loop::

        for (c, m) in C x N, in parallel:
            for i, j in HQ x WQ:
                grid[c, m*HQ*WQ + i*WQ + j] = x[m, c, i - PH, j - PW] if inside, else 0
        grid[:, N*HQ*WQ:] = 0

    Args:
        x: images.
        PH, PW: rows and columns of zeros before the image in its plane.
        HQ, WQ: size of one plane.
        grid: output, written in place.

    Shape:
        - x: (N, C, H, W)
        - grid: (C, N*HQ*WQ + margin)
    """
    N, C, H, W = x.shape
    plane = HQ * WQ
    # Race-free: task (c, m) alone writes plane m of channel c.
    for task in prange(C * N):
        c = task // N
        m = task % N
        out = grid[c, m * plane : (m + 1) * plane]  # (HQ*WQ,)
        out[: PH * WQ] = 0
        out[(PH + H) * WQ :] = 0
        for h in range(H):
            row = out[(h + PH) * WQ : (h + PH + 1) * WQ]  # (WQ,)
            row[:PW] = 0
            row[PW : PW + W] = x[m, c, h]
            row[PW + W :] = 0
    grid[:, N * plane :] = 0


@parallel_kernel
def grid_to_images(grid, PH, PW, HQ, WQ, x):
    """Overwrite ``x`` with the images on the window ``grid``: the adjoint of `images_to_grid`.

    Grid entries outside the images are ignored. Call with ``work=x.size``.

    Loop::

        for (m, c) in N x C, in parallel:
            for h:
                x[m, c, h, :] = grid[c, m*HQ*WQ + (h + PH)*WQ + PW : ... + W]

    Args:
        grid: images on the window grid.
        PH, PW, HQ, WQ: as for `images_to_grid`.
        x: output, written in place; its shape gives the image size.

    Shape:
        - grid: (C, N*HQ*WQ + margin)
        - x: (N, C, H, W)
    """
    N, C, H, W = x.shape
    plane = HQ * WQ
    # Race-free: task (m, c) alone writes x[m, c].
    for task in prange(N * C):
        m = task // C
        c = task % C
        for h in range(H):
            start = m * plane + (h + PH) * WQ + PW
            x[m, c, h] = grid[c, start : start + W]
