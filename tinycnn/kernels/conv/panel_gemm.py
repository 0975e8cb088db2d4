"""Matrix products in Numba, one copied panel at a time: the loops of the panel algorithms.

A BLAS (BLIS, OpenBLAS) computes a GEMM by copying its right operand a *panel* at a time
into a small buffer laid out for its innermost loop, and multiplying each panel while it
sits in the L1 cache. These kernels do the same with the direct convolution's register
tile, for any product whose operands can be addressed through offset tables:

    Y[m, j] = sum over k of A[m, k] * B[k, j]                                       (1)
    A[m, k] = a[a_rows[m] + a_cols[k]]         B[k, j] = src[pixel_base[j] + row_offsets[k]]

so that B may be the column matrix of a convolution, read from the padded images without
ever being built (``via_panels.py``), or a plain matrix (`matrix_product`, which runs
Winograd's tile products in ``via_winograd.py``), and A a weight matrix read transposed or
flipped where it lies.

**Panels and tiles.** The columns j (a convolution's pixels) go in order, TILE_PIXELS = 48
at a time; the summed rows k in blocks of ROW_BLOCK. For each block of rows::

    panel[k, q] = B[k0 + k, j0 + q]             # (ROW_BLOCK, 48) copied: the panel
    for each 4 rows m..m+3 of A:                # a tile of 4 x 48 sums in registers
        tile = Y[m:m+4, j0:j0+48]               # (or 0 in the first block of rows)
        for k in range(ROW_BLOCK):
            tile[o, :] += A[m + o, k0 + k] * panel[k, :]    # 3 loads, 4 broadcasts, 12 FMAs
        Y[m:m+4, j0:j0+48] = tile

The tile is `via_direct`'s (its docstring tells how LLVM keeps it in 12 zmm registers). A
last panel of 32 pixels or fewer is summed by a tile of 4 x 32 or 4 x 16 (`NARROW`):
on small images a part of the batch is few pixels (2 images of 4x4 are 32), and a tile of
48 would spend a third of its multiplications on columns that are thrown away. The
panel is contiguous, where the runs the direct tile reads lie a plane apart, a stride that
maps them onto a few sets of the L1 cache.

**Copying a panel.** Pixels side by side in one output row read input pixels side by side,
so a row of the panel is a few runs of B's row (``runs``: one per output row of the
images in the panel). Each run is copied 16 values at a time through `register_tile`, so
that LLVM may load them all before storing any (otherwise it must assume the source and
the panel overlap, and copies value by value); a run's last 16 may write past its end,
into the next run's place (copied after it) or into the panel's 16 spare columns. Where
each run starts, goes and ends is worked out once per macro panel (`_runs`), so the copy of
a row is one short loop per run: on small images a run is a few values, and index work
done per run and row cost more than the copy itself (docs/performance.md).

**Macro panels.** Several panels (`panels_at_once`) are copied and multiplied per block of
rows, so a row of B is read in runs of up to a few hundred pixels and the sums of all the
tiles, Y, stay within the L2 cache (`Y_BYTES`).

**A product summed over the columns** (`panel_weight_sums`, the weight gradients): the
4 x 48 tile runs along the other operand, with D's rows of 48 read in place as the panel::

    Y[r, q] += sum over columns j of A[r, j] * D[j, q]                              (2)
"""

import functools

import numpy as np
from numba import literally, njit, uint64

from tinycnn.kernels.conv.register_tile import register_tile
from tinycnn.kernels.conv.via_direct import FAST_SUMS, NARROW, NARROWEST, TILE_PIXELS

