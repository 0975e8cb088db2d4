"""Slow, obviously-correct loop oracles for every kernel, computed in float64.

Each op's oracle takes the arguments of the kernel-set op it checks (see ``sets.py``) and
returns float64 arrays; max pooling always returns its indices too. Two are not ops:
`im2col` and `col2im` check the fast copies in ``conv/im2col.py``, and lay their columns
out as (N, C*KH*KW, OH*OW), image first, where the fast ones put the images side by side,
(C*KH*KW, N, OH*OW). They are written as plain Python loops over every output element, straight from
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


def _pool_windows(size, kernel, stride, padding, dilation, ceil_mode):
    """Count pooling windows along one axis: those that fit, plus torch's ceil-mode extra.

    In ceil mode one more window may hang off the end of the padded axis, provided the
    windows that fit leave part of it uncovered and the new window starts inside the
    input or its left padding (never in the right padding).
    """
    count = _window_positions(size, kernel, stride, padding, dilation)
    if ceil_mode:
        last_fitting_end = (count - 1) * stride - padding + dilation * (kernel - 1)
        if last_fitting_end < size - 1 + padding and count * stride - padding < size:
            count += 1
    return count


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    """Collect each window's input elements in scan order, then pick the winner.

    A NaN wins, and the last NaN in scan order gives the index (torch's scan lets every
    NaN take over); otherwise the largest value wins at its first occurrence. A window
    lying entirely on padding gives -inf and index -1.
    """
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW), (DH, DW) = kernel_size, stride, padding, dilation
    OH = _pool_windows(H, KH, SH, PH, DH, ceil_mode)
    OW = _pool_windows(W, KW, SW, PW, DW, ceil_mode)
    y = np.empty((N, C, OH, OW))
    indices = np.empty((N, C, OH, OW), dtype=np.int64)
    for n, c, oh, ow in np.ndindex(N, C, OH, OW):
        window = []  # (value, flat index ih*W + iw), row by row
        for kh, kw in np.ndindex(KH, KW):
            ih = oh * SH - PH + kh * DH
            iw = ow * SW - PW + kw * DW
            if 0 <= ih < H and 0 <= iw < W:
                window.append((x[n, c, ih, iw], ih * W + iw))
        nan_indices = [i for v, i in window if np.isnan(v)]
        if nan_indices:
            y[n, c, oh, ow], indices[n, c, oh, ow] = np.nan, nan_indices[-1]
        elif window:
            best = max(v for v, _ in window)
            first = next(i for v, i in window if v == best)
            y[n, c, oh, ow], indices[n, c, oh, ow] = best, first
        else:
            y[n, c, oh, ow], indices[n, c, oh, ow] = -np.inf, -1
    return y, indices


def max_pool2d_backward(dy, indices, x_shape):
    """y[o] = x[indices[o]], so dx[indices[o]] += dy[o] for every output o."""
    dy = np.asarray(dy, dtype=np.float64)
    W = x_shape[3]
    dx = np.zeros(x_shape)
    for n, c, oh, ow in np.ndindex(dy.shape):
        i = indices[n, c, oh, ow]
        if i >= 0:
            dx[n, c, i // W, i % W] += dy[n, c, oh, ow]
    return dx


def _avg_window(o, kernel, stride, padding, size):
    """Window o's positions on the padded axis (cut at its end), and those inside the input."""
    start = o * stride - padding
    padded = [start + k for k in range(kernel) if start + k < size + padding]
    return padded, [i for i in padded if 0 <= i < size]


def _avg_divisor(rows_padded, cols_padded, rows, cols, count_include_pad, divisor_override):
    """The override if given; else count padding zeros too, or only the input elements."""
    if divisor_override is not None:
        return divisor_override
    if count_include_pad:
        return len(rows_padded) * len(cols_padded)
    return len(rows) * len(cols)


def avg_pool2d_forward(
    x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
):
    """Sum each window's input elements and divide by torch's divisor."""
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    OH = _pool_windows(H, KH, SH, PH, 1, ceil_mode)
    OW = _pool_windows(W, KW, SW, PW, 1, ceil_mode)
    y = np.zeros((N, C, OH, OW))
    for n, c, oh, ow in np.ndindex(N, C, OH, OW):
        rows_padded, rows = _avg_window(oh, KH, SH, PH, H)
        cols_padded, cols = _avg_window(ow, KW, SW, PW, W)
        divisor = _avg_divisor(
            rows_padded, cols_padded, rows, cols, count_include_pad, divisor_override
        )
        for ih in rows:
            for iw in cols:
                y[n, c, oh, ow] += x[n, c, ih, iw] / divisor
    return y


