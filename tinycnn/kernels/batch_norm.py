"""Batch normalization over the N, H, W axes of each channel.

Training mode normalizes with the batch's own statistics,

    mean_c = mean of x[:, c], var_c = biased variance of x[:, c],
    invstd_c = 1 / sqrt(var_c + eps), x_hat = (x - mean_c) * invstd_c,
    y = weight_c * x_hat + bias_c;

evaluation mode uses the running statistics instead. The running-statistics update
(momentum, unbiased variance) belongs to the caller, which gets mean and var from here.

The kernels see each array as (N, C, H*W), so that every (n, c) plane is one contiguous
row, and run `prange` over channels. Per-channel sums accumulate in float64 even for
float32 input: a channel holds N*H*W values (200,704 after ResNet's first convolution for a
batch of 16: 16 x 112 x 112), and a float32 running sum of that many terms loses several
digits. The accumulators start as np.float64(0.0) rather than 0.0 because in plain Python
(NUMBA_DISABLE_JIT=1) NumPy would round `0.0 + float32` down to float32. The per-element
work stays in the input dtype.

The sums run in small helpers compiled with fastmath's `reassoc` flag, which lets LLVM
split one sum into several partial sums it adds at the end, in vector registers: a
plain float64 sum is one chain of dependent additions, and was the bottleneck of these
kernels. Only the order of the float64 additions changes;
NaN and infinity propagate as before (no `nnan`/`ninf` flags).
"""

import numpy as np
from numba import njit, prange

from tinycnn.kernels.runtime.threads import parallel_kernel


@njit(cache=True, fastmath={"reassoc"})
def _sum(values):
    """sum(values) in float64, of a 1-D array."""
    total = np.float64(0.0)
    for i in range(values.size):
        total += values[i]
    return total


@njit(cache=True, fastmath={"reassoc"})
def _sum_of_squared_deviations(values, center):
    """sum((values - center)^2) in float64, of a 1-D array; center is a float64."""
    total = np.float64(0.0)
    for i in range(values.size):
        deviation = values[i] - center
        total += deviation * deviation
    return total


@njit(cache=True, fastmath={"reassoc"})
def _sums_of_gradient(dy, x, center):
    """sum(dy) and sum(dy * (x - center)) in float64, of two 1-D arrays; center is a float64."""
    sum_dy = np.float64(0.0)
    sum_dy_centered = np.float64(0.0)
    for i in range(dy.size):
        g = np.float64(dy[i])
        sum_dy += g
        sum_dy_centered += g * (x[i] - center)
    return sum_dy, sum_dy_centered


def _planes(a):
    """a (N, C, H, W) as (N, C, H*W): a view of a C-contiguous array (else a copy)."""
    N, C, H, W = a.shape
    return a.reshape(N, C, H * W)


def _empty_gradients(x):
    """dx like x (C-contiguous, so _planes(dx) is a view), and dweight and dbias (C,), all
    of x's dtype, for a backward loop to fill."""
    C = x.shape[1]
    return np.empty(x.shape, dtype=x.dtype), np.empty(C, dtype=x.dtype), np.empty(C, dtype=x.dtype)


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
    y = np.empty(x.shape, dtype=x.dtype)  # C-contiguous, so _planes(y) is a view
    mean = np.empty(C, dtype=x.dtype)
    var = np.empty(C, dtype=x.dtype)
    invstd = np.empty(C, dtype=x.dtype)
    _batch_norm_train_forward_loop(
        _planes(x), weight, bias, eps, _planes(y), mean, var, invstd, work=x.size
    )
    return y, mean, var, invstd


@parallel_kernel
def _batch_norm_train_forward_loop(x, weight, bias, eps, y, mean, var, invstd):
    """Fill y, mean, var and invstd in place; x and y are (N, C, H*W).

    M = N * H * W
    for each channel c, in parallel:
        mean[c] = sum(x[:, c]) / M                      (float64 sum)
        var[c] = sum((x[:, c] - mean[c])^2) / M         (float64 sum, second pass)
        invstd[c] = 1 / sqrt(var[c] + eps)
        y[:, c] = (x[:, c] - mean[c]) * (weight[c] * invstd[c]) + bias[c]

    The three passes read channel c three times, but a channel is small enough to stay in
    the core's cache between them in the common case (ResNet at batch 8: 400 KB at most),
    so x comes from memory once.
    """
    N, C, HW = x.shape
    M = N * HW
    for c in prange(C):  # each iteration writes only channel c of y, mean, var, invstd
        total = np.float64(0.0)
        for n in range(N):
            total += _sum(x[n, c])
        mu = total / M
        squares = np.float64(0.0)
        for n in range(N):
            squares += _sum_of_squared_deviations(x[n, c], mu)
        sigma2 = squares / M
        mean[c] = mu
        var[c] = sigma2
        invstd[c] = 1.0 / np.sqrt(sigma2 + eps)
        m, g, b = mean[c], weight[c] * invstd[c], bias[c]
        for n in range(N):
            for i in range(HW):
                y[n, c, i] = (x[n, c, i] - m) * g + b


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
    y = np.empty(x.shape, dtype=x.dtype)  # C-contiguous, so _planes(y) is a view
    eps = x.dtype.type(eps)
    _batch_norm_eval_forward_loop(
        _planes(x), running_mean, running_var, weight, bias, eps, _planes(y), work=x.size
    )
    return y


