"""im2col and col2im: every receptive field as a column of a matrix, and back.

A convolution multiplies each filter with every receptive field of the input. Copy each
receptive field into a column of a matrix `cols` and the whole convolution becomes one
matrix product, `w.reshape(OC, C*KH*KW) @ cols`, which BLAS computes fast.

The copy goes one kernel tap (kh, kw) at a time: tap (kh, kw) of output pixel (oh, ow)
reads input pixel (oh*SH - PH + kh*DH, ow*SW - PW + kw*DW), so over all output pixels one
tap reads a strided slice of the zero-padded input:

    for kh, kw:
        cols[n, c, kh, kw, oh, ow] = x_padded[n, c, kh*DH + oh*SH, kw*DW + ow*SW]
"""

import numpy as np


def conv_output_size(size, kernel, stride, padding, dilation):
    """Window positions along one axis: floor((size + 2P - D*(K-1) - 1) / S) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _tap_slices(kh, kw, OH, OW, SH, SW, DH, DW):
    """The rows and columns of the padded input that tap (kh, kw) reads, as slices."""
    rows = slice(kh * DH, kh * DH + SH * (OH - 1) + 1, SH)  # OH rows, SH apart
    cols = slice(kw * DW, kw * DW + SW * (OW - 1) + 1, SW)  # OW columns, SW apart
    return rows, cols


def im2col(x, KH, KW, SH, SW, PH, PW, DH, DW):
    """Copy each receptive field of x into a column.

        cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow] = x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]

    with 0 where the index falls in the padding.

    Args:
        x: input array.
        KH, KW: kernel height and width; SH, SW: strides; PH, PW: zero padding on each side;
            DH, DW: dilation (the distance between two taps of the kernel).

    Returns:
        cols, of x's dtype.

    Shape:
        x: (N, C, H, W); cols: (N, C*KH*KW, OH*OW) with
        OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1, OW likewise.

    Example:
        >>> im2col(np.ones((1, 2, 4, 4)), 3, 3, 1, 1, 0, 0, 1, 1).shape
        (1, 18, 4)
    """
    N, C, H, W = x.shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    x_padded = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))  # N x C x H+2PH x W+2PW
    cols = np.empty((N, C, KH, KW, OH, OW), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            rows, columns = _tap_slices(kh, kw, OH, OW, SH, SW, DH, DW)
            cols[:, :, kh, kw] = x_padded[:, :, rows, columns]  # N x C x OH x OW
    return cols.reshape(N, C * KH * KW, OH * OW)


def col2im(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
    """The adjoint of im2col: add each entry of cols back onto the pixel it was copied from.

    A pixel inside several receptive fields was copied into several columns, so its
    entries add up; entries copied from the padding are dropped.

    Args:
        cols: columns as im2col makes them.
        x_shape: (N, C, H, W), the shape of the image im2col read.
        KH, KW, SH, SW, PH, PW, DH, DW: as for im2col.

    Returns:
        x, of cols' dtype.

    Shape:
        cols: (N, C*KH*KW, OH*OW); x: (N, C, H, W).
    """
    N, C, H, W = x_shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    cols = cols.reshape(N, C, KH, KW, OH, OW)
    x_padded = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=cols.dtype)
    for kh in range(KH):
        for kw in range(KW):
            rows, columns = _tap_slices(kh, kw, OH, OW, SH, SW, DH, DW)
            # One tap never reads a pixel twice, so `+=` on the slice adds every entry.
            x_padded[:, :, rows, columns] += cols[:, :, kh, kw]  # N x C x OH x OW
    return x_padded[:, :, PH : PH + H, PW : PW + W]