# Rows of A summed per copied panel: a (128, 48 + 16) float32 panel is 32 KiB, within the
# L1 cache with the tile's 4 rows of A.
ROW_BLOCK = 128
# Values a panel's row has past its 48 pixels, for the last 16-value copy of a run.
SPARE = 16
PANEL_WIDTH = TILE_PIXELS + SPARE
# The sums of one macro panel, Y (M rows x panels*48 columns), stay within this.
Y_BYTES = 1 << 19
MAX_PANELS_AT_ONCE = 10


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def _tile_sums(panel, k0, KB, a, rows4, a_cols, Y, q0, accumulate, width):
    """Y[o, q0 + q] (+)= sum over k < KB of a[rows4[o] + a_cols[k0 + k]] * panel[k, q] for
    the 4 x width tile o < 4, q < width, held in registers throughout. ``width`` is a
    compile-time constant (`literally`): the register tile's size must be one.

    Shape:
        - panel: (>= KB, PANEL_WIDTH)
        - rows4: (4,), the offsets in ``a`` of the tile's 4 rows of A
        - Y: (4, >= q0 + width), the tile's rows of the sums
    """
    literally(width)
    tile = register_tile(4, width, Y.dtype)
    Y0, Y1, Y2, Y3 = Y[0, q0:], Y[1, q0:], Y[2, q0:], Y[3, q0:]
    if accumulate:
        for q in range(width):
            tile[0, q], tile[1, q], tile[2, q], tile[3, q] = Y0[q], Y1[q], Y2[q], Y3[q]
    else:
        for o in range(4):
            for q in range(width):
                tile[o, q] = 0
    A0, A1, A2, A3 = a[rows4[0] :], a[rows4[1] :], a[rows4[2] :], a[rows4[3] :]
    columns = a_cols[k0:]
    for k in range(KB):
        run = panel[k]
        # Unsigned, so Numba adds no test for a negative index to the loop.
        column = columns[k]
        a0, a1, a2, a3 = A0[column], A1[column], A2[column], A3[column]
        # One loop per row: with the 4 rows in one loop LLVM vectorized across the rows.
        for q in range(width):
            tile[0, q] += a0 * run[q]
        for q in range(width):
            tile[1, q] += a1 * run[q]
        for q in range(width):
            tile[2, q] += a2 * run[q]
        for q in range(width):
            tile[3, q] += a3 * run[q]
    for q in range(width):
        Y0[q], Y1[q], Y2[q], Y3[q] = tile[0, q], tile[1, q], tile[2, q], tile[3, q]


@njit(cache=True, nogil=True)
def _runs(pixel_base, j0, J, width, targets, lengths, sources):
    """Cut pixels j0 .. j0 + J - 1 (padded to ``width`` columns with copies of the first)
    into runs of consecutive sources, also cut at every panel's edge. Writes where each run
    goes in row 0 of the panels (an index of ``panels.reshape(-1)``) to ``targets``, its
    length to ``lengths`` and its first source to ``sources``; returns the number of runs.
    """
    runs = 0
    start = 0  # the column the current run starts at
    for q in range(width):
        source = pixel_base[j0 + q] if q < J else pixel_base[j0]
        if q % TILE_PIXELS == 0 or source != sources[runs - 1] + q - start:
            if runs > 0:
                lengths[runs - 1] = q - start
            start = q
            panel, column = divmod(q, TILE_PIXELS)
            targets[runs] = panel * ROW_BLOCK * PANEL_WIDTH + column
            sources[runs] = source
            runs += 1
    lengths[runs - 1] = width - start
    return runs


