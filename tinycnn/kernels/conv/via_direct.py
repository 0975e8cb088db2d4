"""2-D convolution computed directly, in Numba: no im2col, no GEMM call.

Where a layer has few input or output channels, the GEMMs of the other algorithms are thin
and run far below the BLAS peak, and im2col's copy costs as much as they do. A direct
convolution multiplies each input pixel where it lies. Its inner loop is a vector
multiply-add over a contiguous run of output pixels, and it is blocked so that each value
it loads feeds several multiply-adds.

**The grid.** The input is padded and split into its stride phases: phase (a, b) holds the
padded pixels ``(i*SH + a, j*SW + b)``, an HQ x WQ plane, ``HQ = ceil((H + 2*PH) / SH)``,
``WQ <= ceil((W + 2*PW) / SW)`` (below; with stride 1 there is one phase: the padded image). Every
tap (kh, kw) of the kernel then reads one phase at one shift::

    phase (a, b)  = (kh*DH mod SH, kw*DW mod SW)
    shift (qh, qw) = (kh*DH div SH, kw*DW div SW)
    x_pad[c, oh*SH + kh*DH, ow*SW + kw*DW] = phase_plane[c, a, b][oh + qh, ow + qw]

Put the output pixels on a grid of the same width WQ, pixel (oh, ow) at ``p = oh*WQ + ow``
(the columns ``ow >= OW`` are computed and dropped). Then for every tap the pixels it reads
are one contiguous run of the flattened phase plane, starting at ``offset = qh*WQ + qw``::

    Y[oc, p] = sum over rows r = (c, kh, kw) of  w[oc, r] * grid[offset_r + p]      (1)

**Rows share their padding.** A row of a plane need not hold its own right padding: a tap
that reads past the end of a row reads the first columns of the next, which are left
padding, zeros as well. So the planes and the output grid are narrower than the padded
row where that holds (`_pitch`): for a padded 3x3 or 5x5 with stride 1, WQ = W + PW, not
W + 2*PW, and fewer columns are computed to be dropped: a 5x5 layer on 28x28 drops 2 of
30, not 4 of 32, a 3x3 on 7x7 1 of 8, not 2 of 9. (The input gradient below relies on the
same: reading before a row's start, it lands on the zeros past the OW outputs of the row
above.)

**Both backwards are the same two loops.**

- dx: the gradient of phase plane (a, b) gathers from dy, put on its output grid with a
  front margin F of zeros, through the taps of that phase, flipped::

      dgrid[c, a, b][q] = sum over oc and the taps of phase (a, b) of
                          w[oc, c, tap] * dY[oc, F - shift_tap + q]

  which is (1) with C and OC exchanged, one block of rows per phase. Each phase has only
  its own taps, so a stride wastes no multiplication on inserted zeros (as dy with zeros
  inserted between its pixels would); each phase's sums go to that phase's input pixels.
- dw: ``dw[oc, r] = sum over p of dY[oc, p] * grid[offset_r + p]``, a dot product along the
  grid for every (oc, r) (dY is zero at the dropped grid columns).

**The blocking: a tile of sums held in registers.** (1) is computed one tile at a time: 4
output rows m..m+3 by TILE_PIXELS = 48 grid columns p0..p0+47, 4 x 48 sums. The tile
stays in vector registers for the whole sum over the rows r, and is stored once at the
end::

    tile = 0                                            # 4 x 48: 12 zmm registers (float32)
    for r in range(R):                                  # every summed row (c, kh, kw)
        run = grid[offset_r + p0 : offset_r + p0 + 48]  # 3 vector loads
        for o in 0..3:
            tile[o, :] += w[m + o, r] * run             # a broadcast weight, 3 vector FMAs
    Y[m : m + 4, p0 : p0 + 48] = tile

Per row r that is 3 loads and 4 broadcasts for 12 vector multiply-adds, and no store: the
loop runs near the FMA units' peak (the blocking of oneDNN's and BLIS's microkernels).
The tile lives in `register_tile`, a small array on the stack that LLVM turns into
registers; an ordinary array would be loaded and stored at every r, since LLVM cannot
prove that no other array overlaps it. Its loops have constant trip counts, so LLVM
vectorizes the 48 columns (3 zmm, 6 ymm) and unrolls the 4 rows. By default LLVM would
unroll a column loop of 40 or fewer iterations completely *before* vectorizing it, and
then vectorize the wrong loop or none (over 20x slower); `register_tile` sets it to unroll
only loops of at most 8 before, so the last tile of a row may be narrower, 4 x 32 or
4 x 16 (`NARROW`): a 7x7 output of a padded 3x3 is a grid of 56 columns, 48 + 16, not 96. In
float64 the tile is 24 zmm registers. Rows are padded to multiples of 4 with zero weights
reading a row of zeros, and the grids end in TILE_PIXELS zeros, which the last tile reads
past L.

**A taller tile where the registers allow it.** The runs a tile reads, every channel's
taps, do not all fit in the L1 cache when there are many channels (128 channels of a 3x3
kernel: about 85 KiB for one tile of 48 columns), so each block of 4 rows reads them again
from L2, and L2 cannot deliver a run per 4 vector FMAs. In float32 with AVX-512 the tile is
8 x 48 (`TALL`, `tile_rows`): 24 of the 32 zmm registers, each run feeds 8 x 3 FMAs, and the
runs are read half as often. With AVX2 or in float64 8 rows would not fit, and the tile
stays 4 rows tall.

**Without AVX-512** (AVX2) there are 16 vector registers, not 32, and the tile is three ymm
vectors wide: 4 x 24 float32 sums in 12 of them (`TILE_PIXELS`). Before LLVM's unrolling
was limited, no tile that fits vectorized, and AVX2 ran a loop that streamed its sums
through the L1 cache instead; the 4 x 24 tile runs faster than that loop did
(docs/performance.md).

The sums of a block of PIXEL_BLOCK grid columns, for all the block's output rows,
go to a buffer which then goes straight to their pixels, plus the bias (the grid's dropped
columns are never stored). The dot products of dw run a 4 x 4 block of (oc, r): 16 vector
accumulators, 8 loads per 16 multiply-adds.

To see what LLVM made of a loop: ``_tile_sums.inspect_asm(_tile_sums.signatures[0])``
(with the Numba cache off, or NUMBA_CACHE_DIR set to an empty directory) and look for
``vfmadd231ps`` on ``zmm`` (512-bit), ``ymm`` (256-bit) or ``xmm`` registers; the loop over r
should hold only loads, broadcasts and FMAs.
"""

