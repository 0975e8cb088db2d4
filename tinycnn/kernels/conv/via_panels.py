"""2-D convolution as a matrix product computed in Numba, panel by panel (stride 1).

im2col (``via_im2col.py``) writes the column matrix X^ out whole and hands it to the
BLAS. This algorithm computes the same product with its own kernel, the way a BLAS
(BLIS, OpenBLAS) computes a GEMM inside: it copies X^ a *panel* at a time into a small
buffer laid out for the kernel, and multiplies each panel while it sits in the L1 cache::

    Y[m, j] = sum over k of A[m, k] * X^[k, j]                                      (1)

    forward:  m an output channel, k = (c, kh, kw) a summed row, j = (image, oh, ow) a pixel
              X^[k, j] = x_pad[i, c, oh + kh*DH, ow + kw*DW],  A[m, k] = w[m, c, kh, kw]

It pays where the BLAS does not run at the CPU's peak: with OPENBLAS_CORETYPE pinning
OpenBLAS to narrower vectors than the CPU has (``docs/performance.md``), and on small
images, whose many short GEMMs and full column matrix cost im2col more than the panels do.

**Both passes through x's pixels are (1).** With stride 1 the input gradient is a
convolution of dy, padded by ``P' = D*(K - 1) - P``, with the kernel flipped and its
channel axes swapped::

    dx[c, h, w] = sum over (oc, kh', kw') of w[oc, c, KH-1-kh', KW-1-kw'] *
                  dy_pad[oc, h + kh'*DH, w + kw'*DW]

so it is (1) on dy with ``A[c, (oc, kh', kw')]`` read from w where it lies: the kernel
reads A through two offset tables, ``A[m, k] = a[a_rows[m] + a_cols[k]]``, and no flipped
copy of w is made. (Strided layers are left to the other algorithms: `computes`.)

**The weight gradient is (1) turned around:** the output channels go along the tile's 48
columns, the summed rows of X^ down its 4 rows, and the pixels are summed over::

    dw[oc, k] = sum over pixels j of X^[k, j] * dy[j, oc]                          (2)

X^[k, j] is read from the padded images in place (the 4 broadcasts of a step, through the
same offset tables), and dy, transposed to rows of 48 output channels per pixel, is the
panel, read in place too: nothing is copied per block.

**Panels and tiles.** The pixels j go in order, TILE_PIXELS = 48 at a time; the summed rows
k in blocks of ROW_BLOCK. For each block of rows::

    panel[k, q] = X^[k0 + k, j0 + q]            # (ROW_BLOCK, 48) copied: the panel
    for each 4 rows m..m+3 of A:                # a tile of 4 x 48 sums in registers
        tile = Y[m:m+4, j0:j0+48]               # (or 0 in the first block of rows)
        for k in range(ROW_BLOCK):
            tile[o, :] += A[m + o, k0 + k] * panel[k, :]    # 3 loads, 4 broadcasts, 12 FMAs
        Y[m:m+4, j0:j0+48] = tile

The tile is `via_direct`'s (its docstring tells how LLVM keeps it in 12 zmm registers).
Unlike the direct convolution, which reads the padded image where it lies and so computes
the padding columns of its grid too, the panel holds real pixels only, from as many images
as it takes to fill 48 columns: on a 7x7 image the direct algorithm computes 96 sums (two
tiles on a grid of 63 columns) for 49 pixels, the panels waste only the unused columns
of a part's last panel. And the panel is contiguous, where the runs the direct tile reads
lie a plane apart, a stride that maps them onto a few sets of the L1 cache.

**Copying a panel.** Pixels side by side in one output row read input pixels side by side,
so a row of the panel is a few runs of X^'s row (``runs``: one per output row of the
images in the panel). Each run is copied 16 values at a time through `register_tile`, so
that LLVM may load them all before storing any (otherwise it must assume the source and
the panel overlap, and copies value by value); a run's last 16 may write past its end,
into the next run's place (copied after it) or into the panel's 16 spare columns.

**Macro panels.** Several panels (`panels_at_once`) are copied and multiplied per block of
rows, so a row of X^ is read in runs of up to a few hundred pixels and the sums of all the
tiles, Y, stay within the L2 cache (`Y_BYTES`).
"""

import functools
from dataclasses import dataclass

import numpy as np
from numba import njit, uint64

from tinycnn.kernels.conv.register_tile import register_tile
from tinycnn.kernels.conv.via_direct import FAST_SUMS, TILE_PIXELS
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks

