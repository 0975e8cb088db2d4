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

from tinycnn.kernels.runtime.threads import parallel_kernel


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


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
    """Max pooling; also returns where each maximum came from, unless told not to.

    Args:
        x: input array.
        kernel_size, stride, padding, dilation: (KH, KW), (SH, SW), (PH, PW), (DH, DW).
        ceil_mode: see `pooled_output_size`.
        return_indices: also find and return the indices, which only the backward pass
            needs. Without them the kernel writes y alone, not int64 indices twice its
            size, and compares values only: under half the time (measured).

    Returns:
        y: the maxima.
        indices (only when return_indices): int64, the flat index ``ih * W + iw`` of each
            maximum inside its own (n, c) input plane, as torch's ``return_indices=True``
            gives.

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
    geometry = (KH, KW, SH, SW, PH, PW, DH, DW)
    if not return_indices and OW >= SHORT_ROW:
        _max_pool2d_forward_loop(x, y, *geometry, work=x.size)
        return y
    # Short output rows go pixel by pixel, which only the kernel with indices does: on
    # such small planes finding the indices too costs little.
    indices = np.empty((N, C, OH, OW), dtype=np.int64)
    _max_pool2d_forward_with_indices_loop(x, y, indices, *geometry, work=x.size)
    return (y, indices) if return_indices else y


@njit(cache=True)
def _valid_outputs(k, S, P, D, size, out_size):
    """The outputs [lo, hi) whose window position k falls inside the input, along one axis.

    Output o reads input i = o*S - P + k*D, and 0 <= i < size means
    ceil((P - k*D) / S) <= o <= floor((size - 1 + P - k*D) / S).
    """
    offset = P - k * D
    lo = max(0, -(-offset // S))  # ceil division, also for a negative offset
    hi = min(out_size, (size - 1 + offset) // S + 1)
    return lo, hi


@parallel_kernel
def _max_pool2d_forward_loop(x, y, KH, KW, SH, SW, PH, PW, DH, DW):
    """Fill y in place with the window maxima.

    for each plane (n, c), in parallel:
        for oh:
            y[n, c, oh, :] = -inf
            for kh, kw (row-major scan) with ih = oh*SH - PH + kh*DH inside the input:
                for ow whose iw = ow*SW - PW + kw*DW is inside the input:
                    v = x[n, c, ih, iw]
                    if v > y[n, c, oh, ow] or v is NaN: y[n, c, oh, ow] = v

    The window position (kh, kw) is the outer loop and ow the inner one, so the inner loop
    has no padding test and no branch on the data (the update compiles to a select), and
    each output still sees its window in row-major order.
    """
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    lowest = x.dtype.type(-np.inf)
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of y
        n, c = plane // C, plane % C
        for oh in range(OH):
            maxima = y[n, c, oh]  # OW, the running maxima of this output row
            maxima[:] = lowest
            for kh in range(KH):
                ih = oh * SH - PH + kh * DH
                if ih < 0 or ih >= H:
                    continue
                for kw in range(KW):
                    lo, hi = _valid_outputs(kw, SW, PW, DW, W, OW)
                    first_iw = lo * SW - PW + kw * DW
                    # Row views, so the inner loop indexes 1-D arrays from 0: twice as fast
                    # as indexing x[n, c, ih, iw] there (measured).
                    inputs = x[n, c, ih, first_iw:]  # read every SW-th
                    outputs = maxima[lo:hi]
                    for j in range(hi - lo):
                        v, best = inputs[j * SW], outputs[j]
                        # `|`, not `or`: both sides are evaluated, so there is no branch.
                        outputs[j] = v if (v > best) | (v != v) else best


@parallel_kernel
def _max_pool2d_forward_with_indices_loop(x, y, indices, KH, KW, SH, SW, PH, PW, DH, DW):
    """Fill y and indices in place.

    for each plane (n, c), in parallel:
        for oh:
            y[n, c, oh, :], indices[n, c, oh, :] = -inf, -1
            for kh, kw (row-major scan) with ih = oh*SH - PH + kh*DH inside the input:
                for ow whose iw = ow*SW - PW + kw*DW is inside the input:
                    v = x[n, c, ih, iw]
                    if it is the window's first element, or v > y[n, c, oh, ow], or v is NaN:
                        y[n, c, oh, ow], indices[n, c, oh, ow] = v, ih*W + iw

    Loop order as in `_max_pool2d_forward_loop`: each output still meets its window's
    elements in row-major order, so `>` keeps the first of equal values.
    `_update_maxima_and_winners` runs the loop over ow. Output rows shorter than
    `SHORT_ROW` go pixel by pixel instead (`_pool_plane_pixel_by_pixel`).
    """
    N, C, H, W = x.shape
    OH, OW = y.shape[2], y.shape[3]
    lowest = x.dtype.type(-np.inf)
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of y
        n, c = plane // C, plane % C
        if OW < SHORT_ROW:
            _pool_plane_pixel_by_pixel(
                x[n, c], y[n, c], indices[n, c], KH, KW, SH, SW, PH, PW, DH, DW
            )
            continue
        for oh in range(OH):
            maxima = y[n, c, oh]  # OW, the running maxima of this output row
            winners = indices[n, c, oh]  # OW, where they came from
            maxima[:] = lowest
            winners[:] = -1
            for kh in range(KH):
                ih = oh * SH - PH + kh * DH
                if ih < 0 or ih >= H:
                    continue
                for kw in range(KW):
                    lo, hi = _valid_outputs(kw, SW, PW, DW, W, OW)
                    first_iw = lo * SW - PW + kw * DW
                    _update_maxima_and_winners(
                        x[n, c, ih, first_iw:], SW, ih * W + first_iw, maxima[lo:hi], winners[lo:hi]
                    )


# Output rows shorter than this are pooled pixel by pixel: on small planes, setting up every
# row's loop costs more than the row (measured, 3x3 pooling of 64 images: 2.2x faster on 4x4
# planes, 3.5x on 1x1, 1.4x on 8x8 outputs; 0.7x on 56x56, so long rows keep the row loop).
SHORT_ROW = 16


@njit(inline="always")
def _pool_plane_pixel_by_pixel(image, maxima, winners, KH, KW, SH, SW, PH, PW, DH, DW):
    """Max pooling of one plane, one output pixel at a time, with the same winners.

    Shape:
        - image: (H, W); maxima, winners: (OH, OW)
    """
    H, W = image.shape
    OH, OW = maxima.shape
    for oh in range(OH):
        for ow in range(OW):
            best, winner = image.dtype.type(-np.inf), -1
            for kh in range(KH):
                ih = oh * SH - PH + kh * DH
                for kw in range(KW):
                    iw = ow * SW - PW + kw * DW
                    if 0 <= ih < H and 0 <= iw < W:
                        v = image[ih, iw]
                        take = np.int64((winner < 0) | (v > best) | (v != v))  # as below
                        best = np.maximum(best, v)
                        winner = winner + take * (ih * W + iw - winner)
            maxima[oh, ow], winners[oh, ow] = best, winner


@njit(cache=True)
def _update_maxima_and_winners(inputs, S, first_index, maxima, winners):
    """Let inputs[0], inputs[S], inputs[2S], ... compete for maxima and winners.

    for j in range(len(maxima)):
        v = inputs[j*S]
        if winners[j] < 0 (no element yet), or v > maxima[j], or v is NaN:
            maxima[j], winners[j] = v, first_index + j*S

    A helper of its own, and written without `if`, for speed (measured: 2.6 times faster
    than the same loop written inline with a conditional expression). Whether v wins is
    random, so a branch on it is mispredicted half the time; np.maximum (which propagates
    NaN) and integer arithmetic compile without branches.
    """
    for j in range(maxima.size):
        v, best, winner = inputs[j * S], maxima[j], winners[j]
        take = np.int64((winner < 0) | (v > best) | (v != v))  # 1 or 0
        maxima[j] = np.maximum(best, v)
        winners[j] = winner + take * (first_index + j * S - winner)


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


@njit(cache=True)
def _avg_divisor(rows, cols, padded_rows, padded_cols, count_include_pad, divisor_override):
    """What a window's sum is divided by: the override (when > 0), else torch's count."""
    if divisor_override > 0:
        return divisor_override
    return padded_rows * padded_cols if count_include_pad else rows * cols


def avg_pool2d_forward(
    x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
):
    """Average pooling.

    Args:
        x: input array.
        kernel_size, stride, padding: (KH, KW), (SH, SW), (PH, PW).
        ceil_mode: see `pooled_output_size`.
        count_include_pad: divide by the window size counting the zero padding, else by
            the number of input elements in the window. Either way the window is first
            clipped to the padded input, so a ceil-mode window that hangs off the end
            never counts the part beyond the padding (torch's divisor).
        divisor_override: if given (an int >= 1), every window's sum is divided by it
            instead, whatever count_include_pad says (torch's option).

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW) with
        OH = pooled_output_size(H, KH, SH, PH, 1, ceil_mode), OW likewise.
    """
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    OH = pooled_output_size(H, KH, SH, PH, 1, ceil_mode)
    OW = pooled_output_size(W, KW, SW, PW, 1, ceil_mode)
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    _avg_pool2d_forward_loop(
        x, y, KH, KW, SH, SW, PH, PW, count_include_pad, divisor_override or 0, work=x.size
    )
    return y


@parallel_kernel
def _avg_pool2d_forward_loop(x, y, KH, KW, SH, SW, PH, PW, count_include_pad, divisor_override):
    """Fill y in place.

    for each plane (n, c), in parallel:
        for oh, ow:
            [h0, h1), [w0, w1) = the window clipped to the input
            divisor = divisor_override if given (> 0), else the padded window size
                      if count_include_pad, else (h1-h0) * (w1-w0)
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
                count = _avg_divisor(
                    h1 - h0, w1 - w0, padded_h, padded_w, count_include_pad, divisor_override
                )
                total = x.dtype.type(0)
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        total += x[n, c, ih, iw]
                y[n, c, oh, ow] = total / x.dtype.type(count)


def avg_pool2d_backward(
    dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
):
    """Gradient of average pooling: each dy element is shared equally by its window.

    Args:
        dy: gradient of the loss with respect to y.
        x_shape: the input's shape (N, C, H, W).
        kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override: as
            in the forward.

    Returns:
        dx, a fresh array of dy's dtype.

    Shape:
        dy: (N, C, OH, OW); dx: (N, C, H, W).
    """
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    dx = np.empty(x_shape, dtype=dy.dtype)
    _avg_pool2d_backward_loop(
        dy, dx, KH, KW, SH, SW, PH, PW, count_include_pad, divisor_override or 0, work=dx.size
    )
    return dx


@parallel_kernel
def _avg_pool2d_backward_loop(dy, dx, KH, KW, SH, SW, PH, PW, count_include_pad, divisor_override):
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
                count = _avg_divisor(
                    h1 - h0, w1 - w0, padded_h, padded_w, count_include_pad, divisor_override
                )
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
