"""The tap grid: a batch of images padded, split by stride phase, and laid side by side.

The tap convolution (``conv_taps.py``) multiplies each kernel tap's weights with one
*shifted window* of a matrix, so it needs the input in a layout where, for every tap, the
pixels that tap sees at all output positions sit in one row range at a constant offset.
That layout is the grid. For stride (SH, SW) and padding (PH, PW), the padded images
split into SH*SW *phases*: phase (a, b) keeps the padded pixels whose row is a mod SH and
column b mod SW. Each image's phase is an ``HQ x WQ`` plane, and the planes of all images
follow one another::

    grid[a, b, c, m*HQ*WQ + i*WQ + j] = x[m, c, i*SH + a - PH, j*SW + b - PW]
                                        (0 where that falls outside the image)

Output pixel (oh, ow) of image m reads, through tap (kh, kw), padded pixel
``(oh*SH + kh*DH, ow*SW + kw*DW)``: phase ``(kh*DH % SH, kw*DW % SW)``, plane position
``(oh + kh*DH // SH, ow + kw*DW // SW)``. So if the output is laid out on the same
``HQ x WQ`` planes (output pixel at ``m*HQ*WQ + oh*WQ + ow``), every output position q of
tap (kh, kw) reads grid entry ``q + shift`` of one phase, with one shift for the tap::

    shift = (kh*DH // SH) * WQ + kw*DW // SW

A plane position past the end of a row, ``ow + kw*DW // SW >= WQ``, is then read from the
start of the next row, and one past the last row from the next image. Both places hold
zeros, the padding before the next row's pixels, and the padding after this row's pixels
would have held the same zeros. So the grid stores each padding once between neighbours:
a plane has room for ``H + PH`` padded rows and ``W + PW`` padded columns, not
``H + 2*PH`` and ``W + 2*PW`` (see `_phase_pitch`).

The output planes have ``HQ x WQ`` positions of which only ``OH x OW`` are real; the others
are computed and thrown away (the price of the layout: 4% at 56x56 with a 3x3 kernel, 15%
at 28x28 with a 5x5 kernel). With stride 1 there is one phase and the grid is the batch
with its padding, each image's rows one after another.

The row convolution (``conv_rows.py``) builds on the same grid: it stacks KW shifted
copies of it, one per kernel column.

Here are the grid's sizes and tap offsets (`TapGrid`), the two adjoint copies between
images and grid (`images_to_grid` scatters images into a grid, zeros elsewhere;
`grid_to_images` gathers them back), the scratch buffers both algorithms build their grids
on, and the copies back from them.
"""

from numba import njit, prange

from tinycnn.kernels.im2col import conv_output_size, inside_range
from tinycnn.kernels.threads import parallel_kernel
from tinycnn.kernels.workspace import SCRATCH

# Bytes of GEMM output summed over all taps at once (see `column_blocks`).
BLOCK_BYTES = 4 * 2**20