import functools
from dataclasses import dataclass

import numpy as np
from numba import literally, njit, prange, uint64

from tinycnn.kernels.conv.register_tile import FLOAT32_LANES, VECTOR_REGISTERS, register_tile
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks

# Output rows and summed rows the kernels handle at once: 4 x 4 weights or sums.
BLOCK = 4
# Output rows of the taller register tile, two blocks (`tile_rows`).
TALL = 2 * BLOCK
# Grid columns of one tile of (1), three vectors: with AVX-512, 4 x 48 sums are 12 zmm
# registers of 16 float32 (or 24 of 8 float64) of its 32; with AVX2, 4 x 24 are 12 ymm of
# its 16. The docstrings of conv/ give the AVX-512 figures: 48 columns.
TILE_PIXELS = 3 * FLOAT32_LANES
# Widths of narrower tiles, two vectors and one, for the last columns of a row of tiles:
# the tile of 48 would spend a third of its work or more on columns thrown away.
NARROW = 2 * FLOAT32_LANES
NARROWEST = FLOAT32_LANES
# Grid columns whose sums are stored before going to their pixels.
PIXEL_BLOCK = 10 * TILE_PIXELS
# Reassociation lets LLVM vectorize the sums; contraction makes a*b + c one FMA. Unlike
# fastmath=True, no flag assumes the data has no inf or NaN, so those propagate as in IEEE.
FAST_SUMS = {"reassoc", "contract"}


def tile_rows(dtype):
    """Output rows of the register tile of (1) for ``dtype``: TALL where its TALL x
    TILE_PIXELS sums fit in all but 8 of the vector registers (float32 with AVX-512: 24
    zmm), else BLOCK. Every run of the grid loaded then feeds twice the multiply-adds, and
    the runs of a tile are read from the cache half as often."""
    vector_bytes = FLOAT32_LANES * 4
    registers = TALL * TILE_PIXELS * np.dtype(dtype).itemsize // vector_bytes
    return TALL if registers <= VECTOR_REGISTERS - 8 else BLOCK


def computes(geo):
    """True for the convolutions this algorithm computes: all of them."""
    return True