# Rows of A summed per copied panel: a (128, 48 + 16) float32 panel is 32 KiB, within the
# L1 cache with the tile's 4 rows of A.
ROW_BLOCK = 128
# Values a panel's row has past its 48 pixels, for the last 16-value copy of a run.
SPARE = 16
PANEL_WIDTH = TILE_PIXELS + SPARE
# The sums of one macro panel, Y (M rows x panels*48 columns), stay within this.
Y_BYTES = 1 << 19
MAX_PANELS_AT_ONCE = 10


def computes(geo):
    """True for the convolutions this algorithm computes: stride 1, and padding no wider
    than the dilated kernel (so that the input gradient's padding P' is not negative)."""
    return (
        geo.SH == geo.SW == 1
        and geo.PH <= geo.DH * (geo.KH - 1)
        and geo.PW <= geo.DW * (geo.KW - 1)
    )


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _tile_sums(panel, k0, KB, a, rows4, a_cols, Y, q0, accumulate):
    """Y[o, q0 + q] (+)= sum over k < KB of a[rows4[o] + a_cols[k0 + k]] * panel[k, q] for
    the 4 x TILE_PIXELS tile o < 4, q < TILE_PIXELS, held in registers throughout.

    Shape:
        - panel: (>= KB, PANEL_WIDTH)
        - rows4: (4,), the offsets in ``a`` of the tile's 4 rows of A
        - Y: (4, >= q0 + TILE_PIXELS), the tile's rows of the sums
    """
    tile = register_tile(4, TILE_PIXELS, Y.dtype)
    Y0, Y1, Y2, Y3 = Y[0, q0:], Y[1, q0:], Y[2, q0:], Y[3, q0:]
    if accumulate:
        for q in range(TILE_PIXELS):
            tile[0, q], tile[1, q], tile[2, q], tile[3, q] = Y0[q], Y1[q], Y2[q], Y3[q]
    else:
        for o in range(4):
            for q in range(TILE_PIXELS):
                tile[o, q] = 0
    A0, A1, A2, A3 = a[rows4[0] :], a[rows4[1] :], a[rows4[2] :], a[rows4[3] :]
    columns = a_cols[k0:]
    for k in range(KB):
        run = panel[k]
        # Unsigned, so Numba adds no test for a negative index to the loop.
        column = columns[k]
        a0, a1, a2, a3 = A0[column], A1[column], A2[column], A3[column]
        # One loop per row: with the 4 rows in one loop LLVM vectorized across the rows.
        for q in range(TILE_PIXELS):
            tile[0, q] += a0 * run[q]
        for q in range(TILE_PIXELS):
            tile[1, q] += a1 * run[q]
        for q in range(TILE_PIXELS):
            tile[2, q] += a2 * run[q]
        for q in range(TILE_PIXELS):
            tile[3, q] += a3 * run[q]
    for q in range(TILE_PIXELS):
        Y0[q], Y1[q], Y2[q], Y3[q] = tile[0, q], tile[1, q], tile[2, q], tile[3, q]


@njit(cache=True, nogil=True)
def _runs(pixel_base, j0, J, width, starts, sources):
    """Cut pixels j0 .. j0 + J - 1 (padded to ``width`` columns with copies of the first)
    into runs of consecutive sources, also cut at every panel's edge. Writes the first
    column of each run to ``starts`` (and ``width`` after the last) and its source to
    ``sources``; returns the number of runs."""
    runs = 0
    for q in range(width):
        source = pixel_base[j0 + q] if q < J else pixel_base[j0]
        if q % TILE_PIXELS == 0 or source != sources[runs - 1] + q - starts[runs - 1]:
            starts[runs] = q
            sources[runs] = source
            runs += 1
    starts[runs] = width
    return runs