def _phase_pitch(size, K, S, P, D):
    """Phase positions from one padded row (or image) to the next along one axis: HQ or WQ.

    A padded row holds P zeros, ``size`` pixels and P zeros, but the row after it begins
    with P zeros of its own, which can serve as this row's trailing ones. So the pitch needs
    only ``size + P`` padded positions, as long as the farthest pixel an output reads,
    ``(outputs-1)*S + (K-1)*D``, lands no further than those next P zeros, and the outputs
    fit in the pitch. Rounded up to whole phase positions of S padded ones.
    """
    outputs = conv_output_size(size, K, S, P, D)
    farthest_read = (outputs - 1) * S + (K - 1) * D
    padded = max(size + P, farthest_read - P + 1, (outputs - 1) * S + 1)
    return -(-padded // S)


class TapGrid:
    """Sizes of the tap grid of a convolution, and where each tap's window starts.

    Attributes:
        HQ, WQ: size of one phase plane (about ``(H + PH) / SH`` by ``(W + PW) / SW``, see
            `_phase_pitch`).
        plane: HQ*WQ, the grid columns per image.
        kernel_rows: one (kh, row_phase, row_shift) per kernel row: the phase row its taps
            read, ``kh*DH % SH``, and the grid columns their windows are shifted by,
            ``(kh*DH // SH) * WQ``.
        kernel_columns: one (kw, col_phase, col_shift) per kernel column, likewise:
            ``kw*DW % SW`` and ``kw*DW // SW``.
        taps: one (kh, kw, row_phase, col_phase, shift) per tap, with
            ``shift = row_shift + col_shift``: the phase plane its window lies in, and the
            window's first column.
        row_margin, margin: columns after the last plane that the farthest-shifted window
            reads, along the kernel rows only (largest row_shift) and for a whole tap.
    """

    def __init__(self, x_shape, w_shape, stride, padding, dilation):
        N, C, H, W = x_shape
        OC, CG, KH, KW = w_shape
        (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
        self.HQ = _phase_pitch(H, KH, SH, PH, DH)
        self.WQ = _phase_pitch(W, KW, SW, PW, DW)
        self.plane = self.HQ * self.WQ
        self.kernel_rows = [(kh, kh * DH % SH, kh * DH // SH * self.WQ) for kh in range(KH)]
        self.kernel_columns = [(kw, kw * DW % SW, kw * DW // SW) for kw in range(KW)]
        self.taps = [
            (kh, kw, row_phase, col_phase, row_shift + col_shift)
            for kh, row_phase, row_shift in self.kernel_rows
            for kw, col_phase, col_shift in self.kernel_columns
        ]
        self.row_margin = self.kernel_rows[-1][2]
        self.margin = max(shift for *_, shift in self.taps)

    def waste(self, OH, OW):
        """Output grid positions computed per real output pixel (1.0 = none wasted)."""
        return self.plane / (OH * OW)


def input_grid(x, stride, padding, tap_grid):
    """The images ``x`` on the tap grid, on a scratch buffer.

    Shape:
        - x: (n, C, H, W)
        - result: (SH, SW, C, n*HQ*WQ + margin)
    """
    n, C = x.shape[:2]
    SH, SW = stride
    columns = n * tap_grid.plane + tap_grid.margin
    grid = SCRATCH.array("input grid", (SH, SW, C, columns), x.dtype)
    images_to_grid(x, SH, SW, *padding, tap_grid.HQ, tap_grid.WQ, grid, work=grid.size)
    return grid


def output_grid(dy, tap_grid):
    """Output gradients ``dy`` on the output grid (zeros off the images), on a scratch buffer.

    Shape:
        - dy: (n, OC, OH, OW)
        - result: (OC, n*HQ*WQ)
    """
    n, OC = dy.shape[:2]
    grid = SCRATCH.array("output grid", (1, 1, OC, n * tap_grid.plane), dy.dtype)
    images_to_grid(dy, 1, 1, 0, 0, tap_grid.HQ, tap_grid.WQ, grid, work=grid.size)
    return grid[0, 0]


def input_grid_to_images(grid, stride, padding, tap_grid, x):
    """Overwrite ``x`` with the images on an input-shaped grid (the adjoint of `input_grid`).

    Shape:
        - grid: (SH, SW, C, n*HQ*WQ + margin)
        - x: (n, C, H, W)
    """
    grid_to_images(grid, *stride, *padding, tap_grid.HQ, tap_grid.WQ, x, work=x.size)


def output_grid_to_images(grid, tap_grid, y):
    """Overwrite ``y`` with the OH x OW corner of every plane of an output grid.

    Shape:
        - grid: (OC, n*HQ*WQ)
        - y: (n, OC, OH, OW)
    """
    grid_to_images(grid[None, None], 1, 1, 0, 0, tap_grid.HQ, tap_grid.WQ, y, work=y.size)


def column_blocks(L, rows, itemsize):
    """Split the L grid columns into blocks whose accumulated GEMM output stays in cache.

    Every tap adds into the same output, so a block of ``rows`` x columns that fits in the
    cache is summed over all taps there; a whole chunk's output would be streamed through
    memory once per tap.
    """
    step = max(1, BLOCK_BYTES // (rows * itemsize))
    return [(start, min(start + step, L)) for start in range(0, L, step)]


@njit(cache=True)
def _phase_columns(WQ, SW, PW, b, W):
    """Columns ``[j_first, j_stop)`` of phase b that hold image pixels, and the image columns
    ``w_first:w_stop:SW`` they hold (column j holds image column ``j*SW + b - PW``)."""
    j_first, j_stop = inside_range(WQ, SW, PW, 1, b, W)
    w_first = j_first * SW + b - PW
    return j_first, j_stop, w_first, w_first + (j_stop - j_first) * SW


@parallel_kernel
def images_to_grid(x, SH, SW, PH, PW, HQ, WQ, grid):
    """Overwrite ``grid`` with the images ``x`` on the tap grid, zeros everywhere else.

    Every entry of ``grid`` is written, including the columns after the last plane (the
    margin that shifted windows read past the end), so ``grid`` may hold stale data.
    Call with ``work=grid.size`` (see `threads.parallel_kernel`).

    Loop::

        for (c, m) in C x N, in parallel:
            for a, b, i, j:
                h, w = i*SH + a - PH, j*SW + b - PW
                grid[a, b, c, m*HQ*WQ + i*WQ + j] = x[m, c, h, w] if inside the image, else 0
        grid[:, :, :, N*HQ*WQ:] = 0

    Args:
        x: images.
        SH, SW: stride (the number of phases along each axis).
        PH, PW: where the image starts in the padded plane (rows and columns of zeros
            before it).
        HQ, WQ: size of one phase plane.
        grid: output, written in place.

    Shape:
        - x: (N, C, H, W)
        - grid: (SH, SW, C, N*HQ*WQ + margin)
    """
    N, C, H, W = x.shape
    plane = HQ * WQ
    # Race-free: task (c, m) alone writes plane m of channel c, in every phase.
    for task in prange(C * N):
        c = task // N
        m = task % N
        for a in range(SH):
            i_first, i_stop = inside_range(HQ, SH, PH, 1, a, H)
            for b in range(SW):
                j_first, j_stop, w_first, w_stop = _phase_columns(WQ, SW, PW, b, W)
                out = grid[a, b, c, m * plane : (m + 1) * plane]  # (HQ*WQ,)
                out[: i_first * WQ] = 0
                out[i_stop * WQ :] = 0
                for i in range(i_first, i_stop):
                    row = out[i * WQ : (i + 1) * WQ]  # (WQ,)
                    row[:j_first] = 0
                    row[j_first:j_stop] = x[m, c, i * SH + a - PH, w_first:w_stop:SW]
                    row[j_stop:] = 0
    grid[:, :, :, N * plane :] = 0


@parallel_kernel
def grid_to_images(grid, SH, SW, PH, PW, HQ, WQ, x):
    """Overwrite ``x`` with the images on the tap ``grid``: the adjoint of `images_to_grid`.

    Grid entries outside the images are ignored. Call with ``work=x.size``.

    Loop::

        for (m, c) in N x C, in parallel:
            for h, w:
                x[m, c, h, w] = grid[(h+PH) % SH, (w+PW) % SW, c,
                                     m*HQ*WQ + (h+PH) // SH * WQ + (w+PW) // SW]

    Args:
        grid: images on the tap grid.
        SH, SW, PH, PW, HQ, WQ: as for `images_to_grid`.
        x: output, written in place; its shape gives the image size.

    Shape:
        - grid: (SH, SW, C, N*HQ*WQ + margin)
        - x: (N, C, H, W)
    """
    N, C, H, W = x.shape
    plane = HQ * WQ
    # Race-free: task (m, c) alone writes x[m, c].
    for task in prange(N * C):
        m = task // C
        c = task % C
        for h in range(H):
            a = (h + PH) % SH
            i = (h + PH) // SH
            for b in range(SW):
                j_first, j_stop, w_first, w_stop = _phase_columns(WQ, SW, PW, b, W)
                start = m * plane + i * WQ
                x[m, c, h, w_first:w_stop:SW] = grid[a, b, c, start + j_first : start + j_stop]
