"""2-D convolution as a matrix product computed in Numba, panel by panel.

im2col (``via_im2col.py``) writes the column matrix X^ out whole and hands it to the
BLAS. This algorithm computes the same product with its own kernel (``panel_gemm.py``), the
way a BLAS computes a GEMM inside: it copies X^ a *panel* of 48 columns at a time into a
small buffer, and multiplies each panel while it sits in the L1 cache::

    Y[m, j] = sum over k of A[m, k] * X^[k, j]                                      (1)

    forward:  m an output channel, k = (c, kh, kw) a summed row, j = (image, oh, ow) a pixel
              X^[k, j] = x_pad[i, c, oh + kh*DH, ow + kw*DW],  A[m, k] = w[m, c, kh, kw]

It pays where the BLAS does not run at the CPU's peak: with OPENBLAS_CORETYPE pinning
OpenBLAS to narrower vectors than the CPU has (``docs/performance.md``), and on small
images, whose many short GEMMs and full column matrix cost im2col more than the panels do.

**A strided layer reads its images phase by phase.** The panels copy runs of pixels side
by side, but with stride S the pixels of one output row read every S-th input pixel. So the
padded images are first split into their S_H x S_W *phases* (``padded_source``)::

    phase[a, b][i, c, r, q] = x_pad[i, c, S_H*r + a, S_W*q + b]

and tap (kh, kw) of output pixel (oh, ow) reads phase (kh*D_H mod S_H, kw*D_W mod S_W)
at (oh + kh*D_H // S_H, ow + kw*D_W // S_W): consecutive pixels of an output row read
consecutive values again. With stride 1 there is one phase, the padded images themselves.

**Both passes through x's pixels are (1).** With stride 1 the input gradient is a
convolution of dy, padded by ``P' = D*(K - 1) - P``, with the kernel flipped and its
channel axes swapped::

    dx[c, h, w] = sum over (oc, kh', kw') of w[oc, c, KH-1-kh', KW-1-kw'] *
                  dy_pad[oc, h + kh'*DH, w + kw'*DW]

so it is (1) on dy with ``A[c, (oc, kh', kw')]`` read from w where it lies: the kernel
reads A through two offset tables, ``A[m, k] = a[a_rows[m] + a_cols[k]]``, and no flipped
copy of w is made. With a stride, or padding wider than the kernel's reach (P' < 0), the
input gradient is no such convolution; it is then one such product per stride phase of dx,
over the taps that reach that phase (`_backward_input_by_phases`).

**The weight gradient is (1) turned around:** the output channels go along the tile's 48
columns, the summed rows of X^ down its 4 rows, and the pixels are summed over::

    dw[oc, k] = sum over pixels j of X^[k, j] * dy[j, oc]                          (2)

X^[k, j] is read from the padded images in place (the 4 broadcasts of a step, through the
same offset tables), and dy, transposed to rows of 48 output channels per pixel, is the
panel, read in place too: nothing is copied per block.

Unlike the direct convolution, which reads the padded image where it lies and so computes
the padding columns of its grid too, a panel holds real pixels only, from as many images as
it takes to fill 48 columns: on a 7x7 image the direct algorithm computes 64 sums (a tile
of 48 and one of 16 on a grid of 56 columns) for 49 pixels, the panels waste only the unused
columns of a part's last panel.
"""

import functools
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from tinycnn.kernels.conv.panel_gemm import (
    panel_products,
    panel_weight_sums,
    panels_at_once,
    rows_of_four,
)
from tinycnn.kernels.conv.via_direct import TILE_PIXELS, phases_into, phases_into_each_image
from tinycnn.kernels.runtime import threads
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks


def computes(geo):
    """True: every convolution (the input gradient of some by im2col, module docstring)."""
    return True


def flipped_kernel_computes(geo):
    """True where the input gradient is (1): stride 1, and padding no wider than the dilated
    kernel (so that the padding of dy, P' = D*(K-1) - P, is not negative)."""
    return (
        geo.SH == geo.SW == 1
        and geo.PH <= geo.DH * (geo.KH - 1)
        and geo.PW <= geo.DW * (geo.KW - 1)
    )


