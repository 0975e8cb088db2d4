"""Batch normalization over the N, H, W axes of each channel.

Training mode normalizes with the batch's own statistics,

    mean_c = mean of x[:, c], var_c = biased variance of x[:, c],
    invstd_c = 1 / sqrt(var_c + eps), x_hat = (x - mean_c) * invstd_c,
    y = weight_c * x_hat + bias_c;

evaluation mode uses the running statistics instead. The running-statistics update
(momentum, unbiased variance) belongs to the caller, which gets mean and var from here.

The kernels run `prange` over channels. Per-channel sums accumulate in float64 even for
float32 input: a channel holds N*H*W values (200,704 after ResNet's first convolution for a
batch of 16: 16 x 112 x 112), and a float32 running sum of that many terms loses several
digits. The accumulators start as np.float64(0.0) rather than 0.0 because in plain Python
(NUMBA_DISABLE_JIT=1) NumPy would round `0.0 + float32` down to float32. The per-element
work stays in the input dtype.
"""

import numpy as np
from numba import prange

from tinycnn.kernels.threads import parallel_kernel


def batch_norm_train_forward(x, weight, bias, eps):
    """Batch normalization with the batch's statistics.

    Args:
        x: input array.
        weight, bias: per-channel scale and shift (ones and zeros when not affine).
        eps: added to the variance before the square root.

    Returns:
        y, and the per-channel mean, biased variance and invstd = 1 / sqrt(var + eps).

    Shape:
        x, y: (N, C, H, W); weight, bias, mean, var, invstd: (C,).
    """
    C = x.shape[1]
    y = np.empty_like(x)
    mean = np.empty(C, dtype=x.dtype)
    var = np.empty(C, dtype=x.dtype)
    invstd = np.empty(C, dtype=x.dtype)
    _batch_norm_train_forward_loop(x, weight, bias, eps, y, mean, var, invstd, work=x.size)
    return y, mean, var, invstd


@parallel_kernel
def _batch_norm_train_forward_loop(x, weight, bias, eps, y, mean, var, invstd):
    """Fill y, mean, var and invstd in place.

    M = N * H * W
    for each channel c, in parallel:
        mean[c] = sum(x[:, c]) / M                      (float64 sum)
        var[c] = sum((x[:, c] - mean[c])^2) / M         (float64 sum, second pass)
        invstd[c] = 1 / sqrt(var[c] + eps)
        y[:, c] = (x[:, c] - mean[c]) * (weight[c] * invstd[c]) + bias[c]
    """
    N, C, H, W = x.shape
    M = N * H * W
    for c in prange(C):  # each iteration writes only channel c of y, mean, var, invstd
        total = np.float64(0.0)
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    total += x[n, c, h, w]
        mu = total / M
        squares = np.float64(0.0)
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    d = x[n, c, h, w] - mu
                    squares += d * d
        sigma2 = squares / M
        mean[c] = mu
        var[c] = sigma2
        invstd[c] = 1.0 / np.sqrt(sigma2 + eps)
        m, g, b = mean[c], weight[c] * invstd[c], bias[c]
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    y[n, c, h, w] = (x[n, c, h, w] - m) * g + b


def batch_norm_eval_forward(x, running_mean, running_var, weight, bias, eps):
    """Batch normalization with fixed (running) statistics.

    Args:
        x: input array.
        running_mean, running_var: the statistics to normalize with.
        weight, bias: per-channel scale and shift.
        eps: added to the variance before the square root.

    Shape:
        x, y: (N, C, H, W); running_mean, running_var, weight, bias: (C,).
    """
    y = np.empty_like(x)
    eps = x.dtype.type(eps)
    _batch_norm_eval_forward_loop(x, running_mean, running_var, weight, bias, eps, y, work=x.size)
    return y


@parallel_kernel
def _batch_norm_eval_forward_loop(x, running_mean, running_var, weight, bias, eps, y):
    """Fill y in place.

    for each channel c, in parallel:
        y[:, c] = (x[:, c] - running_mean[c]) * weight[c] / sqrt(running_var[c] + eps) + bias[c]
    """
    N, C, H, W = x.shape
    for c in prange(C):  # each iteration writes only channel c of y
        m, b = running_mean[c], bias[c]
        g = weight[c] / np.sqrt(running_var[c] + eps)
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    y[n, c, h, w] = (x[n, c, h, w] - m) * g + b