@njit(cache=True, nogil=True)
def _copy_panels(src, offsets, KB, starts, sources, runs, panels):
    """Rows k < KB of the panels: panels[q // 48, k, q % 48] = src[source of q + offsets[k]].

    A run is copied 16 values at a time (see the module docstring), but value by value
    where that would read past the end of ``src``. The indices are unsigned, so Numba adds
    no test for negative ones, which kept LLVM from making each 16 values one vector copy.

    Shape:
        - offsets: (>= KB,)
        - panels: (count, ROW_BLOCK, PANEL_WIDTH), C-contiguous
    """
    flat = panels.reshape(-1)
    chunk = register_tile(1, 16, panels.dtype)
    # Row by row, so the runs of one row of X^ are read in order (the hardware prefetcher
    # follows them); for a 1x1 kernel they are one stretch of an image plane.
    for k in range(KB):
        for run in range(runs):
            q0, length = starts[run], starts[run + 1] - starts[run]
            panel, q = divmod(q0, TILE_PIXELS)
            source = uint64(sources[run] + offsets[k])
            target = uint64((panel * ROW_BLOCK + k) * PANEL_WIDTH + q)
            if source + uint64(length + 16) > uint64(src.shape[0]):  # the end of src
                for t in range(length):
                    flat[target + uint64(t)] = src[source + uint64(t)]
                continue
            for s in range(0, length, 16):
                for t in range(16):
                    chunk[0, t] = src[source + uint64(s + t)]
                for t in range(16):
                    flat[target + uint64(s + t)] = chunk[0, t]


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def panel_products(src, pixel_base, row_offsets, a, a_rows, a_cols, M, P, bias, out,
                   panels_at_once):  # fmt: skip
    """(1) for every group, written into the images ``out`` plus ``bias``.

    For group g: ``out[i, g*M + m, p] = bias[g*M + m] + sum over k of
    a[a_rows[g, m] + a_cols[k]] * src[pixel_base[j] + row_offsets[g, k]]``, pixel
    ``j = i*P + p``.

    Loop::

        for each group g, each macro panel of pixels j0 .. j0 + panels_at_once*48:
            for each block of ROW_BLOCK rows k0..:
                copy the rows into the panels            # (panels_at_once, ROW_BLOCK, 64)
                for each panel, each 4 rows m of A:  Y[m:m+4, panel's 48] (+)= tile
            out[images, g*M + m, pixels] = Y[m] + bias

    Shape:
        - src: (S,), every ``pixel_base + row_offsets`` inside it
        - pixel_base: (n*P,); row_offsets: (G, K)
        - a: (A,); a_rows: (G, M4), M4 = M rounded up to 4 (rows past M repeat row M - 1,
          their sums are dropped); a_cols: (K,), uint64
        - bias: (G*M,)
        - out: (n, G*M, P)
    """
    G, K = row_offsets.shape
    M4 = a_rows.shape[1]
    total = pixel_base.shape[0]
    width = panels_at_once * TILE_PIXELS
    panels = np.zeros((panels_at_once, ROW_BLOCK, PANEL_WIDTH), dtype=out.dtype)
    Y = np.empty((M4, width), dtype=out.dtype)
    starts = np.empty(width + 1, dtype=np.int64)
    sources = np.empty(width, dtype=np.int64)
    for g in range(G):
        for j0 in range(0, total, width):
            J = min(width, total - j0)
            count = -(-J // TILE_PIXELS)  # panels in this macro panel
            runs = _runs(pixel_base, j0, J, count * TILE_PIXELS, starts, sources)
            for k0 in range(0, K, ROW_BLOCK):
                KB = min(ROW_BLOCK, K - k0)
                _copy_panels(src, row_offsets[g, k0:], KB, starts, sources, runs, panels)
                for s in range(count):
                    for m in range(0, M4, 4):
                        _tile_sums(panels[s], k0, KB, a, a_rows[g, m : m + 4], a_cols,
                                   Y[m : m + 4], s * TILE_PIXELS, k0 > 0)  # fmt: skip
            _sums_to_images(Y, j0, J, P, g * M, M, bias, out)


@njit(cache=True, nogil=True)
def _sums_to_images(Y, j0, J, P, c0, M, bias, out):
    """out[i, c0 + m, p] = Y[m, j - j0] + bias[c0 + m] for pixels j = i*P + p in j0..j0+J."""
    for m in range(M):
        sums = Y[m]
        b = bias[c0 + m]
        q = 0
        while q < J:  # the pixels of one image at a time
            i, p = divmod(j0 + q, P)
            length = min(J - q, P - p)
            target = out[i, c0 + m, p:]
            for t in range(length):
                target[t] = sums[q + t] + b
            q += length


def _source(images, PH, PW):
    """The images with PH, PW zeros around, flattened: the images themselves when there is
    no padding, else a copy on the scratch buffer.

    Shape:
        - images: (n, C, H, W)
        - result: (n*C*(H + 2*PH)*(W + 2*PW),)
    """
    if PH == PW == 0 and images.flags.c_contiguous:
        return images.reshape(-1)
    n, C, H, W = images.shape
    Hp, Wp = H + 2 * PH, W + 2 * PW
    padded = SCRATCH.array("panels source", (n, C, Hp, Wp), images.dtype)
    if PH or PW:
        padded[:, :, :PH], padded[:, :, Hp - PH :] = 0, 0
        padded[:, :, :, :PW], padded[:, :, :, Wp - PW :] = 0, 0
    padded[:, :, PH : PH + H, PW : PW + W] = images
    return padded.reshape(-1)


@dataclass(frozen=True)
class _Tables:
    """The offset tables of one pass on chunks of n images (see `panel_products`)."""

    pixel_base: np.ndarray  # (n*OH*OW,)
    pixel_base_unsigned: np.ndarray  # the same bytes viewed as uint64 (the weight gradient's)
    row_offsets: np.ndarray  # (G, K)
    row_offsets4: np.ndarray  # (G, K4): K rounded up to 4, repeating the last
    a_rows: np.ndarray  # (G, M4)
    a_cols: np.ndarray  # (K,), uint64
    padding: tuple  # (PH, PW) of the source
    panels_at_once: int


@functools.lru_cache(maxsize=256)
def _tables(geo, backward_input, n, itemsize):
    """The tables of the forward pass (or the input gradient's) on chunks of n images.

    Cached per layer: built with NumPy they cost tens of microseconds, as much as the
    arithmetic of a small layer. The kernels only read them.
    """
    KK = geo.KH * geo.KW
    if backward_input:  # the convolution of dy with the flipped kernel (module docstring)
        C, H, W, G, M = geo.OC, geo.OH, geo.OW, geo.G, geo.CG
        OH, OW = geo.H, geo.W
        PH, PW = geo.DH * (geo.KH - 1) - geo.PH, geo.DW * (geo.KW - 1) - geo.PW
        # Row c of group g is input channel g*C/G + c; its summed row k = (oc, kh', kw')
        # reads w[g*OC/G + oc, c, KH-1-kh', KW-1-kw'].
        group_starts = np.arange(G).reshape(-1, 1) * (geo.OCG * geo.CG * KK)
        a_rows = group_starts + np.arange(M) * KK
        oc, tap = np.divmod(np.arange(geo.OCG * KK), KK)
        a_cols = oc * (geo.CG * KK) + (KK - 1 - tap)
    else:  # A is w as (G, OC/G, C/G*KH*KW)
        C, H, W, G, M = geo.C, geo.H, geo.W, geo.G, geo.OCG
        OH, OW = geo.OH, geo.OW
        PH, PW = geo.PH, geo.PW
        a_rows = np.arange(geo.OC).reshape(G, M) * geo.KG
        a_cols = np.arange(geo.KG)
    Hp, Wp = H + 2 * PH, W + 2 * PW
    i, oh, ow = np.ix_(np.arange(n), np.arange(OH), np.arange(OW))
    pixel_base = (i * (C * Hp * Wp) + oh * Wp + ow).ravel()  # window corner of pixel j
    c, kh, kw = np.ix_(np.arange(C), np.arange(geo.KH), np.arange(geo.KW))
    row_offsets = (c * (Hp * Wp) + kh * geo.DH * Wp + kw * geo.DW).reshape(G, -1)
    a_rows = _rows_of_four(a_rows)
    M4 = a_rows.shape[1]
    # Panels copied per block of rows: as many as keep Y within Y_BYTES (and the pixels).
    fit = Y_BYTES // (M4 * TILE_PIXELS * itemsize)
    at_once = max(1, min(MAX_PANELS_AT_ONCE, fit, -(-n * OH * OW // TILE_PIXELS)))
    pixel_base = pixel_base.astype(np.int64)  # all >= 0: the same bits as uint64
    return _Tables(pixel_base, pixel_base.view(np.uint64),
                   row_offsets.astype(np.int64), _rows_of_four(row_offsets).astype(np.int64),
                   a_rows.astype(np.int64), a_cols.astype(np.uint64), (PH, PW),
                   int(at_once))  # fmt: skip


def _rows_of_four(rows):
    """(G, M) offsets of rows, padded to M rounded up to 4 by repeating the last row (a
    tile computes 4 rows; the sums of the repeated ones are dropped)."""
    M4 = -(-rows.shape[1] // 4) * 4
    return np.concatenate([rows, np.repeat(rows[:, -1:], M4 - rows.shape[1], axis=1)], axis=1)


def _convolve(images, w, bias, geo, backward_input, max_bytes, out):
    """(1) on chunks of ``images`` (x, or dy for the input gradient) into ``out`` (y or dx)."""
    n, C, H, W = images.shape
    G = geo.G
    M = out.shape[1] // G
    itemsize = images.itemsize
    for chunk in batch_chunks(n, C * H * W * itemsize, max_bytes):
        part = images[chunk]
        tables = _tables(geo, backward_input, part.shape[0], itemsize)
        src = _source(part, *tables.padding)
        target = out[chunk].reshape(part.shape[0], G * M, -1)
        panel_products(src, tables.pixel_base, tables.row_offsets, w.reshape(-1),
                       tables.a_rows, tables.a_cols, M, target.shape[2], bias, target,
                       tables.panels_at_once)  # fmt: skip


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``."""
    bias = np.zeros(geo.OC, dtype=y.dtype) if b is None else b.astype(y.dtype, copy=False)
    _convolve(x, w, bias, geo, False, max_workspace_bytes, y)


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``: the convolution
    of dy padded by P' with the flipped kernel (module docstring)."""
    _convolve(dy, w, np.zeros(geo.C, dtype=dx.dtype), geo, True, max_workspace_bytes, dx)


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def panel_weight_sums(src, pixel_base, row_offsets, dy_t, first, Y):
    """(2) for every group: Y[g, r, 48s + q] (+)= sum over pixels j of
    src[row_offsets[g, r] + pixel_base[j]] * dy_t[g, s, j, q]; added to Y unless ``first``.

    Loop::

        for each group g, each 48 output channels s, each block of ROW_BLOCK pixels:
            panel = dy_t[g, s, the block's pixels]          # (ROW_BLOCK, 48), in place
            for each 4 rows r of X^:  Y[g, r:r+4, 48s : 48s + 48] (+)= tile

    Shape:
        - src: (S,); pixel_base: (n*P,), uint64
        - row_offsets: (G, K4), K4 = C/G*KH*KW rounded up to 4 (rows past it repeat the last)
        - dy_t: (G, OC48/48, n*P, 48), OC48 = OC/G rounded up to 48, zero past OC/G
        - Y: (G, K4, OC48)
    """
    pixels = pixel_base.shape[0]
    G, K4 = row_offsets.shape
    for g in range(G):
        for s in range(dy_t.shape[1]):
            for j0 in range(0, pixels, ROW_BLOCK):
                JB = min(ROW_BLOCK, pixels - j0)
                # Whole rows of a C-contiguous array: Numba keeps the layout C, so LLVM
                # knows the 48 values of a row are adjacent (not so for dy_t[.., q0:]).
                panel = dy_t[g, s, j0 : j0 + JB]
                for r in range(0, K4, 4):
                    _tile_sums(panel, j0, JB, src, row_offsets[g, r : r + 4], pixel_base,
                               Y[g, r : r + 4], s * TILE_PIXELS, j0 > 0 or not first)  # fmt: skip


def conv2d_backward_weight(dy, x, geo, max_workspace_bytes):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    The product (2) of the module docstring: the rows of X^ are read from the padded images
    in place (4 broadcasts a step); dy, transposed to rows of 48 output channels a pixel,
    gives the tile's vectors.
    """
    n = x.shape[0]
    S = -(-geo.OCG // TILE_PIXELS)  # panels of 48 output channels per group
    K4 = -(-geo.KG // 4) * 4
    Y = SCRATCH.array("panels weight sums", (geo.G, K4, S * TILE_PIXELS), x.dtype)
    padded_image = geo.C * (geo.H + 2 * geo.PH) * (geo.W + 2 * geo.PW)
    per_image = (padded_image + geo.G * S * TILE_PIXELS * geo.P) * x.itemsize
    for i, chunk in enumerate(batch_chunks(n, per_image, max_workspace_bytes)):
        images = x[chunk]
        m = images.shape[0]
        tables = _tables(geo, False, m, x.itemsize)
        src = _source(images, *tables.padding)
        # panels[g, s, i*P + p, q] = dy[i, g*OC/G + 48s + q, p], 0 past OC/G
        panels = SCRATCH.array("panels dy rows", (geo.G, S, m * geo.P, TILE_PIXELS), x.dtype)
        by_group = dy[chunk].reshape(m, geo.G, geo.OCG, geo.P).transpose(1, 0, 3, 2)
        for s in range(S):
            q1 = min(TILE_PIXELS, geo.OCG - s * TILE_PIXELS)
            rows = panels[:, s].reshape(geo.G, m, geo.P, TILE_PIXELS)
            rows[..., :q1] = by_group[..., s * TILE_PIXELS : s * TILE_PIXELS + q1]
            rows[..., q1:] = 0
        panel_weight_sums(src, tables.pixel_base_unsigned, tables.row_offsets4, panels, i == 0,
                          Y)  # fmt: skip
    dw = np.empty((geo.G, geo.OCG, geo.KG), dtype=x.dtype)
    dw[...] = Y[:, : geo.KG, : geo.OCG].transpose(0, 2, 1)
    return dw.reshape(geo.OC, geo.CG, geo.KH, geo.KW)