def padded_source(images, PH, PW, SH, SW, spread=False):
    """The images with PH, PW zeros around, split into their SH x SW phases (module
    docstring), flattened: the images themselves when there is no padding and stride 1,
    else a copy on the scratch buffer (with ``spread``, each image copied by a core).

    Shape:
        - images: (n, C, H, W)
        - result: (n*SH*SW*C*Hq*Wq,), phase (a, b) of image i at ``((i*SH + a)*SW + b)*C*Hq*Wq``,
          with Hq = ceil((H + 2*PH) / SH), Wq likewise
    """
    if PH == PW == 0 and SH == SW == 1 and images.flags.c_contiguous:
        return images.reshape(-1)
    n, C, H, W = images.shape
    Hq, Wq = -(-(H + 2 * PH) // SH), -(-(W + 2 * PW) // SW)
    phases = SCRATCH.array("panels phases", (n, SH * SW * C * Hq * Wq), images.dtype)
    plane = Hq * Wq
    fill = phases_into_each_image if spread else phases_into
    fill(np.ascontiguousarray(images), PH, PW, SH, SW, Hq, Wq, plane, C * plane, phases)
    return phases.reshape(-1)


@dataclass(frozen=True)
class _Tables:
    """The offset tables of one pass on chunks of n images (see `panel_products`)."""

    pixel_base: np.ndarray  # (n*OH*OW,)
    pixel_base_unsigned: np.ndarray  # the same bytes viewed as uint64 (the weight gradient's)
    row_offsets: np.ndarray  # (G, K)
    row_offsets4: np.ndarray  # (G, K4): K rounded up to 4, repeating the last
    a_rows: np.ndarray  # (G, M4)
    a_cols: np.ndarray  # (K,), uint64
    source: tuple  # (PH, PW, SH, SW): the source's padding and phases (`padded_source`)
    panels_at_once: int


@functools.lru_cache(maxsize=256)
def offset_tables(geo, backward_input, n, itemsize):
    """The tables of the forward pass (or the input gradient's) on chunks of n images.

    Cached per layer: built with NumPy they cost tens of microseconds, as much as the
    arithmetic of a small layer. The kernels only read them.

    Raises:
        ValueError: an input gradient that is not (1) (see `flipped_kernel_computes`); its
            tables would describe another convolution.
    """
    if backward_input and not flipped_kernel_computes(geo):
        raise ValueError(
            "via_panels: the input gradient by the flipped kernel needs stride (1, 1) and "
            "padding at most the dilated kernel's reach D*(K-1) = "
            f"{(geo.DH * (geo.KH - 1), geo.DW * (geo.KW - 1))}; got stride {geo.stride}, "
            f"padding {geo.padding}"
        )
    KK = geo.KH * geo.KW
    SH, SW = geo.stride
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
    Hq, Wq = -(-(H + 2 * PH) // SH), -(-(W + 2 * PW) // SW)  # a phase's rows, columns
    i, oh, ow = np.ix_(np.arange(n), np.arange(OH), np.arange(OW))
    pixel_base = (i * (SH * SW * C * Hq * Wq) + oh * Wq + ow).ravel()  # window corner of j
    c, kh, kw = np.ix_(np.arange(C), np.arange(geo.KH), np.arange(geo.KW))
    phase = (kh * geo.DH % SH) * SW + kw * geo.DW % SW  # the phase tap (kh, kw) reads
    shift = (kh * geo.DH // SH) * Wq + kw * geo.DW // SW  # and where in it
    row_offsets = ((phase * C + c) * (Hq * Wq) + shift).reshape(G, -1)
    a_rows = rows_of_four(a_rows)
    M4 = a_rows.shape[1]
    at_once = panels_at_once(M4, itemsize, n * OH * OW)
    pixel_base = pixel_base.astype(np.int64)  # all >= 0: the same bits as uint64
    return _Tables(pixel_base, pixel_base.view(np.uint64),
                   row_offsets.astype(np.int64), rows_of_four(row_offsets).astype(np.int64),
                   a_rows.astype(np.int64), a_cols.astype(np.uint64), (PH, PW, SH, SW),
                   at_once)  # fmt: skip


def _convolve(images, w, bias, geo, backward_input, max_bytes, out, spread=False):
    """(1) on chunks of ``images`` (x, or dy for the input gradient) into ``out`` (y or dx);
    with ``spread``, on all of them at once, in runs of images shared out over the cores."""
    if spread:
        _convolve_in_runs(images, w, bias, geo, backward_input, out)
        return
    n, C, H, W = images.shape
    G = geo.G
    M = out.shape[1] // G
    itemsize = images.itemsize
    for chunk in batch_chunks(n, C * H * W * itemsize, max_bytes):
        part = images[chunk]
        tables = offset_tables(geo, backward_input, part.shape[0], itemsize)
        src = padded_source(part, *tables.source)
        target = out[chunk].reshape(part.shape[0], G * M, -1)
        panel_products(src, tables.pixel_base, tables.row_offsets, w.reshape(-1),
                       tables.a_rows, tables.a_cols, M, target.shape[2], bias, target,
                       tables.panels_at_once)  # fmt: skip


def _convolve_in_runs(images, w, bias, geo, backward_input, out):
    """`_convolve` on all the images at once, cut into one run of images per core as
    `conv.parts` cuts a batch (each pixel's sum is the same, whatever the cut)."""
    n = images.shape[0]
    step = -(-n // min(n, threads.BATCH_PARTS))
    runs = np.array([*range(0, n, step), n])
    tables = offset_tables(geo, backward_input, step, images.itemsize)
    src = padded_source(images, *tables.source, spread=True)
    target = out.reshape(n, out.shape[1], -1)
    _panel_products_of_each_run(src, src.shape[0] // n, runs, tables.pixel_base,
                                tables.row_offsets, w.reshape(-1), tables.a_rows, tables.a_cols,
                                out.shape[1] // geo.G, bias, target,
                                tables.panels_at_once)  # fmt: skip


@njit(cache=True, parallel=True)
def _panel_products_of_each_run(src, image_values, runs, pixel_base, row_offsets, a, a_rows,
                                a_cols, M, bias, out, panels_at_once):  # fmt: skip
    """`panel_products` on the images runs[t] <= i < runs[t + 1], the runs shared out over
    the cores (one run per iteration; ``pixel_base`` is the tables' of the longest run)."""
    P = out.shape[2]
    for t in prange(len(runs) - 1):  # each iteration writes only its own images of out
        i0, i1 = runs[t], runs[t + 1]
        panel_products(src[i0 * image_values : i1 * image_values], pixel_base[: (i1 - i0) * P],
                       row_offsets, a, a_rows, a_cols, M, P, bias, out[i0:i1],
                       panels_at_once)  # fmt: skip


def spreads_images(geo, N, itemsize, max_workspace_bytes, pass_):
    """Whether a call on N images should share them out over the cores itself (``spread``)
    rather than run as parts of the batch on `threads.over_parts`: the forward pass, and
    the input gradient by the flipped kernel, when the images fit the workspace at once
    (see `via_direct.spreads_images`)."""
    if pass_ == "backward_weight":
        return False
    if pass_ == "backward_input" and not flipped_kernel_computes(geo):
        return False
    largest = max(geo.C * geo.H * geo.W, geo.OC * geo.OH * geo.OW) * itemsize
    return len(batch_chunks(N, largest, max_workspace_bytes)) == 1


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y, *, spread=False):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``;
    with ``spread``, the images are shared out over the cores (`spreads_images`)."""
    bias = np.zeros(geo.OC, dtype=y.dtype) if b is None else b.astype(y.dtype, copy=False)
    _convolve(x, w, bias, geo, False, max_workspace_bytes, y, spread)


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx, *, spread=False):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``: the convolution
    of dy padded by P' with the flipped kernel (module docstring), or, where the input
    gradient is no such convolution, one such product per stride phase of dx
    (`_backward_input_by_phases`). ``spread`` as for `conv2d_forward`, by the flipped
    kernel only."""
    if not flipped_kernel_computes(geo):
        _backward_input_by_phases(dy, w, geo, max_workspace_bytes, dx)
        return
    no_bias = np.zeros(geo.C, dtype=dx.dtype)
    _convolve(dy, w, no_bias, geo, True, max_workspace_bytes, dx, spread)


def _backward_input_by_phases(dy, w, geo, max_workspace_bytes, dx):
    """dL/dx of any layer, one stride phase of dx at a time.

    Padded pixel ``S*u + a`` of x (along one axis) was read by the taps k with
    ``k*D = a (mod S)`` only, at output ``u - e_k``, ``e_k = (k*D - a) // S``; so phase a of
    dx is a stride-1 product over those taps and all output channels::

        dx[i, c, S*u + a - P] = sum over oc, k in phase a of w[oc, c, k] * dy[i, oc, u - e_k]

    each (1) with dy, padded by the largest e_k in front, as the panels' source, and w read
    where it lies. Only the rows u that land inside x are computed; a phase no tap reads is 0.
    """
    n = dy.shape[0]
    bias = np.zeros(geo.C, dtype=dx.dtype)
    front, Hd, Wd = _dy_padding(geo)
    per_image = (geo.OC * Hd * Wd + geo.C * geo.H * geo.W) * dy.itemsize
    for chunk in batch_chunks(n, per_image, max_workspace_bytes):
        m = dy[chunk].shape[0]
        source = SCRATCH.array("panels dy source", (m, geo.OC, Hd, Wd), dy.dtype)
        source.fill(0)
        source[:, :, front[0] : front[0] + geo.OH, front[1] : front[1] + geo.OW] = dy[chunk]
        src = source.reshape(-1)
        for a in range(geo.SH):
            for b in range(geo.SW):
                phase = _phase_tables(geo, a, b, m, dy.itemsize)
                if phase is None:
                    continue  # no pixel of x in this phase
                (h0, w0, rows, columns), tables = phase
                target = dx[chunk][:, :, h0 :: geo.SH, w0 :: geo.SW]  # (m, C, rows, columns)
                if tables is None:  # no tap reads this phase
                    target[...] = 0
                    continue
                out = SCRATCH.array("panels dx phase", (m, geo.C, rows * columns), dx.dtype)
                panel_products(src, tables.pixel_base, tables.row_offsets, w.reshape(-1),
                               tables.a_rows, tables.a_cols, geo.CG, rows * columns, bias, out,
                               tables.panels_at_once)  # fmt: skip
                target[...] = out.reshape(m, geo.C, rows, columns)


def _phase_shifts(K, D, S, a):
    """The taps k of phase a along one axis (``k*D = a mod S``) and their shifts e_k."""
    taps = [k for k in range(K) if k * D % S == a]
    return taps, [(k * D - a) // S for k in taps]


def _phase_rows(size, P, S, a):
    """The rows u of phase a whose padded row ``S*u + a`` lies inside x: (first, count)."""
    first = -(-(P - a) // S)
    return first, max(0, -(-(P + size - a) // S) - first)


def _dy_padding(geo):
    """The zeros in front of dy along each axis (the largest shift e_k) and the padded dy's
    rows and columns, enough for every phase's rows."""
    front, sizes = [], []
    for K, D, S, P, size, out in ((geo.KH, geo.DH, geo.SH, geo.PH, geo.H, geo.OH),
                                  (geo.KW, geo.DW, geo.SW, geo.PW, geo.W, geo.OW)):  # fmt: skip
        e = max(shift for a in range(S) for shift in _phase_shifts(K, D, S, a)[1] or [0])
        last = max(sum(_phase_rows(size, P, S, a)) for a in range(S))
        front.append(e)
        sizes.append(e + max(out, last))
    return tuple(front), sizes[0], sizes[1]


@functools.lru_cache(maxsize=256)
def _phase_tables(geo, a, b, n, itemsize):
    """For phase (a, b) of dx on n images: ((h0, w0, rows, columns), tables), its first dx
    pixel, its size and the `_Tables` of its product; tables None if no tap reads the phase,
    None for all if no pixel of x lies in it."""
    (u0, rows), (v0, columns) = _phase_rows(geo.H, geo.PH, geo.SH, a), _phase_rows(
        geo.W, geo.PW, geo.SW, b)  # fmt: skip
    if rows == 0 or columns == 0:
        return None
    where = (geo.SH * u0 + a - geo.PH, geo.SW * v0 + b - geo.PW, rows, columns)
    taps_h, e_h = _phase_shifts(geo.KH, geo.DH, geo.SH, a)
    taps_w, e_w = _phase_shifts(geo.KW, geo.DW, geo.SW, b)
    if not taps_h or not taps_w:
        return where, None
    (front_h, front_w), Hd, Wd = _dy_padding(geo)
    KK = geo.KH * geo.KW
    # summed rows k = (oc, kh, kw) of the phase's taps; A[c, k] = w[g*OC/G + oc, c, kh, kw]
    oc, th, tw = np.ix_(np.arange(geo.OCG), np.arange(len(taps_h)), np.arange(len(taps_w)))
    tap = np.asarray(taps_h)[th] * geo.KW + np.asarray(taps_w)[tw]
    a_cols = (oc * (geo.CG * KK) + tap).ravel()
    g = np.arange(geo.G).reshape(-1, 1)
    a_rows = g * (geo.OCG * geo.CG * KK) + np.arange(geo.CG) * KK
    shift = (front_h - np.asarray(e_h)[th]) * Wd + (front_w - np.asarray(e_w)[tw])
    row_offsets = ((g.reshape(-1, 1, 1, 1) * geo.OCG + oc) * (Hd * Wd) + shift).reshape(geo.G, -1)
    i, u, v = np.ix_(np.arange(n), np.arange(rows), np.arange(columns))
    pixel_base = (i * (geo.OC * Hd * Wd) + (u0 + u) * Wd + (v0 + v)).ravel().astype(np.int64)
    a_rows = rows_of_four(a_rows)
    at_once = panels_at_once(a_rows.shape[1], itemsize, n * rows * columns)
    return where, _Tables(pixel_base, pixel_base.view(np.uint64), row_offsets.astype(np.int64),
                          rows_of_four(row_offsets).astype(np.int64), a_rows.astype(np.int64),
                          a_cols.astype(np.uint64), None, at_once)  # fmt: skip


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
    padded_image = geo.C * (geo.H + 2 * geo.PH + geo.SH) * (geo.W + 2 * geo.PW + geo.SW)
    per_image = (padded_image + geo.G * S * TILE_PIXELS * geo.P) * x.itemsize
    for i, chunk in enumerate(batch_chunks(n, per_image, max_workspace_bytes)):
        images = x[chunk]
        m = images.shape[0]
        tables = offset_tables(geo, False, m, x.itemsize)
        src = padded_source(images, *tables.source)
        # panels[g, s, i*P + p, q] = dy[i, g*OC/G + 48s + q, p], 0 past OC/G
        panels = SCRATCH.array("panels dy rows", (geo.G, S, m * geo.P, TILE_PIXELS), x.dtype)
        by_group = dy[chunk].reshape(m, geo.G, geo.OCG, geo.P).transpose(1, 0, 3, 2)
        for s in range(S):
            q1 = min(TILE_PIXELS, geo.OCG - s * TILE_PIXELS)
            rows = panels[:, s].reshape(geo.G, m, geo.P, TILE_PIXELS)
            rows[..., :q1] = by_group[..., s * TILE_PIXELS : s * TILE_PIXELS + q1]
            rows[..., q1:] = 0
        panel_weight_sums(src, tables.pixel_base_unsigned, tables.row_offsets4, panels,
                          geo.OCG, i == 0, Y)  # fmt: skip
    dw = np.empty((geo.G, geo.OCG, geo.KG), dtype=x.dtype)
    dw[...] = Y[:, : geo.KG, : geo.OCG].transpose(0, 2, 1)
    return dw.reshape(geo.OC, geo.CG, geo.KH, geo.KW)