def avg_pool2d_backward(
    dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
):
    """Each input element of window o has d y[o] / d x = 1 / divisor."""
    dy = np.asarray(dy, dtype=np.float64)
    N, C, H, W = x_shape
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    dx = np.zeros(x_shape)
    for n, c, oh, ow in np.ndindex(dy.shape):
        rows_padded, rows = _avg_window(oh, KH, SH, PH, H)
        cols_padded, cols = _avg_window(ow, KW, SW, PW, W)
        divisor = _avg_divisor(
            rows_padded, cols_padded, rows, cols, count_include_pad, divisor_override
        )
        for ih in rows:
            for iw in cols:
                dx[n, c, ih, iw] += dy[n, c, oh, ow] / divisor
    return dx


def _adaptive_window(o, size, out_size):
    """Input positions floor(o * size / out_size) .. ceil((o + 1) * size / out_size) - 1."""
    return range(int(np.floor(o * size / out_size)), int(np.ceil((o + 1) * size / out_size)))


def adaptive_avg_pool2d_forward(x, output_size):
    """Mean of each adaptive window."""
    x = np.asarray(x, dtype=np.float64)
    N, C, H, W = x.shape
    OH, OW = output_size
    y = np.zeros((N, C, OH, OW))
    for n, c, oh, ow in np.ndindex(N, C, OH, OW):
        rows, cols = _adaptive_window(oh, H, OH), _adaptive_window(ow, W, OW)
        for ih in rows:
            for iw in cols:
                y[n, c, oh, ow] += x[n, c, ih, iw] / (len(rows) * len(cols))
    return y


def adaptive_avg_pool2d_backward(dy, x_shape):
    """Each input element of window o has d y[o] / d x = 1 / (window size)."""
    dy = np.asarray(dy, dtype=np.float64)
    N, C, H, W = x_shape
    OH, OW = dy.shape[2:]
    dx = np.zeros(x_shape)
    for n, c, oh, ow in np.ndindex(dy.shape):
        rows, cols = _adaptive_window(oh, H, OH), _adaptive_window(ow, W, OW)
        for ih in rows:
            for iw in cols:
                dx[n, c, ih, iw] += dy[n, c, oh, ow] / (len(rows) * len(cols))
    return dx