@parallel_kernel
def _batch_norm_eval_forward_loop(x, running_mean, running_var, weight, bias, eps, y):
    """Fill y in place; x and y are (N, C, H*W).

    for each channel c, in parallel:
        y[:, c] = (x[:, c] - running_mean[c]) * weight[c] / sqrt(running_var[c] + eps) + bias[c]
    """
    N, C, HW = x.shape
    for c in prange(C):  # each iteration writes only channel c of y
        m, b = running_mean[c], bias[c]
        g = weight[c] / np.sqrt(running_var[c] + eps)
        for n in range(N):
            for i in range(HW):
                y[n, c, i] = (x[n, c, i] - m) * g + b


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
    dx, dweight, dbias = _empty_gradients(x)
    _batch_norm_train_backward_loop(
        _planes(dy), _planes(x), mean, invstd, weight, _planes(dx), dweight, dbias, work=x.size
    )
    return dx, dweight, dbias


@parallel_kernel
def _batch_norm_train_backward_loop(dy, x, mean, invstd, weight, dx, dweight, dbias):
    """Fill dx, dweight and dbias in place; dy, x and dx are (N, C, H*W).

    M = N * H * W
    for each channel c, in parallel:
        x_hat = (x[:, c] - mean[c]) * invstd[c]
        dbias[c] = sum(dy[:, c])                        (float64 sum)
        dweight[c] = sum(dy[:, c] * x_hat)              (float64 sum)
        dx[:, c] = weight[c] * invstd[c] * (dy[:, c] - dbias[c] / M - x_hat * dweight[c] / M)

    Two passes over channel c (the sums, then dx), the second one from the cache as in the
    forward.
    """
    N, C, HW = x.shape
    M = N * HW
    for c in prange(C):  # each iteration writes only channel c of dx, dweight, dbias
        m, s = mean[c], invstd[c]
        sum_dy = np.float64(0.0)
        sum_dy_centered = np.float64(0.0)  # sum(dy * (x - m)) = sum(dy * x_hat) / s
        for n in range(N):
            plane_dy, plane_dy_centered = _sums_of_gradient(dy[n, c], x[n, c], np.float64(m))
            sum_dy += plane_dy
            sum_dy_centered += plane_dy_centered
        sum_dy_xhat = sum_dy_centered * s
        dbias[c] = sum_dy
        dweight[c] = sum_dy_xhat
        mean_dy = x.dtype.type(sum_dy / M)
        mean_dy_xhat = x.dtype.type(sum_dy_xhat / M)
        g = weight[c] * s
        for n in range(N):
            for i in range(HW):
                x_hat = (x[n, c, i] - m) * s
                dx[n, c, i] = g * (dy[n, c, i] - mean_dy - x_hat * mean_dy_xhat)


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
    dx, dweight, dbias = _empty_gradients(x)
    eps = x.dtype.type(eps)
    _batch_norm_eval_backward_loop(
        _planes(dy), _planes(x), running_mean, running_var, weight, eps, _planes(dx),
        dweight, dbias, work=x.size,
    )  # fmt: skip
    return dx, dweight, dbias


@parallel_kernel
def _batch_norm_eval_backward_loop(
    dy, x, running_mean, running_var, weight, eps, dx, dweight, dbias
):
    """Fill dx, dweight and dbias in place; dy, x and dx are (N, C, H*W).

    for each channel c, in parallel:
        s = 1 / sqrt(running_var[c] + eps)
        dbias[c] = sum(dy[:, c])                                      (float64 sum)
        dweight[c] = sum(dy[:, c] * (x[:, c] - running_mean[c]) * s)  (float64 sum)
        dx[:, c] = dy[:, c] * weight[c] * s
    """
    N, C, HW = x.shape
    one = x.dtype.type(1)
    for c in prange(C):  # each iteration writes only channel c of dx, dweight, dbias
        m = running_mean[c]
        s = one / np.sqrt(running_var[c] + eps)
        g = weight[c] * s
        sum_dy = np.float64(0.0)
        sum_dy_centered = np.float64(0.0)  # sum(dy * (x - m))
        for n in range(N):
            plane_dy, plane_dy_centered = _sums_of_gradient(dy[n, c], x[n, c], np.float64(m))
            sum_dy += plane_dy
            sum_dy_centered += plane_dy_centered
            for i in range(HW):
                dx[n, c, i] = dy[n, c, i] * g
        dbias[c] = sum_dy
        dweight[c] = sum_dy_centered * s