def batch_norm_train_backward(dy, x, mean, invstd, weight):
    """Gradient of training-mode batch normalization.

    With x_hat = (x - mean) * invstd and M = N * H * W, the chain rule through mean and var
    (both depend on every x of the channel) collapses to

        dbias_c   = sum(dy[:, c])
        dweight_c = sum(dy[:, c] * x_hat[:, c])
        dx[:, c]  = weight_c * invstd_c * (dy[:, c] - dbias_c / M - x_hat[:, c] * dweight_c / M)

    Args:
        dy: gradient of the loss with respect to y.
        x: the forward's input.
        mean, invstd: as returned by `batch_norm_train_forward`.
        weight: per-channel scale.

    Returns:
        dx, dweight, dbias: fresh arrays of x's dtype.

    Shape:
        dy, x, dx: (N, C, H, W); mean, invstd, weight, dweight, dbias: (C,).
    """
    C = x.shape[1]
    dx = np.empty_like(x)
    dweight = np.empty(C, dtype=x.dtype)
    dbias = np.empty(C, dtype=x.dtype)
    _batch_norm_train_backward_loop(dy, x, mean, invstd, weight, dx, dweight, dbias, work=x.size)
    return dx, dweight, dbias


@parallel_kernel
def _batch_norm_train_backward_loop(dy, x, mean, invstd, weight, dx, dweight, dbias):
    """Fill dx, dweight and dbias in place.

    M = N * H * W
    for each channel c, in parallel:
        x_hat = (x[:, c] - mean[c]) * invstd[c]
        dbias[c] = sum(dy[:, c])                        (float64 sum)
        dweight[c] = sum(dy[:, c] * x_hat)              (float64 sum)
        dx[:, c] = weight[c] * invstd[c] * (dy[:, c] - dbias[c] / M - x_hat * dweight[c] / M)
    """
    N, C, H, W = x.shape
    M = N * H * W
    for c in prange(C):  # each iteration writes only channel c of dx, dweight, dbias
        m, s = mean[c], invstd[c]
        sum_dy = np.float64(0.0)
        sum_dy_xhat = np.float64(0.0)
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    sum_dy += dy[n, c, h, w]
                    sum_dy_xhat += dy[n, c, h, w] * ((x[n, c, h, w] - m) * s)
        dbias[c] = sum_dy
        dweight[c] = sum_dy_xhat
        mean_dy = x.dtype.type(sum_dy / M)
        mean_dy_xhat = x.dtype.type(sum_dy_xhat / M)
        g = weight[c] * s
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    x_hat = (x[n, c, h, w] - m) * s
                    dx[n, c, h, w] = g * (dy[n, c, h, w] - mean_dy - x_hat * mean_dy_xhat)


def batch_norm_eval_backward(dy, x, running_mean, running_var, weight, eps):
    """Gradient of evaluation-mode batch normalization.

    The statistics are constants here, so y is an affine map of x per channel:

        x_hat     = (x[:, c] - running_mean_c) / sqrt(running_var_c + eps)
        dx[:, c]  = dy[:, c] * weight_c / sqrt(running_var_c + eps)
        dweight_c = sum(dy[:, c] * x_hat)
        dbias_c   = sum(dy[:, c])

    Args:
        dy: gradient of the loss with respect to y.
        x: the forward's input.
        running_mean, running_var, weight, eps: as in the forward.

    Returns:
        dx, dweight, dbias: fresh arrays of x's dtype.

    Shape:
        dy, x, dx: (N, C, H, W); running_mean, running_var, weight, dweight, dbias: (C,).
    """
    C = x.shape[1]
    dx = np.empty_like(x)
    dweight = np.empty(C, dtype=x.dtype)
    dbias = np.empty(C, dtype=x.dtype)
    eps = x.dtype.type(eps)
    _batch_norm_eval_backward_loop(
        dy, x, running_mean, running_var, weight, eps, dx, dweight, dbias, work=x.size
    )
    return dx, dweight, dbias


@parallel_kernel
def _batch_norm_eval_backward_loop(
    dy, x, running_mean, running_var, weight, eps, dx, dweight, dbias
):
    """Fill dx, dweight and dbias in place.

    for each channel c, in parallel:
        s = 1 / sqrt(running_var[c] + eps)
        dbias[c] = sum(dy[:, c])                                      (float64 sum)
        dweight[c] = sum(dy[:, c] * (x[:, c] - running_mean[c]) * s)  (float64 sum)
        dx[:, c] = dy[:, c] * weight[c] * s
    """
    N, C, H, W = x.shape
    one = x.dtype.type(1)
    for c in prange(C):  # each iteration writes only channel c of dx, dweight, dbias
        m = running_mean[c]
        s = one / np.sqrt(running_var[c] + eps)
        g = weight[c] * s
        sum_dy = np.float64(0.0)
        sum_dy_xhat = np.float64(0.0)
        for n in range(N):
            for h in range(H):
                for w in range(W):
                    sum_dy += dy[n, c, h, w]
                    sum_dy_xhat += dy[n, c, h, w] * ((x[n, c, h, w] - m) * s)
                    dx[n, c, h, w] = dy[n, c, h, w] * g
        dbias[c] = sum_dy
        dweight[c] = sum_dy_xhat
