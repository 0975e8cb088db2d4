"""2-D convolution forward and backward as im2col plus one matrix product (GEMM).

The textbook method, and the algorithm that runs every convolution the others cannot.
im2col puts the images of a batch side by side in one column matrix ``cols`` of
C*KH*KW rows and N*OH*OW columns, so a convolution is one matrix product, and so are both
of its gradients::

    Y     = w_rows @ cols            w_rows = w.reshape(OC, C*KH*KW),  Y: (OC, N*OH*OW)
    dcols = w_rows.T @ dY            dx = col2im(dcols)
    dw    = dY @ cols.T

where ``Y[oc, n*OH*OW + p] = y[n, oc, p]``: the GEMM's output has the images side by side
too, and one copy puts them back in NCHW order (adding the bias on the way). One large
GEMM keeps BLAS busier than N small ones.

With ``groups`` > 1 the channels split into G groups that never mix: group g multiplies
its OC/G weight rows with its C/G*KH*KW column rows only. All groups go through one
``numpy.matmul`` call over a (G, ...) stack.

The column matrix is KH*KW times the input, so it is built a *band* at a time: a chunk of
images, or, when one image's columns do not fit in ``max_workspace_bytes``, a range of its
output rows (`bands`). Bands live in scratch buffers kept between calls (a fresh large
allocation costs page faults). 1x1 kernels with stride 1 and no padding skip im2col: each
image ``x[n].reshape(C, H*W)`` already is its column matrix, and a batched matmul writes
``y[n]`` in place, with no copy at all (unless the images are tiny, see
`multiplies_in_place`).

Every function writes its result into an array the caller owns; the scratch never escapes.
"""

from dataclasses import dataclass

import numpy as np

from tinycnn.kernels.conv.im2col import col2im_into, im2col_into
from tinycnn.kernels.runtime.threads import blas_threads_for
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks


def computes(geo):
    """True for the convolutions this algorithm computes: all of them."""
    return True


def _matmul(a, b, out):
    """``np.matmul(a, b, out=out)`` as one 2-D BLAS call per matrix of the stack.

    NumPy's stacked matmul is slower than this loop when ``a`` is broadcast over the stack
    (the weights of a 1x1 convolution against N images). Small products run on one BLAS
    thread (see `threads.blas_threads_for`).

    Shape:
        - a: (..., M, K), b: (..., K, N), out: (..., M, N); the leading axes broadcast
    """
    M, K = a.shape[-2:]
    stack = out.shape[:-2]
    a = np.broadcast_to(a, stack + a.shape[-2:])
    b = np.broadcast_to(b, stack + b.shape[-2:])
    with blas_threads_for(2 * M * K * b.shape[-1]):
        for index in np.ndindex(stack):
            np.matmul(a[index], b[index], out=out[index])


# A pointwise kernel on images of fewer pixels than this still goes through the column
# matrix: one GEMM per image with so few columns runs far below the BLAS peak (see
# docs/performance.md).
POINTWISE_MIN_PIXELS = 16


def multiplies_in_place(geo):
    """True when each image is used in place as its own column matrix: a pointwise kernel
    on images of at least `POINTWISE_MIN_PIXELS` output pixels."""
    return geo.is_pointwise and geo.P >= POINTWISE_MIN_PIXELS


@dataclass(frozen=True)
class Band:
    """Images ``images`` of the batch, output rows ``oh0 .. oh0 + OH - 1`` of each."""

    images: slice
    oh0: int
    OH: int

    @property
    def n(self):
        return self.images.stop - self.images.start


