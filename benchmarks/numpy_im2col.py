"""The baseline: a textbook NumPy im2col convolution, forward and backward.

This is the convolution most tutorials write: build the column matrix with one strided
slice per kernel tap, multiply it by the filter matrix, and scatter the column gradient
back tap by tap. Every call allocates fresh arrays, as the textbook version does. No
Numba, no workspaces, no threads beyond NumPy's own BLAS.

Rows of the column matrix are output pixels (n, oh, ow); columns are taps (c, kh, kw).
"""

import numpy as np


def _output_size(size, kernel, stride, padding, dilation):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def im2col(x, KH, KW, stride, padding, dilation):
    """Column matrix of x: one row per output pixel, one column per (c, kh, kw) tap.

    Shape:
        - x: (N, C, H, W)
        - result: (N*OH*OW, C*KH*KW)
    """
    N, C, H, W = x.shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    OH = _output_size(H, KH, SH, PH, DH)
    OW = _output_size(W, KW, SW, PW, DW)
    padded = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    cols = np.empty((N, C, KH, KW, OH, OW), dtype=x.dtype)
    for kh in range(KH):
        for kw in range(KW):
            h0, w0 = kh * DH, kw * DW
            cols[:, :, kh, kw] = padded[:, :, h0 : h0 + SH * OH : SH, w0 : w0 + SW * OW : SW]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * KH * KW)


def col2im(dcols, x_shape, KH, KW, stride, padding, dilation, OH, OW):
    """Adjoint of im2col: add each column-matrix entry back onto its input pixel."""
    N, C, H, W = x_shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    dcols = dcols.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 4, 5, 1, 2)
    padded = np.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=dcols.dtype)
    for kh in range(KH):
        for kw in range(KW):
            h0, w0 = kh * DH, kw * DW
            padded[:, :, h0 : h0 + SH * OH : SH, w0 : w0 + SW * OW : SW] += dcols[:, :, kh, kw]
    return padded[:, :, PH : PH + H, PW : PW + W]


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """y = conv2d(x, w) + b, one GEMM per group.

    Shape:
        - x: (N, C, H, W); w: (OC, C/G, KH, KW); b: (OC,) or None
        - y: (N, OC, OH, OW)
    """
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    OH = _output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = _output_size(W, KW, stride[1], padding[1], dilation[1])
    OCG = OC // groups
    outputs = []
    for g in range(groups):
        cols = im2col(x[:, g * CG : (g + 1) * CG], KH, KW, stride, padding, dilation)
        outputs.append(cols @ w[g * OCG : (g + 1) * OCG].reshape(OCG, -1).T)  # (N*OH*OW, OCG)
    y = np.concatenate(outputs, axis=1)
    if b is not None:
        y += b
    return y.reshape(N, OH, OW, OC).transpose(0, 3, 1, 2)


def conv2d_backward(dy, x, w, stride, padding, dilation, groups):
    """Gradients (dx, dw, db) of a convolution, one pair of GEMMs per group.

    Shape:
        - dy: (N, OC, OH, OW); x: (N, C, H, W); w: (OC, C/G, KH, KW)
        - dx like x, dw like w, db: (OC,)
    """
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    OH, OW = dy.shape[2:]
    OCG = OC // groups
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(N * OH * OW, OC)
    dx = np.empty_like(x)
    dw = np.empty_like(w)
    for g in range(groups):
        channels = slice(g * CG, (g + 1) * CG)
        outs = slice(g * OCG, (g + 1) * OCG)
        cols = im2col(x[:, channels], KH, KW, stride, padding, dilation)
        dw[outs] = (dy_rows[:, outs].T @ cols).reshape(OCG, CG, KH, KW)
        dcols = dy_rows[:, outs] @ w[outs].reshape(OCG, -1)
        dx[:, channels] = col2im(dcols, (N, CG, H, W), KH, KW, stride, padding, dilation, OH, OW)
    return dx, dw, dy.sum(axis=(0, 2, 3))