@njit(cache=True, nogil=True)
def _copy_panels(src, offsets, KB, targets, lengths, sources, runs, panels):
    """Rows k < KB of the panels: panels[q // 48, k, q % 48] = src[source of q + offsets[k]].

    A run is copied 16 values at a time (see the module docstring); a row whose copies
    could read past the end of ``src`` is copied value by value. The indices are unsigned,
    so Numba adds no test for negative ones, which kept LLVM from making each 16 values one
    vector copy.

    Shape:
        - offsets: (>= KB,)
        - targets, lengths, sources: (>= runs,), from `_runs`
        - panels: (count, ROW_BLOCK, PANEL_WIDTH), C-contiguous
    """
    flat = panels.reshape(-1)
    chunk = register_tile(1, 16, panels.dtype)
    last_read = 0  # past the last value a row's 16-value copies read, before offsets[k]
    for run in range(runs):
        last_read = max(last_read, sources[run] + -(-lengths[run] // 16) * 16)
    # Row by row, so the runs of one row of X^ are read in order (the hardware prefetcher
    # follows them); for a 1x1 kernel they are one stretch of an image plane.
    for k in range(KB):
        offset = uint64(offsets[k])
        row = uint64(k * PANEL_WIDTH)
        if last_read + offsets[k] > src.shape[0]:  # near the end of src: no copy past it
            for run in range(runs):
                source, target = uint64(sources[run]) + offset, uint64(targets[run]) + row
                for t in range(lengths[run]):
                    flat[target + uint64(t)] = src[source + uint64(t)]
            continue
        for run in range(runs):
            source, target = uint64(sources[run]) + offset, uint64(targets[run]) + row
            for s in range(0, lengths[run], 16):
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
    targets = np.empty(width, dtype=np.int64)
    lengths = np.empty(width, dtype=np.int64)
    sources = np.empty(width, dtype=np.int64)
    for g in range(G):
        for j0 in range(0, total, width):
            J = min(width, total - j0)
            count = -(-J // TILE_PIXELS)  # panels in this macro panel
            runs = _runs(pixel_base, j0, J, count * TILE_PIXELS, targets, lengths, sources)
            for k0 in range(0, K, ROW_BLOCK):
                KB = min(ROW_BLOCK, K - k0)
                _copy_panels(src, row_offsets[g, k0:], KB, targets, lengths, sources, runs, panels)
                for s in range(count):
                    # The narrowest tile that holds the panel's pixels (module docstring).
                    pixels = J - s * TILE_PIXELS
                    panel, q0, summed = panels[s], s * TILE_PIXELS, k0 > 0
                    for m in range(0, M4, 4):
                        rows4, Ym = a_rows[g, m : m + 4], Y[m : m + 4]
                        # Three calls, not one of a variable width: the width must be a
                        # constant where _tile_sums is called (`literally`).
                        if pixels > NARROW:
                            _tile_sums(panel, k0, KB, a, rows4, a_cols, Ym, q0, summed, TILE_PIXELS)
                        elif pixels > NARROWEST:
                            _tile_sums(panel, k0, KB, a, rows4, a_cols, Ym, q0, summed, NARROW)
                        else:
                            _tile_sums(panel, k0, KB, a, rows4, a_cols, Ym, q0, summed, NARROWEST)
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


@njit(cache=True, nogil=True, fastmath=FAST_SUMS)
def panel_weight_sums(src, pixel_base, row_offsets, dy_t, channels, first, Y):
    """(2) for every group: Y[g, r, 48s + q] (+)= sum over pixels j of
    src[row_offsets[g, r] + pixel_base[j]] * dy_t[g, s, j, q]; added to Y unless ``first``.
    Only the first ``channels`` columns q of the 48s are needed: the tile of the last block
    of 48 may be narrower (`NARROW`), and Y's columns past it are left as they were.

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
                q0, summed = s * TILE_PIXELS, j0 > 0 or not first
                for r in range(0, K4, 4):
                    rows4, Yr = row_offsets[g, r : r + 4], Y[g, r : r + 4]
                    # The narrowest tile that holds the channels left (as in panel_products).
                    if channels - q0 > NARROW:
                        _tile_sums(panel, j0, JB, src, rows4, pixel_base, Yr, q0, summed,
                                   TILE_PIXELS)  # fmt: skip
                    elif channels - q0 > NARROWEST:
                        _tile_sums(panel, j0, JB, src, rows4, pixel_base, Yr, q0, summed, NARROW)
                    else:
                        _tile_sums(panel, j0, JB, src, rows4, pixel_base, Yr, q0, summed,
                                   NARROWEST)  # fmt: skip


def rows_of_four(rows):
    """(G, M) offsets of rows, padded to M rounded up to 4 by repeating the last row (a
    tile computes 4 rows; the sums of the repeated ones are dropped)."""
    M4 = -(-rows.shape[1] // 4) * 4
    return np.concatenate([rows, np.repeat(rows[:, -1:], M4 - rows.shape[1], axis=1)], axis=1)


def panels_at_once(M4, itemsize, columns):
    """Panels copied per block of rows: as many as keep the sums Y of M4 rows within
    Y_BYTES, at most MAX_PANELS_AT_ONCE, and no more than ``columns`` need."""
    fit = Y_BYTES // (M4 * TILE_PIXELS * itemsize)
    return int(max(1, min(MAX_PANELS_AT_ONCE, fit, -(-columns // TILE_PIXELS))))


@functools.lru_cache(maxsize=64)
def _matrix_tables(M, K, N, a_transposed, dtype):
    """The offset tables of `matrix_product` for B (K x N) and A (M x K), or A given as its
    transpose (K x M): pixel_base, row_offsets, a_rows, a_cols, zero bias, panels_at_once."""
    a_rows = np.arange(M) if a_transposed else np.arange(M) * K
    a_cols = np.arange(K) * M if a_transposed else np.arange(K)
    a_rows4 = rows_of_four(a_rows.reshape(1, M))
    at_once = panels_at_once(a_rows4.shape[1], np.dtype(dtype).itemsize, N)
    return (np.arange(N, dtype=np.int64), (np.arange(K, dtype=np.int64) * N).reshape(1, K),
            a_rows4.astype(np.uint64), a_cols.astype(np.uint64), np.zeros(M, dtype),
            at_once)  # fmt: skip


def matrix_product(a, b, out, a_transposed=False):
    """``out = a @ b`` (or ``a.T @ b``) by `panel_products`: B's rows are its panels' rows.

    Args:
        a: (M, K), or (K, M) with ``a_transposed``; b: (K, N); out: (M, N). C-contiguous,
            one dtype.
    """
    M, N = out.shape
    pixel_base, row_offsets, a_rows, a_cols, bias, at_once = _matrix_tables(
        M, b.shape[0], N, a_transposed, out.dtype.str
    )
    panel_products(b.reshape(-1), pixel_base, row_offsets, a.reshape(-1), a_rows, a_cols, M, N,
                   bias, out.reshape(1, M, N), at_once)  # fmt: skip


def turned_rows(a, out):
    """``a`` turned into rows of 48 of its rows, the panel `panel_weight_sums` reads:
    ``out[g, s, k, q] = a[g, 48s + q, k]``, 0 past a's M rows.

    Shape:
        - a: (G, M, K); out: (G, ceil(M/48), K, 48)
    """
    for s in range(out.shape[1]):
        rows = a[:, s * TILE_PIXELS : (s + 1) * TILE_PIXELS]  # (G, up to 48, K)
        out[:, s, :, : rows.shape[1]] = rows.transpose(0, 2, 1)
        out[:, s, :, rows.shape[1] :] = 0
    return out


def matrix_product_transposed(a, b, out):
    """``out += a @ b.T`` by `panel_weight_sums`, summing over the columns of a and b.

    a's rows go along the tile's 48 columns (turned into rows of 48, ``a_t``), b's rows down
    its 4 rows, read in place; the sums come out transposed, ``Y[n, m]``.

    Args:
        a: (M, L); b: (N, L); out: (M, N). C-contiguous, one dtype.
    """
    M, L = a.shape
    N = b.shape[0]
    S = -(-M // TILE_PIXELS)
    a_t = turned_rows(a.reshape(1, M, L), np.empty((1, S, L, TILE_PIXELS), dtype=a.dtype))
    row_offsets = rows_of_four((np.arange(N) * L).reshape(1, N)).astype(np.uint64)
    Y = np.empty((1, row_offsets.shape[1], S * TILE_PIXELS), dtype=a.dtype)
    panel_weight_sums(b.reshape(-1), np.arange(L, dtype=np.uint64), row_offsets, a_t, M, True,
                      Y)  # fmt: skip
    out += Y[0, :N, :M].T