def _lrn_window(c, size):
    """Channels c - size//2 .. c + (size-1)//2 (the caller skips those outside [0, C))."""
    return range(c - size // 2, c + (size - 1) // 2 + 1)


def local_response_norm_forward(x, size, alpha, beta, k):
    """scale = k + alpha/size * (sum of x^2 over the channel window); y = x * scale^-beta."""
    x = np.asarray(x, dtype=np.float64)
    C = x.shape[1]
    y = np.empty_like(x)
    scale = np.empty_like(x)
    for n, c, h, w in np.ndindex(x.shape):
        squares = sum(x[n, c2, h, w] ** 2 for c2 in _lrn_window(c, size) if 0 <= c2 < C)
        scale[n, c, h, w] = k + alpha / size * squares
        y[n, c, h, w] = x[n, c, h, w] * scale[n, c, h, w] ** -beta
    return y, scale


def local_response_norm_backward(dy, x, y, scale, size, alpha, beta):
    """dx_j = sum over c of dy_c * d y_c / d x_j, all at the same (n, h, w).

    With y_c = x_c * scale_c^-beta and scale_c = k + alpha/size * sum_{c' in window(c)} x_c'^2:
        d y_c / d x_j = [c == j] * scale_c^-beta
                        + x_c * (-beta) * scale_c^(-beta-1) * d scale_c / d x_j,
        d scale_c / d x_j = 2 * alpha/size * x_j if j is in window(c), else 0.
    y is not needed: everything is recomputed from x and scale.
    """
    dy, x, scale = (np.asarray(a, dtype=np.float64) for a in (dy, x, scale))
    C = x.shape[1]
    dx = np.zeros_like(x)
    for n, j, h, w in np.ndindex(x.shape):
        for c in range(C):
            dyc_dxj = scale[n, c, h, w] ** -beta if c == j else 0.0
            if j in _lrn_window(c, size):
                dscale_dxj = 2 * alpha / size * x[n, j, h, w]
                dyc_dxj += x[n, c, h, w] * -beta * scale[n, c, h, w] ** (-beta - 1) * dscale_dxj
            dx[n, j, h, w] += dy[n, c, h, w] * dyc_dxj
    return dx


def _channel_values(a, c):
    """The N*H*W values of channel c of a (N, C, H, W) array, in (n, h, w) order."""
    return a[:, c].ravel()


def batch_norm_train_forward(x, weight, bias, eps):
    """mean and biased var of each channel, then y = (x - mean) / sqrt(var + eps) * w + b."""
    x, weight, bias = (np.asarray(a, dtype=np.float64) for a in (x, weight, bias))
    N, C, H, W = x.shape
    M = N * H * W
    y = np.empty_like(x)
    mean, var, invstd = np.empty(C), np.empty(C), np.empty(C)
    for c in range(C):
        values = _channel_values(x, c)
        mean[c] = sum(values) / M
        var[c] = sum((v - mean[c]) ** 2 for v in values) / M
        invstd[c] = 1 / np.sqrt(var[c] + eps)
        for n, h, w in np.ndindex(N, H, W):
            y[n, c, h, w] = (x[n, c, h, w] - mean[c]) * invstd[c] * weight[c] + bias[c]
    return y, mean, var, invstd


def batch_norm_eval_forward(x, running_mean, running_var, weight, bias, eps):
    """y = (x - running_mean) / sqrt(running_var + eps) * weight + bias, per channel."""
    x, running_mean, running_var, weight, bias = (
        np.asarray(a, dtype=np.float64) for a in (x, running_mean, running_var, weight, bias)
    )
    y = np.empty_like(x)
    for n, c, h, w in np.ndindex(x.shape):
        x_hat = (x[n, c, h, w] - running_mean[c]) / np.sqrt(running_var[c] + eps)
        y[n, c, h, w] = x_hat * weight[c] + bias[c]
    return y


def batch_norm_train_backward(dy, x, mean, invstd, weight):
    """dx_i = sum over j of dy_j * d y_j / d x_i, over the M = N*H*W values of a channel.

    With y_j = weight * (x_j - mean) * invstd + bias, mean = sum(x) / M,
    var = sum((x - mean)^2) / M and invstd = (var + eps)^(-1/2):
        d mean / d x_i   = 1 / M
        d var / d x_i    = 2 / M * sum_j (x_j - mean) * ([i == j] - 1/M)
        d invstd / d x_i = -1/2 * invstd^3 * d var / d x_i
        d y_j / d x_i    = weight * (([i == j] - 1/M) * invstd + (x_j - mean) * d invstd / d x_i)
    """
    dy, x, mean, invstd, weight = (
        np.asarray(a, dtype=np.float64) for a in (dy, x, mean, invstd, weight)
    )
    N, C, H, W = x.shape
    M = N * H * W
    dx = np.empty((N, C, H, W))
    dweight, dbias = np.empty(C), np.empty(C)
    for c in range(C):
        xs, g = _channel_values(x, c), _channel_values(dy, c)
        mu, s, wc = mean[c], invstd[c], weight[c]
        grads = np.empty(M)
        for i in range(M):
            dvar_dxi = 2 / M * sum((xs[j] - mu) * ((i == j) - 1 / M) for j in range(M))
            dinvstd_dxi = -0.5 * s**3 * dvar_dxi
            grads[i] = sum(
                g[j] * wc * (((i == j) - 1 / M) * s + (xs[j] - mu) * dinvstd_dxi) for j in range(M)
            )
        dx[:, c] = grads.reshape(N, H, W)
        dweight[c] = sum(g[j] * (xs[j] - mu) * s for j in range(M))
        dbias[c] = sum(g)
    return dx, dweight, dbias


def batch_norm_eval_backward(dy, x, running_mean, running_var, weight, eps):
    """y is affine in x per channel: d y / d x = weight / sqrt(running_var + eps)."""
    dy, x, running_mean, running_var, weight = (
        np.asarray(a, dtype=np.float64) for a in (dy, x, running_mean, running_var, weight)
    )
    C = x.shape[1]
    dx = np.empty_like(x)
    dweight, dbias = np.zeros(C), np.zeros(C)
    for n, c, h, w in np.ndindex(x.shape):
        s = 1 / np.sqrt(running_var[c] + eps)
        dx[n, c, h, w] = dy[n, c, h, w] * weight[c] * s
        dweight[c] += dy[n, c, h, w] * (x[n, c, h, w] - running_mean[c]) * s
        dbias[c] += dy[n, c, h, w]
    return dx, dweight, dbias


def relu_forward(x):
    """y = 0 where x < 0, else x (so a NaN passes through)."""
    y = np.array(x, dtype=np.float64)
    for i in np.ndindex(y.shape):
        if y[i] < 0:
            y[i] = 0.0
    return y


def relu_backward(dy, y):
    """d y / d x = 1 where y > 0, else 0 (also at x = 0)."""
    dy = np.asarray(dy, dtype=np.float64)
    dx = np.zeros_like(dy)
    for i in np.ndindex(dy.shape):
        if y[i] > 0:
            dx[i] = dy[i]
    return dx
