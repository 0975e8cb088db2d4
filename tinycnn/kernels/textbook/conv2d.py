"""2-D convolution by im2col and one matrix product per group, forward and backward.

The forward pass of a convolution with G groups, each of CG = C/G input channels and
OCG = OC/G filters, is for each group g

    cols_g = im2col(x)[:, rows of group g]               N x CG*KH*KW x OH*OW
    y_g    = w_g @ cols_g                                N x OCG x OH*OW
    with w_g = w[filters of group g] as an OCG x CG*KH*KW matrix.

y is linear in x and in w, so both gradients are matrix products too (dy = dL/dy):

    dcols_g = w_gᵀ @ dy_g,  dx = col2im(dcols)          the adjoint of the forward's steps
    dw_g    = sum over n of dy_g[n] @ cols_g[n]ᵀ
"""

import numpy as np

from tinycnn.kernels.textbook.im2col import col2im, conv_output_size, im2col


def _output_size(x_shape, w_shape, stride, padding, dilation):
    """(OH, OW) of a convolution of an input of x_shape with filters of w_shape."""
    KH, KW = w_shape[2:]
    OH = conv_output_size(x_shape[2], KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(x_shape[3], KW, stride[1], padding[1], dilation[1])
    return OH, OW


def _columns(x, KH, KW, stride, padding, dilation):
    """im2col(x) with the (H, W) pairs of stride, padding and dilation spelled out."""
    return im2col(x, KH, KW, *stride, *padding, *dilation)


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """Convolution (cross-correlation) by im2col and a matrix product per group.

        y[n, oc, oh, ow] = b[oc] + sum over (cg, kh, kw) of w[oc, cg, kh, kw] * x[n, c, ih, iw]

    with ih = oh*SH - PH + kh*DH, iw = ow*SW - PW + kw*DW, and c = g*CG + cg, where
    g = oc // OCG is the group of filter oc.

    Args:
        x: input array; w: filters; b: bias or None.
        stride, padding, dilation: (H, W) pairs. groups: G.

    Returns:
        y, of x's dtype.

    Shape:
        x: (N, C, H, W); w: (OC, C/G, KH, KW); b: (OC,); y: (N, OC, OH, OW) with
        OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1, OW likewise.
    """
    N = x.shape[0]
    OC, CG, KH, KW = w.shape
    OH, OW = _output_size(x.shape, w.shape, stride, padding, dilation)
    OCG, K = OC // groups, CG * KH * KW  # filters and column rows of one group
    cols = _columns(x, KH, KW, stride, padding, dilation)  # N x C*KH*KW x OH*OW
    y = np.empty((N, OC, OH * OW), dtype=x.dtype)
    for g in range(groups):
        w_g = w[g * OCG : (g + 1) * OCG].reshape(OCG, K)  # OCG x K
        cols_g = cols[:, g * K : (g + 1) * K]  # N x K x OH*OW
        y[:, g * OCG : (g + 1) * OCG] = w_g @ cols_g  # N x OCG x OH*OW
    if b is not None:
        y += b[:, np.newaxis]  # b[oc] is added to every output pixel of channel oc
    return y.reshape(N, OC, OH, OW)


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, groups):
    """Gradient of the convolution with respect to its input.

        dcols_g = w_gᵀ @ dy_g     (each column's share of the loss's gradient)
        dx      = col2im(dcols)   (added back onto the pixels the columns came from)

    Args:
        dy: gradient of the loss with respect to y. w: the filters.
        x_shape: the input's shape. stride, padding, dilation, groups: as in the forward.

    Returns:
        dx, of dy's dtype.

    Shape:
        dy: (N, OC, OH, OW); w: (OC, C/G, KH, KW); dx: x_shape = (N, C, H, W).
    """
    N, OC = dy.shape[:2]
    _, CG, KH, KW = w.shape
    OCG, K = OC // groups, CG * KH * KW
    dy = dy.reshape(N, OC, -1)  # N x OC x OH*OW
    dcols = np.empty((N, groups * K, dy.shape[2]), dtype=dy.dtype)
    for g in range(groups):
        w_g = w[g * OCG : (g + 1) * OCG].reshape(OCG, K)  # OCG x K
        dcols[:, g * K : (g + 1) * K] = w_g.T @ dy[:, g * OCG : (g + 1) * OCG]  # N x K x OH*OW
    return col2im(dcols, x_shape, KH, KW, *stride, *padding, *dilation)


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups):
    """Gradient of the convolution with respect to its filters.

        dw_g = sum over n of dy_g[n] @ cols_g[n]ᵀ

    computed as one product by putting the N images' columns side by side.

    Args:
        dy: gradient of the loss with respect to y. x: the forward's input.
        w_shape: the filters' shape. stride, padding, dilation, groups: as in the forward.

    Returns:
        dw, of dy's dtype.

    Shape:
        dy: (N, OC, OH, OW); x: (N, C, H, W); dw: w_shape = (OC, C/G, KH, KW).
    """
    N, OC = dy.shape[:2]
    _, CG, KH, KW = w_shape
    OCG, K = OC // groups, CG * KH * KW
    cols = _columns(x, KH, KW, stride, padding, dilation)  # N x C*KH*KW x OH*OW
    # The images side by side: one matrix row per filter (dy) or column row (cols).
    dy_rows = dy.reshape(N, OC, -1).transpose(1, 0, 2).reshape(OC, -1)  # OC x N*OH*OW
    col_rows = cols.transpose(1, 0, 2).reshape(groups * K, -1)  # C*KH*KW x N*OH*OW
    dw = np.empty((OC, K), dtype=dy.dtype)
    for g in range(groups):
        dy_g = dy_rows[g * OCG : (g + 1) * OCG]  # OCG x N*OH*OW
        dw[g * OCG : (g + 1) * OCG] = dy_g @ col_rows[g * K : (g + 1) * K].T  # OCG x K
    return dw.reshape(w_shape)