def bands(N, geo, itemsize, max_bytes):
    """The bands whose column matrix (K rows) and GEMM output (OC rows) fit in ``max_bytes``.

    Whole images when one image fits, else bands of output rows of one image (at least one
    row each).

    Example:
        >>> geo = ConvGeometry.of((1, 1, 8, 8), (1, 1, 3, 3), (1, 1), (1, 1), (1, 1), 1)
        >>> [(band.oh0, band.OH) for band in bands(1, geo, 4, max_bytes=3 * 8 * (9 + 1) * 4)]
        [(0, 3), (3, 3), (6, 2)]
    """
    row_bytes = (geo.K + geo.OC) * geo.OW * itemsize  # one output row of one image
    if row_bytes * geo.OH <= max_bytes:
        return [
            Band(images, 0, geo.OH) for images in batch_chunks(N, row_bytes * geo.OH, max_bytes)
        ]
    step = max(1, max_bytes // row_bytes)
    return [
        Band(slice(n, n + 1), oh0, min(step, geo.OH - oh0))
        for n in range(N)
        for oh0 in range(0, geo.OH, step)
    ]


def _im2col_band(x, geo, band):
    """The column matrix of ``band``'s images and output rows, on the scratch buffer.

    Shape:
        - x: (N, C, H, W)
        - result: (C*KH*KW, n*OH_band*OW)
    """
    cols = SCRATCH.array("cols", (geo.K, band.n, band.OH * geo.OW), x.dtype)
    KH, KW, SH, SW, PH, PW, DH, DW = geo.window
    # Output row oh0 + i of the image is output row i of the image padded by PH - oh0*SH.
    im2col_into(x[band.images], KH, KW, SH, SW, PH - band.oh0 * SH, PW, DH, DW, cols,
                work=cols.size)  # fmt: skip
    return cols.reshape(geo.K, band.n * band.OH * geo.OW)


def _band_of(a, geo, band):
    """The (n, channels, OH_band*OW) view of output-shaped ``a`` that ``band`` covers."""
    rows = a.reshape(a.shape[0], a.shape[1], geo.P)
    return rows[band.images, :, band.oh0 * geo.OW : (band.oh0 + band.OH) * geo.OW]


def _side_by_side(dy):
    """Output gradients with the images side by side, on the scratch buffer.

    Shape:
        - dy: (n, OC, P)
        - result: (OC, n*P), ``result[oc, i*P + p] = dy[i, oc, p]``
    """
    n, OC, P = dy.shape
    rows = SCRATCH.array("gemm", (OC, n, P), dy.dtype)
    np.copyto(rows, dy.transpose(1, 0, 2))
    return rows.reshape(OC, n * P)


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``.

    Loop::

        for each band of images (or of one image's output rows):
            cols = im2col(x[band])                            # (C*KH*KW, n*OH*OW)
            for g in groups (one matmul call):
                Y[group g] = w[group g] @ cols[rows of group g]    # (OC/G, n*OH*OW)
            y[band] = Y moved to NCHW order, plus b
    """
    N = x.shape[0]
    G, OC, OCG, KG = geo.G, geo.OC, geo.OCG, geo.KG
    w_rows = w.reshape(G, OCG, KG)  # (G, OC/G, C/G*KH*KW)
    if multiplies_in_place(geo):
        x_rows = x.reshape(N, G, geo.CG, geo.P)  # (N, G, C/G, P): image n's column matrix
        _matmul(w_rows, x_rows, out=y.reshape(N, G, OCG, geo.P))
        if b is not None:
            y += b.reshape(1, OC, 1, 1)
        return
    for band in bands(N, geo, x.itemsize, max_workspace_bytes):
        cols = _im2col_band(x, geo, band)  # (C*KH*KW, n*OH_band*OW)
        Y = SCRATCH.array("gemm", (OC, band.n, cols.shape[1] // band.n), x.dtype)
        _matmul(w_rows, cols.reshape(G, KG, -1), out=Y.reshape(G, OCG, -1))
        images_first = Y.transpose(1, 0, 2)  # (n, OC, OH_band*OW) view
        if b is None:
            np.copyto(_band_of(y, geo, band), images_first)
        else:
            np.add(images_first, b.reshape(1, OC, 1), out=_band_of(y, geo, band))


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``.

    Every column entry ``cols[r, q]`` multiplied weight row entries in the forward pass,
    so its gradient is ``(w_rows.T @ dY)[r, q]``; col2im adds those column gradients back
    onto the pixels they were copied from.

    Loop::

        for each band:
            dY = dy[band] with the images side by side      # (OC, n*OH*OW)
            for g in groups (one matmul call):
                dcols[rows of group g] = w[group g].T @ dY[group g]
            dx[band's images] (+)= col2im(dcols)             # bands of rows add up

    For a pointwise (1x1, stride 1, no padding) kernel, ``w_rows.T @ dy[n]`` already is
    ``dx[n]``.
    """
    N = dx.shape[0]
    G, OCG, KG = geo.G, geo.OCG, geo.KG
    w_rows_t = w.reshape(G, OCG, KG).transpose(0, 2, 1)  # (G, C/G*KH*KW, OC/G)
    if multiplies_in_place(geo):
        dy_rows = dy.reshape(N, G, OCG, geo.P)  # (N, G, OC/G, P)
        _matmul(w_rows_t, dy_rows, out=dx.reshape(N, G, geo.CG, geo.P))
        return
    KH, KW, SH, SW, PH, PW, DH, DW = geo.window
    for band in bands(N, geo, dy.itemsize, max_workspace_bytes):
        dY = _side_by_side(_band_of(dy, geo, band))  # (OC, n*OH_band*OW)
        dcols = SCRATCH.array("cols", (geo.K, band.n, dY.shape[1] // band.n), dy.dtype)
        _matmul(w_rows_t, dY.reshape(G, OCG, -1), out=dcols.reshape(G, KG, -1))
        col2im_into(dcols, KH, KW, SH, SW, PH - band.oh0 * SH, PW, DH, DW, dx[band.images],
                    band.oh0 > 0, work=dcols.size)  # fmt: skip


def conv2d_backward_weight(dy, x, geo, max_workspace_bytes):
    """dL/dw, a new array; arguments as ``conv.conv2d_backward_weight``.

    Weight row entry ``w_rows[oc, r]`` multiplied ``cols[r, q]`` into ``Y[oc, q]`` for every
    column q (every image and output pixel), so its gradient is ``(dY @ cols.T)[oc, r]``.

    Loop::

        dw_rows = 0                                          # (OC, C/G*KH*KW)
        for each band:
            cols = im2col(x[band])                           # (C*KH*KW, n*OH*OW)
            dY = dy[band] with the images side by side      # (OC, n*OH*OW)
            for g in groups (one matmul call):
                dw_rows[group g] += dY[group g] @ cols[rows of group g].T

    For a pointwise kernel the images stay apart: ``dw_rows += dy[n] @ x[n].T`` for each n.
    The product is taken in this orientation, which gives dw's own layout: the other one,
    ``cols @ dY.T``, runs as fast but leaves a transpose to copy, which for ResNet's last
    layers (4608 x 512) took almost as long as the GEMM.
    """
    N = x.shape[0]
    G, OCG, CG, KG, P = geo.G, geo.OCG, geo.CG, geo.KG, geo.P
    dw_rows = np.zeros((G, OCG, KG), dtype=x.dtype)  # (G, OC/G, C/G*KH*KW)
    # The first band (or image) writes dw_rows, every later one its part, then adds it.
    part = SCRATCH.array("weight gradient", dw_rows.shape, x.dtype)
    if multiplies_in_place(geo):
        x_rows_t = x.reshape(N, G, CG, P).transpose(0, 1, 3, 2)  # (N, G, P, C/G)
        dy_rows = dy.reshape(N, G, OCG, P)
        for i in range(N):
            _matmul(dy_rows[i], x_rows_t[i], out=part if i else dw_rows)
            if i:
                dw_rows += part
        return dw_rows.reshape(geo.OC, CG, geo.KH, geo.KW)
    for i, band in enumerate(bands(N, geo, x.itemsize, max_workspace_bytes)):
        cols = _im2col_band(x, geo, band)  # (C*KH*KW, n*OH_band*OW)
        dY = _side_by_side(_band_of(dy, geo, band)).reshape(G, OCG, -1)
        cols_t = cols.reshape(G, KG, -1).transpose(0, 2, 1)  # (G, n*OH_band*OW, C/G*KH*KW)
        _matmul(dY, cols_t, out=part if i else dw_rows)
        if i:
            dw_rows += part
    return dw_rows.reshape(geo.OC, CG, geo.KH, geo.KW)
