"""im2col and col2im: turn convolution windows into matrix columns, and back.

im2col copies every receptive field of a convolution into one column of a matrix, so that
the convolution becomes a single matrix product (see ``conv.py``). col2im is its adjoint:
it adds every column entry back onto the input pixel it was copied from, which is what the
backward pass of a convolution needs.

Row ``c*KH*KW + kh*KW + kw`` of the column matrix of image ``n`` holds, for every output
pixel ``(oh, ow)`` (column ``oh*OW + ow``), the input pixel that kernel tap ``(kh, kw)`` of
channel ``c`` sees there::

    ih = oh*SH - PH + kh*DH
    iw = ow*SW - PW + kw*DW
    cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow] = x[n, c, ih, iw]   (0 in the padding)
"""

import numpy as np
from numba import njit, prange


@njit(cache=True)
def conv_output_size(size, kernel, stride, padding, dilation):
    """Number of positions a dilated, strided kernel takes along one padded axis.

    Args:
        size: input length (H or W).
        kernel: kernel length (KH or KW).
        stride, padding, dilation: S, P and D along this axis.

    Returns:
        ``floor((size + 2*P - D*(K - 1) - 1) / S) + 1``, as in PyTorch. The window spans
        ``D*(K - 1) + 1`` pixels and must fit inside the ``size + 2*P`` padded pixels.

    Example:
        >>> conv_output_size(224, 11, 4, 2, 1)  # AlexNet's first layer
        55
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@njit(cache=True)
def _inside(index, size):
    """True if ``index`` falls on a real pixel of an axis of length ``size``, not padding."""
    return 0 <= index < size


@njit(parallel=True, cache=True)
def im2col_into(x, KH, KW, SH, SW, PH, PW, DH, DW, cols):
    """Fill ``cols`` with the column matrix of ``x`` (see :func:`im2col`).

    Every entry of ``cols`` is written, padding included, so ``cols`` may hold stale data.

    Loop::

        for (n, c) in N x C, in parallel:
            for kh, kw, oh, ow:
                ih, iw = oh*SH - PH + kh*DH, ow*SW - PW + kw*DW
                cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow] = x[n, c, ih, iw] or 0 if outside

    Args:
        x: input images.
        KH, KW, SH, SW, PH, PW, DH, DW: kernel size, stride, padding, dilation.
        cols: output, written in place.

    Shape:
        - x: (N, C, H, W)
        - cols: (N, C*KH*KW, OH*OW), OH and OW from :func:`conv_output_size`
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    # Race-free: plane (n, c) writes only its own KH*KW rows of cols[n].
    for plane in prange(N * C):
        n = plane // C
        c = plane % C
        for kh in range(KH):
            for kw in range(KW):
                row = (c * KH + kh) * KW + kw
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    for ow in range(OW):
                        iw = ow * SW - PW + kw * DW
                        if _inside(ih, H) and _inside(iw, W):
                            cols[n, row, oh * OW + ow] = x[n, c, ih, iw]
                        else:
                            cols[n, row, oh * OW + ow] = 0


@njit(parallel=True, cache=True)
def col2im_into(cols, KH, KW, SH, SW, PH, PW, DH, DW, dx):
    """Overwrite ``dx`` with the scatter-add of ``cols`` onto the input pixels (see :func:`col2im`).

    Loop::

        for (n, c) in N x C, in parallel:
            dx[n, c] = 0
            for kh, kw, oh, ow:
                ih, iw = oh*SH - PH + kh*DH, ow*SW - PW + kw*DW
                if (ih, iw) is inside the image:
                    dx[n, c, ih, iw] += cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow]

    Args:
        cols: column matrix, as made by :func:`im2col`.
        KH, KW, SH, SW, PH, PW, DH, DW: kernel size, stride, padding, dilation.
        dx: output, written in place; its shape gives the image size.

    Shape:
        - cols: (N, C*KH*KW, OH*OW)
        - dx: (N, C, H, W)
    """
    N, C, H, W = dx.shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    # Race-free: plane (n, c) is the only writer of dx[n, c]; other planes only read cols.
    for plane in prange(N * C):
        n = plane // C
        c = plane % C
        dx[n, c] = 0
        for kh in range(KH):
            for kw in range(KW):
                row = (c * KH + kh) * KW + kw
                for oh in range(OH):
                    ih = oh * SH - PH + kh * DH
                    if not _inside(ih, H):
                        continue
                    for ow in range(OW):
                        iw = ow * SW - PW + kw * DW
                        if _inside(iw, W):
                            dx[n, c, ih, iw] += cols[n, row, oh * OW + ow]


def im2col(x, KH, KW, SH, SW, PH, PW, DH, DW):
    """Copy every KH x KW receptive field of ``x`` into a column of a matrix.

    Args:
        x: input images, float32 or float64.
        KH, KW: kernel height and width.
        SH, SW: stride.
        PH, PW: zero padding added on both sides.
        DH, DW: dilation (spacing between kernel taps).

    Returns:
        A new array ``cols``, same dtype as ``x``; row ``c*KH*KW + kh*KW + kw``, column
        ``oh*OW + ow`` holds ``x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]`` (0 in the
        padding).

    Shape:
        - x: (N, C, H, W)
        - cols: (N, C*KH*KW, OH*OW) with ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``
          and ``OW`` likewise.

    Example:
        >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
        >>> im2col(x, 2, 2, 2, 2, 0, 0, 1, 1)[0, :, 0]  # the top-left 2x2 window
        array([0., 1., 4., 5.])
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    cols = np.empty((N, C * KH * KW, OH * OW), dtype=x.dtype)
    im2col_into(x, KH, KW, SH, SW, PH, PW, DH, DW, cols)
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
        - cols: (N, C*KH*KW, OH*OW)
        - dx: (N, C, H, W)
    """
    dx = np.empty(x_shape, dtype=cols.dtype)
    col2im_into(cols, KH, KW, SH, SW, PH, PW, DH, DW, dx)
    return dx
