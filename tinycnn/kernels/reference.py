"""Slow, obviously-correct loop oracles for every kernel, computed in float64.

Each oracle has the same signature as the fast kernel it checks and returns float64
arrays. They are written as plain Python loops over every output element, straight from
the defining formula, so that a reader can check them by eye. Only tests and benchmarks
import this module; the engine itself never does.
"""

import numpy as np

# ---------------------------------------------------------------- convolution (im2col, conv2d)


def _window_positions(size, kernel, stride, padding, dilation):
    """Count the window positions along one axis by sliding the window until it falls off.

    The window starts at -padding and moves by stride; it still fits while its last tap,
    dilation * (kernel - 1) pixels after its first, lies inside the padded axis.
    """
    count = 0
    while count * stride - padding + dilation * (kernel - 1) <= size - 1 + padding:
        count += 1
    return count


def _pixel_or_zero(x, n, c, ih, iw):
    """x[n, c, ih, iw], or 0.0 when (ih, iw) lies in the zero padding."""
    H, W = x.shape[2:]
    if 0 <= ih < H and 0 <= iw < W:
        return x[n, c, ih, iw]
    return 0.0


def im2col(x, KH, KW, SH, SW, PH, PW, DH, DW):
    """Copy each receptive field into a column, one matrix entry at a time.

    cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow] = x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]
    """
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    OH = _window_positions(H, KH, SH, PH, DH)
    OW = _window_positions(W, KW, SW, PW, DW)
    cols = np.zeros((N, C * KH * KW, OH * OW))
    for n, c, kh, kw, oh, ow in np.ndindex(N, C, KH, KW, OH, OW):
        ih = oh * SH - PH + kh * DH
        iw = ow * SW - PW + kw * DW
        cols[n, c * KH * KW + kh * KW + kw, oh * OW + ow] = _pixel_or_zero(x, n, c, ih, iw)
    return cols


def col2im(cols, x_shape, KH, KW, SH, SW, PH, PW, DH, DW):
    """Add each entry of cols onto the pixel im2col copied it from; drop padding entries."""
    cols = np.asarray(cols, dtype=np.float64)
    N, C, H, W = x_shape
    OH = _window_positions(H, KH, SH, PH, DH)
    OW = _window_positions(W, KW, SW, PW, DW)
    dx = np.zeros((N, C, H, W))
    for n, c, kh, kw, oh, ow in np.ndindex(N, C, KH, KW, OH, OW):
        ih = oh * SH - PH + kh * DH
        iw = ow * SW - PW + kw * DW
        if 0 <= ih < H and 0 <= iw < W:
            dx[n, c, ih, iw] += cols[n, c * KH * KW + kh * KW + kw, oh * OW + ow]
    return dx


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """Direct convolution: each output pixel is a bias plus a sum of products.

    y[n, oc, oh, ow] = b[oc] + sum over (cg, kh, kw) of w[oc, cg, kh, kw] * x[n, c, ih, iw].
    Output channel oc belongs to group g = oc // (OC/groups) and sees only the input
    channels c = g*(C/groups) + cg of that group; ih = oh*SH - PH + kh*DH, iw likewise.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    OH = _window_positions(H, KH, SH, PH, DH)
    OW = _window_positions(W, KW, SW, PW, DW)
    OCG = OC // groups
    y = np.zeros((N, OC, OH, OW))
    for n, oc, oh, ow in np.ndindex(N, OC, OH, OW):
        g = oc // OCG
        total = 0.0 if b is None else float(b[oc])
        for cg, kh, kw in np.ndindex(CG, KH, KW):
            ih = oh * SH - PH + kh * DH
            iw = ow * SW - PW + kw * DW
            total += w[oc, cg, kh, kw] * _pixel_or_zero(x, n, g * CG + cg, ih, iw)
        y[n, oc, oh, ow] = total
    return y


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, groups):
    """Gradient of the loss with respect to x, term by term through the chain rule.

    Each product w[oc, cg, kh, kw] * x[n, c, ih, iw] of the forward sum for y[n, oc, oh, ow]
    sends dy[n, oc, oh, ow] * w[oc, cg, kh, kw] back to x[n, c, ih, iw].
    """
    dy = np.asarray(dy, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    N, C, H, W = x_shape
    OC, CG, KH, KW = w.shape
    _, _, OH, OW = dy.shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    OCG = OC // groups
    dx = np.zeros((N, C, H, W))
    for n, oc, oh, ow, cg, kh, kw in np.ndindex(N, OC, OH, OW, CG, KH, KW):
        c = (oc // OCG) * CG + cg
        ih = oh * SH - PH + kh * DH
        iw = ow * SW - PW + kw * DW
        if 0 <= ih < H and 0 <= iw < W:
            dx[n, c, ih, iw] += dy[n, oc, oh, ow] * w[oc, cg, kh, kw]
    return dx


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups):
    """Gradient of the loss with respect to w, term by term through the chain rule.

    dw[oc, cg, kh, kw] is the sum, over every image n and output pixel (oh, ow), of
    dy[n, oc, oh, ow] times the input pixel x[n, c, ih, iw] that this tap saw there.
    """
    dy = np.asarray(dy, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    OC, CG, KH, KW = w_shape
    _, _, OH, OW = dy.shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    OCG = OC // groups
    dw = np.zeros((OC, CG, KH, KW))
    for oc, cg, kh, kw, n, oh, ow in np.ndindex(OC, CG, KH, KW, N, OH, OW):
        c = (oc // OCG) * CG + cg
        ih = oh * SH - PH + kh * DH
        iw = ow * SW - PW + kw * DW
        dw[oc, cg, kh, kw] += dy[n, oc, oh, ow] * _pixel_or_zero(x, n, c, ih, iw)
    return dw


# ------------------------------------- pooling, normalization (LRN, batch norm), activation
