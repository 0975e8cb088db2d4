"""im2col and col2im: turn convolution windows into matrix columns, and back.

im2col copies every receptive field of a convolution into one column of a matrix, so that
the convolution becomes a single matrix product (see ``via_im2col.py``). col2im is its adjoint:
it adds every column entry back onto the input pixel it was copied from, which is what the
backward pass of a convolution needs.

The images of a batch sit side by side in the column matrix, so that the whole batch is
one matrix of C*KH*KW rows and N*OH*OW columns and the convolution one GEMM. Row
``c*KH*KW + kh*KW + kw`` holds, for image ``n`` and every output pixel ``(oh, ow)``, the
input pixel that kernel tap ``(kh, kw)`` of channel ``c`` sees there::

    ih = oh*SH - PH + kh*DH
    iw = ow*SW - PW + kw*DW
    cols[c*KH*KW + kh*KW + kw, n, oh*OW + ow] = x[n, c, ih, iw]   (0 in the padding)

im2col tests every pixel against the image border, which its copy runs fastest with (see
`im2col_into`). col2im does not: for each tap it works out the range of output positions
whose input lies inside the image (`inside_range`) and adds only that range.
"""

import numpy as np
from numba import njit, prange

from tinycnn.kernels.conv.geometry import conv_output_size
from tinycnn.kernels.runtime.threads import parallel_kernel