def _round_up(n, multiple):
    return -(-n // multiple) * multiple


@dataclass(frozen=True)
class PhaseGrid:
    """The sizes of the phase grid of a layer (see the module docstring).

    Attributes:
        HQ, WQ: size of one phase plane.
        Q: values one channel takes on the grid, ``SH*SW*HQ*WQ``.
        L: output grid length, ``OH*WQ``.
        F: front margin of dY for dx: the largest tap shift ``qh*WQ + qw``.
    """

    HQ: int
    WQ: int
    Q: int
    L: int
    F: int

    @classmethod
    def of(cls, geo):
        HQ = -(-(geo.H + 2 * geo.PH) // geo.SH)
        WQ = _pitch(geo)
        F = ((geo.KH - 1) * geo.DH // geo.SH) * WQ + (geo.KW - 1) * geo.DW // geo.SW
        return cls(HQ, WQ, geo.SH * geo.SW * HQ * WQ, geo.OH * WQ, F)

    @property
    def plane(self):
        return self.HQ * self.WQ


@functools.lru_cache(maxsize=256)
def _pitch(geo):
    """WQ, the columns of a row of the phase planes and of the output grid: the fewest that
    hold every pixel of a row and the OW outputs, and for which every value read past the
    end of a row is a zero of the next row's left padding (see the module docstring).
    At most ``ceil((W + 2*PW) / SW)``, the padded row, where no read passes a row's end."""
    padded_row = -(-(geo.W + 2 * geo.PW) // geo.SW)
    kw = np.arange(geo.KW)
    qw = kw * geo.DW // geo.SW  # each tap's shift in its phase plane
    # A row holding all its pixels is enough for dx: its first pixel's taps then read dy
    # no further back than column OW of the row above (past its outputs: zeros).
    for WQ in range(max(geo.OW, -(-(geo.PW + geo.W) // geo.SW)), padded_row):
        # Output column OW - 1 reads column OW - 1 + qw; past the row's end that is column
        # s of the next row, whichever plane comes next: a zero if its padded column
        # s*SW + b' < PW for every phase b'.
        past_end = geo.OW - 1 + qw - WQ
        if np.all((past_end < 0) | (past_end * geo.SW + geo.SW - 1 < geo.PW)):
            return WQ
    return padded_row


def _taps(geo, grid):
    """Phase (a*SW + b) and offset in the channel's grid of every tap, in (kh, kw) order."""
    kh, kw = np.divmod(np.arange(geo.KH * geo.KW), geo.KW)
    a, qh = kh * geo.DH % geo.SH, kh * geo.DH // geo.SH
    b, qw = kw * geo.DW % geo.SW, kw * geo.DW // geo.SW
    phase = a * geo.SW + b
    return phase, phase * grid.plane + qh * grid.WQ + qw


def _input_grid(x, geo, grid, spread=False):
    """x on the phase grid, one flat row per image, followed by a zero row of L values and
    TILE_PIXELS more zeros (the last tile of (1) reads up to TILE_PIXELS - 1 values past L).
    With ``spread``, the images are shared out over the cores.

    Shape:
        - x: (n, C, H, W)
        - result: (n, C*Q + L + TILE_PIXELS); ``result[i, :C*Q]`` is (C, SH, SW, HQ, WQ)
    """
    n = x.shape[0]
    length = geo.C * grid.Q + grid.L + TILE_PIXELS
    flat = SCRATCH.array("direct input grid", (n, length), x.dtype)
    x = np.ascontiguousarray(x)
    fill = phases_into_each_image if spread else phases_into
    fill(x, geo.PH, geo.PW, geo.SH, geo.SW, grid.HQ, grid.WQ, grid.Q, grid.plane, flat)
    flat[:, geo.C * grid.Q :] = 0
    return flat


@njit(cache=True, nogil=True)
def phases_into(x, PH, PW, SH, SW, HQ, WQ, channel_step, phase_step, out):
    """x padded with PH, PW zeros and split into its stride phases, each an HQ x WQ plane,
    in one pass (NumPy's fill and strided copy wrote every value twice; docs/performance.md
    has the times): for every image i, channel c, phase (a, b)::

        out[i, c*channel_step + (a*SW + b)*phase_step + u*WQ + v] = x_pad[i, c, u*SH + a, v*SW + b]

    0 in the padding and past the padded image. The indices are unsigned, so Numba adds no
    test for negative ones, which kept LLVM from vectorizing the copies.

    Shape:
        - x: (n, C, H, W), C-contiguous; out: (n, >= every index above), C-contiguous
    """
    n, C, H, W = x.shape
    pixels = x.reshape(-1)
    zero = out.dtype.type(0)
    for i in range(n):
        image = out[i]
        for c in range(C):
            for a in range(SH):
                for b in range(SW):
                    plane = uint64(c * channel_step + (a * SW + b) * phase_step)
                    # The columns v whose pixel v*SW + b - PW lies in [0, W).
                    v0 = min(WQ, max(0, -(-(PW - b) // SW)))
                    v1 = max(v0, min(WQ, -(-(W + PW - b) // SW)))
                    for u in range(HQ):
                        row = plane + uint64(u * WQ)
                        for v in range(WQ):
                            image[row + uint64(v)] = zero
                        h = u * SH + a - PH
                        if h < 0 or h >= H:
                            continue
                        source = uint64(((i * C + c) * H + h) * W + v0 * SW + b - PW)
                        target = row + uint64(v0)
                        for v in range(v1 - v0):
                            image[target + uint64(v)] = pixels[source + uint64(v * SW)]


@njit(cache=True, parallel=True)
def phases_into_each_image(x, PH, PW, SH, SW, HQ, WQ, channel_step, phase_step, out):
    """`phases_into`, the images shared out over the cores (one image per iteration)."""
    for i in prange(x.shape[0]):  # each iteration writes only its own image's grid
        phases_into(x[i : i + 1], PH, PW, SH, SW, HQ, WQ, channel_step, phase_step, out[i : i + 1])


def _pack(matrix):
    """Zero-pad (B, M, R) to multiples of 4 and cut it into blocks of 4 rows m, each
    contiguous with the 4 weights of one summed row r side by side (what a tile reads).

    Shape:
        - result: (B, M4/4, R4, 4), ``result[k, i, r, o] = padded[k, 4i + o, r]``
    """
    B, M, R = matrix.shape
    M4, R4 = _round_up(M, BLOCK), _round_up(max(R, 1), BLOCK)
    packed = np.empty((B, M4 // BLOCK, R4, BLOCK), dtype=matrix.dtype)
    _pack_into(matrix, packed)
    return packed


@njit(cache=True, nogil=True)
def _pack_into(matrix, packed):
    """`_pack`'s loop (NumPy's padded copy and transpose of the weights took as long as a
    small layer's arithmetic: docs/performance.md)."""
    B, M, R = matrix.shape
    for k in range(B):
        for i in range(packed.shape[1]):
            for r in range(packed.shape[2]):
                for o in range(BLOCK):
                    m = i * BLOCK + o
                    packed[k, i, r, o] = matrix[k, m, r] if m < M and r < R else 0


def _pad_offsets(offsets, zero_row):
    """Pad (B, R) offsets to R4 columns with ``zero_row``, where zero weights read zeros."""
    B, R = offsets.shape
    padded = np.full((B, _round_up(max(R, 1), BLOCK)), zero_row, dtype=np.int64)
    padded[:, :R] = offsets
    return padded


@functools.lru_cache(maxsize=256)
def _forward_rows(geo, grid):
    """Offsets of the summed rows r = (c, kh, kw) of (1), one block per group: (G, C/G*KH*KW).
    Cached per layer (the kernels only read it)."""
    _, tap_offsets = _taps(geo, grid)
    channels = np.arange(geo.C).reshape(geo.G, geo.CG, 1) * grid.Q
    offsets = (channels + tap_offsets).reshape(geo.G, geo.KG)
    return _pad_offsets(offsets, zero_row=geo.C * grid.Q)


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def shifted_rows_fma(src, offsets, weights, R, L, WQ, M, targets, bias, out, rows):
    """(1) on every block of rows, written straight into the images ``out``, plus ``bias``.

    Block k computes ``Y[m, p] = sum over r < R[k] of weights[k, m, r] *
    src[i, offsets[k, r] + p]`` for its M rows and L grid columns, and grid column
    ``p = row*WQ + col`` of row m goes to ``out[i, c0 + m, row*SR + R0, col*SC + C0]`` if
    that pixel exists, with ``(c0, SR, R0, SC, C0) = targets[k]``: for the forward pass
    (g*OC/G, 1, 0, 1, 0), for the dx phase (a, b) of group g (g*C/G, SH, a - PH, SW, b - PW).
    ``rows`` is the register tile's height, from `tile_rows`.

    Loop::

        for each image i, block k, PIXEL_BLOCK of grid columns:
            Y = _block_sums(the block's columns)                    # (M4, PIXEL_BLOCK)
            out[i, c0 + m, the block's pixels] = Y[m] + bias[c0 + m]

    Shape:
        - src: (n, S), one flat grid per image, S >= max(offsets) + L + TILE_PIXELS - 1
        - offsets: (B, R4), R4 >= R[k]
        - weights: (B, M4/4, R4, 4), from `_pack`
        - R: (B,), int64
        - targets: (B, 5), int64
        - bias: (channels of out,)
        - out: (n, channels, HT, WT)
    """
    Y = np.empty((weights.shape[1] * 4, PIXEL_BLOCK), dtype=out.dtype)
    for i in range(out.shape[0]):
        _image_rows_fma(src[i], offsets, weights, R, L, WQ, M, targets, bias, out[i], Y, rows)


@njit(cache=True, parallel=True, fastmath=FAST_SUMS)
def _spread_rows_fma(src, offsets, weights, R, L, WQ, M, targets, bias, out, rows):
    """`shifted_rows_fma`, the images shared out over the cores (one image per iteration)."""
    for i in prange(out.shape[0]):  # each iteration writes only image i of out
        Y = np.empty((weights.shape[1] * 4, PIXEL_BLOCK), dtype=out.dtype)  # its own sums
        _image_rows_fma(src[i], offsets, weights, R, L, WQ, M, targets, bias, out[i], Y, rows)


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _image_rows_fma(x, offsets, weights, R, L, WQ, M, targets, bias, image, Y, rows):
    """`shifted_rows_fma` for one image: x (S,) its grid, image (channels, HT, WT), Y the
    (M4, PIXEL_BLOCK) sums of one block of grid columns."""
    for k in range(weights.shape[0]):
        c0, SR, R0, SC, C0 = targets[k]
        for p_block in range(0, L, PIXEL_BLOCK):
            P = min(PIXEL_BLOCK, L - p_block)
            _block_sums(x, offsets[k], R[k], p_block, P, weights[k], Y, rows)
            for m in range(M):
                _grid_block_to_image(Y[m], p_block, P, WQ, SR, R0, SC, C0, bias[c0 + m],
                                     image[c0 + m])  # fmt: skip


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _block_sums(x, offsets, R, p0, P, w, Y, rows):
    """Y[m, q] = sum over r < R of w[m // 4, r, m % 4] * x[offsets[r] + p0 + q] for q < P
    (and up to TILE_PIXELS - 1 columns more), tile by tile in registers, each tile of
    ``rows`` output rows (`tile_rows`) but the last, which may have 4.

    For each tile of columns, the tiles of every block of rows m run in turn, so the runs
    of the grid they read stay in the cache (the weights come from L2, a broadcast per 3
    FMAs).

    Shape:
        - x: (S,), S >= max(offsets) + p0 + P + TILE_PIXELS - 1
        - offsets: (R4,), R4 >= R
        - w: (M4/4, R4, 4)
        - Y: (M4, PIXEL_BLOCK), P <= PIXEL_BLOCK
    """
    blocks = w.shape[0]
    for q0 in range(0, P, TILE_PIXELS):
        columns = P - q0
        m = 0
        while m < blocks:
            # The tile's rows and the narrowest width that holds the columns left. Six
            # calls: both must be constants where _tile_sums is called (`literally`), and
            # a helper choosing the width ran slower (docs/performance.md).
            if rows == TALL and m + 1 < blocks:
                if columns > NARROW:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, TALL, TILE_PIXELS)
                elif columns > NARROWEST:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, TALL, NARROW)
                else:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, TALL, NARROWEST)
                m += 2
            else:
                if columns > NARROW:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, BLOCK, TILE_PIXELS)
                elif columns > NARROWEST:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, BLOCK, NARROW)
                else:
                    _tile_sums(x, offsets, R, p0 + q0, w, m, Y, q0, BLOCK, NARROWEST)
                m += 1


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _tile_sums(x, offsets, R, p0, w, m, Y, q0, rows, width):
    """Y[4m + o, q0 + q] = sum over r < R of w[m + o // 4, r, o % 4] * x[offsets[r] + p0 + q],
    for the rows x width tile of rows 4m.. and columns p0 <= p0 + q < p0 + width.

    The tile's sums stay in vector registers for the whole sum over r (see the module
    docstring): ``tile`` is on the stack and the loops over it have constant trip counts;
    ``rows`` and ``width`` are compile-time constants (`literally`).

    Shape:
        - x: (S,), S >= max(offsets) + p0 + width
        - offsets: (R4,), R4 >= R
        - w: (M4/4, R4, 4), m + rows/4 <= M4/4
        - Y: (M4, >= q0 + width)
    """
    literally(rows)
    literally(width)
    tile = register_tile(rows, width, Y.dtype)
    for o in range(rows):
        for q in range(width):
            tile[o, q] = 0
    for r in range(R):
        # A view starting at the run, indexed from 0: LLVM vectorized this form only.
        run = x[offsets[r] + p0 :]
        for o in range(rows):
            w_or = w[m + o // BLOCK, r, o % BLOCK]
            for q in range(width):
                tile[o, q] += w_or * run[q]
    for block in range(rows // BLOCK):
        # 4 rows in one loop: one loop per row was unrolled into 48 scalar copies.
        row = BLOCK * (m + block)
        Y0, Y1, Y2, Y3 = Y[row, q0:], Y[row + 1, q0:], Y[row + 2, q0:], Y[row + 3, q0:]
        for q in range(width):
            tile_row = BLOCK * block
            Y0[q], Y1[q] = tile[tile_row, q], tile[tile_row + 1, q]
            Y2[q], Y3[q] = tile[tile_row + 2, q], tile[tile_row + 3, q]


@njit(cache=True, nogil=True)
def _grid_block_to_image(Y_row, p0, P, WQ, SR, R0, SC, C0, bias, image):
    """image[row*SR + R0, col*SC + C0] = Y_row[p - p0] + bias for the grid columns
    ``p = row*WQ + col`` in [p0, p0 + P) whose pixel lies inside the (HT, WT) image."""
    HT, WT = image.shape
    # The grid columns col whose pixel col*SC + C0 is in [0, WT).
    col_first = max(0, -(C0 // SC))  # ceil(-C0 / SC)
    col_stop = min(WQ, -(-(WT - C0) // SC))
    q = p0
    while q < p0 + P:
        row = q // WQ
        col = q - row * WQ
        cols = min(WQ - col, p0 + P - q)  # the columns of this grid row in the block
        pixel_row = row * SR + R0
        first, stop = max(col, col_first), min(col + cols, col_stop)
        if 0 <= pixel_row < HT and first < stop:
            sums = Y_row[q - p0 + first - col : q - p0 + stop - col]
            if SC == 1:  # the forward pass: a contiguous run, copied with vector stores
                run = image[pixel_row, first + C0 : stop + C0]
                for j in range(stop - first):
                    run[j] = sums[j] + bias
            else:
                for j in range(stop - first):
                    image[pixel_row, (first + j) * SC + C0] = sums[j] + bias
        q += cols


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def shifted_rows_dot(a, src, offsets, first, L, out):
    """out[k, m, r] += sum over images i, p in [first, first + L) of
    a[i, k*M4 + m, p] * src[i, offsets[k, r] + p].

    Loop::

        for each image i, block k, 4 rows m..m+3 of a's block k, 4 summed rows r..r+3:
            s00 .. s33 = 0                                          # 16 accumulators
            for p in range(first, first + L):                       # vector FMAs
                s_oj += a[i, k*M4 + m + o, p] * src[i, offsets[k, r + j] + p]
            out[k, m + o, r + j] += s_oj

    Shape:
        - a: (n, >= B*M4, >= first + L)
        - src: (n, S), S > max(offsets) + first + L - 1
        - offsets: (B, R4)
        - out: (B, M4, R4)
    """
    n = a.shape[0]
    B, M4, R4 = out.shape
    zero = out.dtype.type(0)
    for i in range(n):
        x = src[i]
        for k in range(B):
            for m in range(0, M4, 4):
                row = k * M4 + m
                a0, a1 = a[i, row, first : first + L], a[i, row + 1, first : first + L]
                a2, a3 = a[i, row + 2, first : first + L], a[i, row + 3, first : first + L]
                for r in range(0, R4, 4):
                    x0, x1 = x[offsets[k, r] + first :], x[offsets[k, r + 1] + first :]
                    x2, x3 = x[offsets[k, r + 2] + first :], x[offsets[k, r + 3] + first :]
                    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
                    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
                    for p in range(L):
                        u0, u1, u2, u3 = x0[p], x1[p], x2[p], x3[p]
                        s00 += a0[p] * u0
                        s01 += a0[p] * u1
                        s02 += a0[p] * u2
                        s03 += a0[p] * u3
                        s10 += a1[p] * u0
                        s11 += a1[p] * u1
                        s12 += a1[p] * u2
                        s13 += a1[p] * u3
                        s20 += a2[p] * u0
                        s21 += a2[p] * u1
                        s22 += a2[p] * u2
                        s23 += a2[p] * u3
                        s30 += a3[p] * u0
                        s31 += a3[p] * u1
                        s32 += a3[p] * u2
                        s33 += a3[p] * u3
                    block = out[k, m : m + 4, r : r + 4]
                    block[0, 0] += s00
                    block[0, 1] += s01
                    block[0, 2] += s02
                    block[0, 3] += s03
                    block[1, 0] += s10
                    block[1, 1] += s11
                    block[1, 2] += s12
                    block[1, 3] += s13
                    block[2, 0] += s20
                    block[2, 1] += s21
                    block[2, 2] += s22
                    block[2, 3] += s23
                    block[3, 0] += s30
                    block[3, 1] += s31
                    block[3, 2] += s32
                    block[3, 3] += s33


def _output_grid(dy, geo, grid, front, length, spread=False):
    """dy on the output grid: one row of ``length`` values per output channel, ``front`` zeros
    before the pixels, rows padded to M4 = OC/G rounded up to 4 per group, and a last row of
    zeros (the zero row of the dx pass). With ``spread``, the images are shared out over the
    cores.

    Shape:
        - dy: (n, OC, OH, OW)
        - result: (n, G*M4 + 1, length), ``result[i, g*M4 + oc, front + oh*WQ + ow] =
          dy[i, g*OC/G + oc, oh, ow]``, zero elsewhere
    """
    n = dy.shape[0]
    M4 = _round_up(geo.OCG, BLOCK)
    on_grid = SCRATCH.array("direct output grid", (n, geo.G * M4 + 1, length), dy.dtype)
    fill = _output_grid_of_each_image if spread else _output_grid_into
    fill(np.ascontiguousarray(dy), geo.G, M4, front, grid.WQ, on_grid)
    return on_grid


@njit(cache=True, parallel=True)
def _output_grid_of_each_image(dy, G, M4, front, WQ, on_grid):
    """`_output_grid_into`, the images shared out over the cores (one image per iteration)."""
    for i in prange(dy.shape[0]):  # each iteration writes only its own image's grid
        _output_grid_into(dy[i : i + 1], G, M4, front, WQ, on_grid[i : i + 1])


@njit(cache=True, nogil=True)
def _output_grid_into(dy, G, M4, front, WQ, on_grid):
    """`_output_grid`'s loop: every value written once, with unsigned indices (see
    `phases_into`), where a NumPy fill and strided copy wrote each twice.

    Shape:
        - dy: (n, OC, OH, OW), C-contiguous; on_grid: (n, G*M4 + 1, length), C-contiguous
    """
    n, OC, OH, OW = dy.shape
    OCG = OC // G
    length = on_grid.shape[2]
    pixels = dy.reshape(-1)
    zero = on_grid.dtype.type(0)
    for i in range(n):
        for row in range(on_grid.shape[1]):
            line = on_grid[i, row]
            g, oc = divmod(row, M4)
            if g >= G or oc >= OCG:  # a padding row, or the zero row
                for t in range(length):
                    line[uint64(t)] = zero
                continue
            for t in range(front):
                line[uint64(t)] = zero
            source = uint64(((i * OC + g * OCG + oc) * OH) * OW)
            for oh in range(OH):
                target = uint64(front + oh * WQ)
                for ow in range(OW):
                    line[target + uint64(ow)] = pixels[source + uint64(oh * OW + ow)]
                for ow in range(OW, WQ):
                    line[target + uint64(ow)] = zero
            for t in range(front + OH * WQ, length):
                line[uint64(t)] = zero


def _chunks(N, geo, grid, itemsize, max_bytes):
    """Chunks of the batch whose input grid and output-gradient grid fit in ``max_bytes``."""
    dy_rows = geo.G * _round_up(geo.OCG, BLOCK) + 1
    per_image = geo.C * grid.Q + grid.L + TILE_PIXELS + dy_rows * _dy_row_length(grid)
    return batch_chunks(N, per_image * itemsize, max_bytes)


def spreads_images(geo, N, itemsize, max_workspace_bytes, pass_):
    """Whether a call on N images should share them out over the cores itself (``spread``
    in `conv2d_forward` and `conv2d_backward_input`, ``runs`` in `conv2d_backward_weight`)
    rather than run as parts of the batch:
    when the grids of all N fit the workspace at once. With several chunks the cores would
    wait for each other at the end of every chunk, where parts meet only at the end of the
    call (docs/performance.md has the measurement). So in every ``pass_``.
    """
    return len(_chunks(N, geo, PhaseGrid.of(geo), itemsize, max_workspace_bytes)) == 1


def _dy_row_length(grid):
    """Length of a row of dY in the dx pass: F zeros, the plane, and TILE_PIXELS zeros (the
    last tile of (1) reads up to TILE_PIXELS - 1 values past the plane)."""
    return grid.F + grid.plane + TILE_PIXELS


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y, *, spread=False):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``.
    With ``spread``, the images are shared out over the cores (`spreads_images`), each
    image's grid built by the core that sums it (`_spread_grids_and_sums`).

    Loop::

        weights = w as (G, OC/G, C/G*KH*KW), in blocks of 4 rows
        for each chunk of images:
            grid = x[chunk] padded and split into phases          # (n, C*Q + L + TILE_PIXELS)
            y[chunk] = shifted_rows_fma(grid, offsets, weights) + b, one block per group
    """
    grid = PhaseGrid.of(geo)
    weights = _pack(w.reshape(geo.G, geo.OCG, geo.KG))
    offsets = _forward_rows(geo, grid)
    targets = np.array([(g * geo.OCG, 1, 0, 1, 0) for g in range(geo.G)], dtype=np.int64)
    R = np.full(geo.G, geo.KG)
    bias = np.zeros(geo.OC, dtype=y.dtype) if b is None else b.astype(y.dtype, copy=False)
    rows = tile_rows(x.dtype)
    if spread:
        _spread_grids_and_sums(np.ascontiguousarray(x), geo.PH, geo.PW, geo.SH, geo.SW, grid.HQ,
                               grid.WQ, grid.Q, offsets, weights, R, grid.L, geo.OCG, targets,
                               bias, y, rows)  # fmt: skip
        return
    for images in _chunks(x.shape[0], geo, grid, x.itemsize, max_workspace_bytes):
        src = _input_grid(x[images], geo, grid)
        shifted_rows_fma(src, offsets, weights, R, grid.L, grid.WQ, geo.OCG, targets, bias,
                         y[images], rows)  # fmt: skip


@njit(cache=True, parallel=True, fastmath=FAST_SUMS)
def _spread_grids_and_sums(x, PH, PW, SH, SW, HQ, WQ, Q, offsets, weights, R, L, M, targets,
                           bias, out, rows):  # fmt: skip
    """The forward pass with the images shared out over the cores (one image per
    iteration): each image's grid is built by the core that then sums it, into a buffer of
    its own that is still in its cache. (The whole batch's grid built first, then summed,
    ran slower: it had left the cache by the time the sums read it; docs/performance.md.)

    Shape:
        - x: (n, C, H, W), C-contiguous; out: (n, OC, OH, OW)
    """
    length = x.shape[1] * Q + L + TILE_PIXELS
    for i in prange(x.shape[0]):  # each iteration writes only image i of out
        grid = np.empty((1, length), dtype=x.dtype)
        phases_into(x[i : i + 1], PH, PW, SH, SW, HQ, WQ, Q, HQ * WQ, grid)
        grid[0, x.shape[1] * Q :] = 0  # the zero row and the last tile's overrun
        Y = np.empty((weights.shape[1] * 4, PIXEL_BLOCK), dtype=out.dtype)
        _image_rows_fma(grid[0], offsets, weights, R, L, WQ, M, targets, bias, out[i], Y, rows)


def _backward_input_rows(w, geo, grid, row_length):
    """Weights and dY offsets of the dx pass: one block per (group, phase).

    Block (g, a, b) sums over the rows (t, oc): output channel oc of group g through the t-th
    tap of phase (a, b), flipped: it reads dY row oc at ``F - shift``. Phases with fewer taps
    than the most are padded with zero weights reading the zero row; those rows come last,
    so the sums stop before them: at R[k] = OC/G * (taps of the phase).

    Shape:
        - w: (OC, C/G, KH, KW)
        - result: weights (G*SH*SW, C4/4, R4, 4), offsets (G*SH*SW, R4) and R (G*SH*SW,),
          over R4 >= OC/G * T rows, T the most taps of one phase
    """
    taps, offsets, R = _backward_input_tables(geo, grid, row_length)
    phases, T = taps.shape
    R4 = offsets.shape[1]
    weights = np.empty((geo.G * phases, _round_up(geo.CG, BLOCK) // BLOCK, R4, BLOCK), w.dtype)
    _pack_flipped_into(w.reshape(geo.G, geo.OCG, geo.CG, geo.KH * geo.KW), taps, weights)
    return weights, offsets, R


@functools.lru_cache(maxsize=256)
def _backward_input_tables(geo, grid, row_length):
    """The geometry's part of `_backward_input_rows`, cached per layer: the tap index of
    each (phase, t), -1 for a padding tap, and the offsets and R of the result.

    Shape:
        - result: taps (SH*SW, T), offsets (G*SH*SW, R4), R (G*SH*SW,)
    """
    phases = geo.SH * geo.SW
    tap_phase, tap_offsets = _taps(geo, grid)
    T = max(np.bincount(tap_phase, minlength=phases).max(), 1)
    taps = np.full((phases, T), -1, dtype=np.int64)  # (phase, t) -> tap index kh*KW + kw
    for phase in range(phases):
        mine = np.flatnonzero(tap_phase == phase)
        taps[phase, : mine.size] = mine
    valid = taps >= 0
    shifts = tap_offsets - tap_phase * grid.plane  # qh*WQ + qw
    M4 = _round_up(geo.OCG, BLOCK)
    rows = np.arange(geo.G).reshape(geo.G, 1, 1, 1) * M4 + np.arange(geo.OCG).reshape(-1, 1, 1)
    offsets = rows * row_length + grid.F - shifts[taps]  # (G, OC/G, phases, T)
    zero_row = geo.G * M4 * row_length
    offsets = np.where(valid, offsets, zero_row).transpose(0, 2, 3, 1)
    R = np.tile(valid.sum(axis=1) * geo.OCG, geo.G)
    return taps, _pad_offsets(offsets.reshape(geo.G * phases, -1), zero_row), R


@njit(cache=True, nogil=True)
def _pack_flipped_into(w4, taps, packed):
    """The dx pass's weights, packed as `_pack` packs: block (g, phase), rows c, summed rows
    (t, oc): ``packed[g*phases + phase, i, t*OC/G + oc, o] = w4[g, oc, 4i + o, taps[phase, t]]``,
    0 for a padding tap (-1), past C/G, or past the summed rows.

    Shape:
        - w4: (G, OC/G, C/G, KH*KW); taps: (phases, T)
        - packed: (G*phases, C4/4, R4, 4), R4 >= T*OC/G
    """
    G, OCG, CG, _ = w4.shape
    phases, T = taps.shape
    for g in range(G):
        for phase in range(phases):
            block = packed[g * phases + phase]
            for i in range(block.shape[0]):
                for r in range(block.shape[1]):
                    t, oc = divmod(r, OCG)
                    tap = taps[phase, t] if t < T else -1
                    for o in range(BLOCK):
                        c = i * BLOCK + o
                        block[i, r, o] = w4[g, oc, c, tap] if tap >= 0 and c < CG else 0


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx, *, spread=False):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``; ``spread`` as
    for `conv2d_forward`.

    Loop::

        for each chunk of images:
            dY = dy[chunk] on the output grid, F zeros in front     # (n, G*M4 + 1, row length)
            dx[chunk] = shifted_rows_fma(dY, offsets, flipped weights), one block per
                        (group, phase), each written onto its phase's pixels
    """
    grid = PhaseGrid.of(geo)
    row_length = _dy_row_length(grid)
    weights, offsets, R = _backward_input_rows(w, geo, grid, row_length)
    # Only the rows u0 <= u < u1 of the planes hold pixels, in some phase; the padding rows
    # above and below would be summed and dropped (a third of a padded 3x3's planes on 4x4
    # images). So the sums start at row u0: every offset and the target rows move with it.
    u0 = min(-(-(geo.PH - a) // geo.SH) for a in range(geo.SH))
    u1 = -(-(geo.PH + geo.H) // geo.SH)
    targets = np.array(
        [
            (g * geo.CG, geo.SH, u0 * geo.SH + a - geo.PH, geo.SW, b - geo.PW)
            for g in range(geo.G)
            for a in range(geo.SH)
            for b in range(geo.SW)
        ],
        dtype=np.int64,
    )
    offsets = offsets + u0 * grid.WQ  # the zero row has zeros enough past it (row_length)
    no_bias = np.zeros(geo.C, dtype=dx.dtype)
    sums = _spread_rows_fma if spread else shifted_rows_fma
    for images in _chunks(dx.shape[0], geo, grid, dy.itemsize, max_workspace_bytes):
        on_grid = _output_grid(dy[images], geo, grid, grid.F, row_length, spread)
        src = on_grid.reshape(on_grid.shape[0], -1)
        sums(src, offsets, weights, R, (u1 - u0) * grid.WQ, grid.WQ, geo.CG, targets, no_bias,
             dx[images], tile_rows(dx.dtype))  # fmt: skip


def conv2d_backward_weight(dy, x, geo, max_workspace_bytes, *, runs=None):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    With ``runs``, the first image of each part of the batch and then N, the parts are
    summed at once in an OpenMP loop, one per core, each into a dw of its own, and these
    are added in order: the sums of parts of the batch on `threads.over_parts`, the same
    bits, without its thread wake-ups (for calls whose grids fit the workspace at once,
    `spreads_images`).

    Loop::

        dw_rows = 0                                               # (G, OC/G, C/G*KH*KW)
        for each chunk of images:
            grid = x[chunk] padded and split into phases          # (n, C*Q + L + TILE_PIXELS)
            dY = dy[chunk] on the output grid, whole vectors       # (n, G*M4 + 1, ~OH*WQ)
            dw_rows += shifted_rows_dot(dY, grid, offsets)           # summed over images
    """
    grid = PhaseGrid.of(geo)
    offsets = _forward_rows(geo, grid)
    M4 = _round_up(geo.OCG, BLOCK)
    # The dot products run over whole vectors: dY is zero past L, and every run of the grid
    # has TILE_PIXELS values past its end. (A remainder of a few columns after the last
    # vector cost much of the time on small outputs: docs/performance.md.)
    dot_length = _round_up(grid.L, FLOAT32_LANES)
    sizes = (geo.OH, geo.OW, grid.WQ, dot_length)
    if runs is not None:
        src = _input_grid(x, geo, grid, spread=True)
        dY = _output_grid(dy, geo, grid, front=0, length=dot_length, spread=True)
        sums = np.zeros((len(runs) - 1, geo.G, M4, offsets.shape[1]), dtype=x.dtype)
        _spread_weight_sums(dY, src, offsets, np.asarray(runs), *sizes, sums)
        dw_rows = sums[0]
        for part_sums in sums[1:]:
            dw_rows += part_sums
    else:
        dw_rows = np.zeros((geo.G, M4, offsets.shape[1]), dtype=x.dtype)
        for images in _chunks(x.shape[0], geo, grid, x.itemsize, max_workspace_bytes):
            src = _input_grid(x[images], geo, grid)
            dY = _output_grid(dy[images], geo, grid, front=0, length=dot_length)
            _weight_sums(dY, src, offsets, np.isfinite(src).all(), *sizes, dw_rows)
    return np.ascontiguousarray(dw_rows[:, : geo.OCG, : geo.KG]).reshape(
        geo.OC, geo.CG, geo.KH, geo.KW
    )


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _weight_sums(dY, src, offsets, finite, OH, OW, WQ, dot_length, out):
    """out += the images' dot products (`shifted_rows_dot`); ``finite``: src holds no inf
    or NaN.

    At the dropped grid columns dY is 0, but the grid there holds pixels that the tap never
    multiplies in a real window; an inf or NaN among them would make 0 * inf = NaN where the
    true gradient is finite. So with such inputs the sums run row by row over the OW real
    columns only (slower, and only then)."""
    if finite:
        shifted_rows_dot(dY, src, offsets, 0, dot_length, out)
    else:
        for oh in range(OH):
            shifted_rows_dot(dY, src, offsets, oh * WQ, OW, out)


@njit(cache=True, parallel=True, fastmath=FAST_SUMS)
def _spread_weight_sums(dY, src, offsets, runs, OH, OW, WQ, dot_length, sums):
    """`_weight_sums` of the images runs[t] <= i < runs[t + 1] into sums[t], the runs
    shared out over the cores (one run per iteration)."""
    for t in prange(len(runs) - 1):  # each iteration writes only sums[t]
        a, b = runs[t], runs[t + 1]
        finite = _all_finite(src[a:b])
        _weight_sums(dY[a:b], src[a:b], offsets, finite, OH, OW, WQ, dot_length, sums[t])


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _all_finite(values):
    """True if the 2-D ``values`` hold no inf or NaN: then every v * 0 is 0, else their sum
    is NaN. (FAST_SUMS lets the sum be vectorized; it does not assume finite values, so
    v * 0 is not folded to 0.)"""
    zeros = values.dtype.type(0)
    for i in range(values.shape[0]):
        row = values[i]
        for j in range(row.shape[0]):
            zeros += row[j] * 0
    return zeros == 0
