"""Pooling kernels: max, average and adaptive average pooling of NCHW arrays.

Each public function takes and returns plain ndarrays. It works out the output shape,
allocates the result and hands the loops to a Numba kernel (the `_..._loop` functions).
Every kernel runs `prange` over the N * C planes: one (n, c) plane is pooled
independently of all others, which is what makes the backward scatters race-free.

Inputs arrive validated by `tinycnn.nn.functional`: C-contiguous float32 or float64
arrays, output size >= 1, padding <= kernel // 2. Outputs keep the input dtype.
"""

import numpy as np
from numba import njit, prange

from tinycnn.kernels.threads import parallel_kernel


def pooled_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Number of pooling windows along one spatial axis, by torch's rule.

    Args:
        size: input length along the axis (H or W).
        kernel, stride, padding, dilation: K, S, P, D along that axis.
        ceil_mode: round the division up instead of down, so that a last, partial window
            may hang off the end of the padded input.

    Returns:
        ``floor_or_ceil((size + 2P - D*(K-1) - 1) / S) + 1``; in ceil mode the last
        window must still start inside the input or its left padding, otherwise it is
        dropped (torch: ``if (out - 1) * S >= size + P: out -= 1``).
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1  # ceil division
        if (out - 1) * stride >= size + padding:
            out -= 1
    else:
        out = span // stride + 1
    return out