@njit(cache=True)
def inside_range(out_size, stride, padding, dilation, tap, size):
    """Output positions ``[first, stop)`` at which kernel tap ``tap`` reads a real pixel.

    Output position o reads input ``i = o*S - P + tap*D``; ``0 <= i < size`` holds for
    ``ceil((P - tap*D) / S) <= o <= floor((size - 1 + P - tap*D) / S)``. Positions before
    ``first`` and from ``stop`` on read padding. (``//`` floors, also for negatives.)
    """
    offset = padding - tap * dilation
    first = min(max(0, -(-offset // stride)), out_size)
    stop = max(min(out_size, (size - 1 + offset) // stride + 1), first)
    return first, stop


@parallel_kernel
def im2col_into(x, KH, KW, SH, SW, PH, PW, DH, DW, cols):
    """Fill ``cols`` with the column matrix of ``x`` (see :func:`im2col`).

    Every entry of ``cols`` is written, padding included, so ``cols`` may hold stale data.
    Call with ``work=cols.size`` (see `threads.parallel_kernel`). The number of output rows
    OH is read off ``cols``: with ``PH - oh0*SH`` for ``PH`` this fills the columns of output
    rows ``oh0 .. oh0 + OH - 1`` only (a band of a large image, see ``via_im2col.py``).

    Loop::

        for (c, kh) in C x KH, in parallel:
            for kw, n, oh, ow:
                ih, iw = oh*SH - PH + kh*DH, ow*SW - PW + kw*DW
                cols[c*KH*KW + kh*KW + kw, n, oh*OW + ow] = x[n, c, ih, iw]  (0 in the padding)

    Task (c, kh) writes rows (c, kh, 0..KW-1) of ``cols`` from start to end, one block of
    memory in order, pixel by pixel: on small images, runs scattered over the matrix and
    slices of OW pixels cost more than the copy (docs/performance.md).

    Args:
        x: input images.
        KH, KW, SH, SW, PH, PW, DH, DW: kernel size, stride, padding, dilation.
        cols: output, written in place.

    Shape:
        - x: (N, C, H, W)
        - cols: (C*KH*KW, N, OH*OW), OW from :func:`conv_output_size`
    """
    N, C, H, W = x.shape
    OW = conv_output_size(W, KW, SW, PW, DW)
    OH = cols.shape[2] // OW if OW > 0 else 0
    zero = cols.dtype.type(0)
    # Race-free: task (c, kh) alone writes rows (c, kh, 0..KW-1).
    for task in prange(C * KH):
        c = task // KH
        kh = task % KH
        for kw in range(KW):
            for n in range(N):
                out = cols[(c * KH + kh) * KW + kw, n]  # (OH*OW,)
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    for ow in range(OW):
                        iw = ow * SW - PW + kw * DW
                        if 0 <= ih < H and 0 <= iw < W:
                            out[oh * OW + ow] = x[n, c, ih, iw]
                        else:
                            out[oh * OW + ow] = zero


@parallel_kernel
def col2im_into(cols, KH, KW, SH, SW, PH, PW, DH, DW, dx, accumulate):
    """Scatter-add ``cols`` onto the input pixels ``dx`` (see :func:`col2im`).

    Call with ``work=cols.size`` (see `threads.parallel_kernel`). OH is read off ``cols``,
    as in `im2col_into`, so a band of output rows adds its part with ``accumulate=True``.

    Loop::

        for (n, c) in N x C, in parallel:
            dx[n, c] = 0                                    unless accumulate
            for kh, kw, oh, ow whose (ih, iw) is inside the image:
                ih, iw = oh*SH - PH + kh*DH, ow*SW - PW + kw*DW
                dx[n, c, ih, iw] += cols[c*KH*KW + kh*KW + kw, n, oh*OW + ow]

    Args:
        cols: column matrix, as made by :func:`im2col`.
        KH, KW, SH, SW, PH, PW, DH, DW: kernel size, stride, padding, dilation.
        dx: output, written in place; its shape gives the image size.
        accumulate: add to what ``dx`` holds instead of overwriting it.

    Shape:
        - cols: (C*KH*KW, N, OH*OW)
        - dx: (N, C, H, W)
    """
    N, C, H, W = dx.shape
    OW = conv_output_size(W, KW, SW, PW, DW)
    OH = cols.shape[2] // OW if OW > 0 else 0
    # Race-free: plane (n, c) is the only writer of dx[n, c]; other planes only read cols.
    for plane in prange(N * C):
        n = plane // C
        c = plane % C
        if not accumulate:
            dx[n, c] = 0
        for kh in range(KH):
            oh_first, oh_stop = inside_range(OH, SH, PH, DH, kh, H)
            for kw in range(KW):
                ow_first, ow_stop = inside_range(OW, SW, PW, DW, kw, W)
                column = cols[(c * KH + kh) * KW + kw, n]  # (OH*OW,)
                count = ow_stop - ow_first
                for oh in range(oh_first, oh_stop):
                    ih = oh * SH - PH + kh * DH
                    iw_first = ow_first * SW - PW + kw * DW
                    pixels = dx[n, c, ih, iw_first : iw_first + count * SW : SW]  # (count,)
                    entries = column[oh * OW + ow_first : oh * OW + ow_stop]  # (count,)
                    for i in range(count):
                        pixels[i] += entries[i]


def im2col(x, KH, KW, SH, SW, PH, PW, DH, DW):
    """Copy every KH x KW receptive field of ``x`` into a column of a matrix.

    Args:
        x: input images, float32 or float64.
        KH, KW: kernel height and width.
        SH, SW: stride.
        PH, PW: zero padding added on both sides.
        DH, DW: dilation (spacing between kernel taps).

    Returns:
        A new array ``cols``, same dtype as ``x``; ``cols[c*KH*KW + kh*KW + kw, n,
        oh*OW + ow]`` holds ``x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]`` (0 in the
        padding). ``cols.reshape(C*KH*KW, N*OH*OW)`` is the column matrix of the batch.

    Shape:
        - x: (N, C, H, W)
        - cols: (C*KH*KW, N, OH*OW) with ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``
          and ``OW`` likewise.

    Example:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> im2col(x, 2, 2, 2, 2, 0, 0, 1, 1)[:, 0, 0]  # the top-left 2x2 window
        array([0., 1., 4., 5.])
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    cols = np.empty((C * KH * KW, N, OH * OW), dtype=x.dtype)
    im2col_into(x, KH, KW, SH, SW, PH, PW, DH, DW, cols, work=cols.size)
    return cols


def col2im(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
    """Adjoint of :func:`im2col`: add every column entry back onto the pixel it came from.

    A pixel seen by several windows receives the sum of their entries; entries that fell in
    the padding are dropped. Hence ``<im2col(x), cols> == <x, col2im(cols)>``.

    Args:
        cols: column matrix, float32 or float64.
        x_shape: (N, C, H, W) of the images the columns were taken from.
        KH, KW, SH, SW, PH, PW, DH, DW: as for :func:`im2col`.

    Returns:
        A new array ``dx`` of shape ``x_shape``, same dtype as ``cols``.

    Shape:
        - cols: (C*KH*KW, N, OH*OW)
        - dx: (N, C, H, W)
    """
    dx = np.empty(x_shape, dtype=cols.dtype)
    col2im_into(cols, KH, KW, SH, SW, PH, PW, DH, DW, dx, False, work=cols.size)
    return dx