# ------------------------------------------------------------------------------ max pooling


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Max pooling; also returns where each maximum came from.

    Args:
        x: input array.
        kernel_size, stride, padding, dilation: (KH, KW), (SH, SW), (PH, PW), (DH, DW).
        ceil_mode: see `pooled_output_size`.

    Returns:
        y: the maxima.
        indices: int64, the flat index ``ih * W + iw`` of each maximum inside its own
            (n, c) input plane, as torch's ``return_indices=True`` gives.

    Padding acts as -inf (it never wins). Ties go to the first element in row-major
    scan order. A NaN in the window wins and propagates, as in torch.
    NOTE: with dilation a window can fall entirely on padding; torch then returns -inf
    and an index outside the plane, we return -inf and index -1 (no input element).

    Shape:
        x: (N, C, H, W); y, indices: (N, C, OH, OW) with
        OH = pooled_output_size(H, KH, SH, PH, DH, ceil_mode), OW likewise.
    """
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW), (DH, DW) = kernel_size, stride, padding, dilation
    OH = pooled_output_size(H, KH, SH, PH, DH, ceil_mode)
    OW = pooled_output_size(W, KW, SW, PW, DW, ceil_mode)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    indices = np.empty((N, C, OH, OW), dtype=np.int64)
    _max_pool2d_forward_loop(x, y, indices, KH, KW, SH, SW, PH, PW, DH, DW, work=x.size)
    return y, indices


@parallel_kernel
def _max_pool2d_forward_loop(x, y, indices, KH, KW, SH, SW, PH, PW, DH, DW):
    """Fill y and indices in place.

    for each plane (n, c), in parallel:
        for oh, ow:
            best, best_index = -inf, -1
            for kh, kw (row-major scan):
                ih, iw = oh*SH - PH + kh*DH, ow*SW - PW + kw*DW
                skip if (ih, iw) is padding
                v = x[n, c, ih, iw]
                if it is the first element, or v > best, or v is NaN:
                    best, best_index = v, ih*W + iw
            y[n, c, oh, ow], indices[n, c, oh, ow] = best, best_index
    """
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    lowest = x.dtype.type(-np.inf)
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of y
        n, c = plane // C, plane % C
        for oh in range(OH):
            for ow in range(OW):
                best = lowest
                best_index = -1
                for kh in range(KH):
                    ih = oh * SH - PH + kh * DH
                    if ih < 0 or ih >= H:
                        continue
                    for kw in range(KW):
                        iw = ow * SW - PW + kw * DW
                        if iw < 0 or iw >= W:
                            continue
                        v = x[n, c, ih, iw]
                        # `>` keeps the first of equal values; a NaN always takes over.
                        if best_index < 0 or v > best or np.isnan(v):
                            best = v
                            best_index = ih * W + iw
                y[n, c, oh, ow] = best
                indices[n, c, oh, ow] = best_index


def max_pool2d_backward(dy, indices, x_shape):
    """Gradient of max pooling: each dy element goes back to the input element that won.

    Args:
        dy: gradient of the loss with respect to y.
        indices: the indices returned by `max_pool2d_forward`.
        x_shape: the input's shape (N, C, H, W).

    Returns:
        dx, a fresh array of dy's dtype; overlapping windows that share a winner add up.

    Shape:
        dy, indices: (N, C, OH, OW); dx: (N, C, H, W).
    """
    N, C, H, W = x_shape
    dx = np.empty(x_shape, dtype=dy.dtype)
    # The indices are flat positions ih*W + iw, so the kernel sees each plane as flat.
    _max_pool2d_backward_loop(dy, indices, dx.reshape(N, C, H * W), work=dx.size)
    return dx


@parallel_kernel
def _max_pool2d_backward_loop(dy, indices, dx):
    """Scatter-add dy into dx, whose planes are flattened to H*W.

    for each plane (n, c), in parallel:
        dx[n, c] = 0
        for oh, ow:
            i = indices[n, c, oh, ow]
            if i >= 0:
                dx[n, c, i] += dy[n, c, oh, ow]
    """
    N, C = dx.shape[0], dx.shape[1]
    OH, OW = dy.shape[2], dy.shape[3]
    for plane in prange(N * C):  # indices point into their own (n, c) plane: no shared dx
        n, c = plane // C, plane % C
        dx[n, c] = 0
        for oh in range(OH):
            for ow in range(OW):
                i = indices[n, c, oh, ow]
                if i >= 0:
                    dx[n, c, i] += dy[n, c, oh, ow]


# -------------------------------------------------------------------------- average pooling


@njit(cache=True)
def _avg_window(o, S, P, K, size):
    """The input range [start, end) that output position o averages, along one axis.

    Also returns the window's length counting padding, for count_include_pad. As in torch,
    the window is first clipped to the padded input (end <= size + P), then to the input.
    """
    start = o * S - P
    end = min(start + K, size + P)
    padded_length = end - start
    return max(start, 0), min(end, size), padded_length


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """Average pooling.

    Args:
        x: input array.
        kernel_size, stride, padding: (KH, KW), (SH, SW), (PH, PW).
        ceil_mode: see `pooled_output_size`.
        count_include_pad: divide by the window size counting the zero padding, else by
            the number of input elements in the window. Either way the window is first
            clipped to the padded input, so a ceil-mode window that hangs off the end
            never counts the part beyond the padding (torch's divisor).

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW) with
        OH = pooled_output_size(H, KH, SH, PH, 1, ceil_mode), OW likewise.
    """
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    OH = pooled_output_size(H, KH, SH, PH, 1, ceil_mode)
    OW = pooled_output_size(W, KW, SW, PW, 1, ceil_mode)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _avg_pool2d_forward_loop(x, y, KH, KW, SH, SW, PH, PW, count_include_pad, work=x.size)
    return y


@parallel_kernel
def _avg_pool2d_forward_loop(x, y, KH, KW, SH, SW, PH, PW, count_include_pad):
    """Fill y in place.

    for each plane (n, c), in parallel:
        for oh, ow:
            [h0, h1), [w0, w1) = the window clipped to the input
            divisor = padded window size if count_include_pad else (h1-h0) * (w1-w0)
            y[n, c, oh, ow] = sum(x[n, c, h0:h1, w0:w1]) / divisor
    """
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of y
        n, c = plane // C, plane % C
        for oh in range(OH):
            h0, h1, padded_h = _avg_window(oh, SH, PH, KH, H)
            for ow in range(OW):
                w0, w1, padded_w = _avg_window(ow, SW, PW, KW, W)
                count = padded_h * padded_w if count_include_pad else (h1 - h0) * (w1 - w0)
                total = x.dtype.type(0)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        total += x[n, c, ih, iw]
                y[n, c, oh, ow] = total / x.dtype.type(count)


def avg_pool2d_backward(dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad):
    """Gradient of average pooling: each dy element is shared equally by its window.

    Args:
        dy: gradient of the loss with respect to y.
        x_shape: the input's shape (N, C, H, W).
        kernel_size, stride, padding, ceil_mode, count_include_pad: as in the forward.

    Returns:
        dx, a fresh array of dy's dtype.

    Shape:
        dy: (N, C, OH, OW); dx: (N, C, H, W).
    """
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    dx = np.empty(x_shape, dtype=dy.dtype)
    _avg_pool2d_backward_loop(dy, dx, KH, KW, SH, SW, PH, PW, count_include_pad, work=dx.size)
    return dx


@parallel_kernel
def _avg_pool2d_backward_loop(dy, dx, KH, KW, SH, SW, PH, PW, count_include_pad):
    """Scatter-add dy / divisor over each window of dx.

    for each plane (n, c), in parallel:
        dx[n, c] = 0
        for oh, ow:
            [h0, h1), [w0, w1), divisor as in the forward
            dx[n, c, h0:h1, w0:w1] += dy[n, c, oh, ow] / divisor
    """
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for plane in prange(N * C):  # windows of plane (n, c) cover only dx[n, c]: no shared dx
        n, c = plane // C, plane % C
        dx[n, c] = 0
        for oh in range(OH):
            h0, h1, padded_h = _avg_window(oh, SH, PH, KH, H)
            for ow in range(OW):
                w0, w1, padded_w = _avg_window(ow, SW, PW, KW, W)
                count = padded_h * padded_w if count_include_pad else (h1 - h0) * (w1 - w0)
                share = dy[n, c, oh, ow] / dy.dtype.type(count)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dx[n, c, ih, iw] += share


# ----------------------------------------------------------------- adaptive average pooling


@njit(cache=True)
def _adaptive_window(o, size, out_size):
    """Input range [floor(o*size/out_size), ceil((o+1)*size/out_size)) of output o."""
    start = (o * size) // out_size
    end = ((o + 1) * size + out_size - 1) // out_size  # ceil division of non-negatives
    return start, end


def adaptive_avg_pool2d_forward(x, output_size):
    """Average pooling to a fixed output size, whatever the input size.

    Output row oh averages input rows floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1 (torch's
    rule), columns likewise. Neighbouring windows may overlap when OH does not divide H,
    and when OH > H several outputs read the same input row.

    Args:
        x: input array.
        output_size: (OH, OW).

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW).
    """
    N, C = x.shape[:2]
    OH, OW = output_size
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _adaptive_avg_pool2d_forward_loop(x, y, work=x.size)
    return y


@parallel_kernel
def _adaptive_avg_pool2d_forward_loop(x, y):
    """Fill y in place.

    for each plane (n, c), in parallel:
        for oh, ow:
            [h0, h1), [w0, w1) = adaptive windows of oh and ow
            y[n, c, oh, ow] = mean(x[n, c, h0:h1, w0:w1])
    """
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of y
        n, c = plane // C, plane % C
        for oh in range(OH):
            h0, h1 = _adaptive_window(oh, H, OH)
            for ow in range(OW):
                w0, w1 = _adaptive_window(ow, W, OW)
                total = x.dtype.type(0)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        total += x[n, c, ih, iw]
                y[n, c, oh, ow] = total / x.dtype.type((h1 - h0) * (w1 - w0))


def adaptive_avg_pool2d_backward(dy, x_shape):
    """Gradient of adaptive average pooling.

    Args:
        dy: gradient of the loss with respect to y.
        x_shape: the input's shape (N, C, H, W).

    Returns:
        dx, a fresh array of dy's dtype.

    Shape:
        dy: (N, C, OH, OW); dx: (N, C, H, W).
    """
    dx = np.empty(x_shape, dtype=dy.dtype)
    _adaptive_avg_pool2d_backward_loop(dy, dx, work=dx.size)
    return dx


@parallel_kernel
def _adaptive_avg_pool2d_backward_loop(dy, dx):
    """Scatter-add each dy element, divided by its window's size, over dx.

    for each plane (n, c), in parallel:
        dx[n, c] = 0
        for oh, ow:
            [h0, h1), [w0, w1) = adaptive windows of oh and ow
            dx[n, c, h0:h1, w0:w1] += dy[n, c, oh, ow] / ((h1-h0) * (w1-w0))
    """
    N, C, H, W = dx.shape
    OH, OW = dy.shape[2], dy.shape[3]
    for plane in prange(N * C):  # windows of plane (n, c) cover only dx[n, c]: no shared dx
        n, c = plane // C, plane % C
        dx[n, c] = 0
        for oh in range(OH):
            h0, h1 = _adaptive_window(oh, H, OH)
            for ow in range(OW):
                w0, w1 = _adaptive_window(ow, W, OW)
                share = dy[n, c, oh, ow] / dy.dtype.type((h1 - h0) * (w1 - w0))
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dx[n, c, ih, iw] += share
