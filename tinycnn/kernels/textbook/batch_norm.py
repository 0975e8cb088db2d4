"""Batch normalization (Ioffe & Szegedy, 2015), per channel over the N, H, W axes.

Training mode normalizes with the batch's own statistics (the paper's Algorithm 1):

    mean_c = 1/M * sum of x[:, c]                      M = N*H*W values per channel
    var_c  = 1/M * sum of (x[:, c] - mean_c)^2          (biased)
    x_hat  = (x - mean_c) / sqrt(var_c + eps)
    y      = weight_c * x_hat + bias_c

Evaluation mode uses the running statistics instead (updated by the caller). weight and
bias are arrays; an affine-free layer passes ones and zeros.
"""

import numpy as np

CHANNEL_AXES = (0, 2, 3)  # every axis but C


def _per_channel(v):
    """A (C,) vector shaped (1, C, 1, 1), to broadcast over (N, C, H, W)."""
    return v.reshape(1, -1, 1, 1)


def _channel_sum(a):
    """The sum of each channel of a, in float64: shape (C,).

    A channel holds N*H*W values (200,704 after ResNet's first convolution at batch 16);
    a float32 sum of so many loses digits, so the sum runs in float64.
    """
    return a.sum(axis=CHANNEL_AXES, dtype=np.float64)


def batch_norm_train_forward(x, weight, bias, eps):
    """Batch normalization with the batch's statistics.

    Args:
        x: input array. weight, bias: per-channel scale and shift. eps: added to var.

    Returns:
        y, and per channel mean, var (biased) and invstd = 1 / sqrt(var + eps).

    Shape:
        x, y: (N, C, H, W); weight, bias, mean, var, invstd: (C,).
    """
    M = x.size // x.shape[1]  # values per channel
    mean = (_channel_sum(x) / M).astype(x.dtype)  # C
    centered = x - _per_channel(mean)  # N x C x H x W
    var = (_channel_sum(centered * centered) / M).astype(x.dtype)  # C
    invstd = 1 / np.sqrt(var + x.dtype.type(eps))  # C
    x_hat = centered * _per_channel(invstd)
    y = _per_channel(weight) * x_hat + _per_channel(bias)
    return y, mean, var, invstd


def batch_norm_train_backward(dy, x, mean, invstd, weight):
    """Gradient of training-mode batch normalization.

    mean and var depend on every x of the channel, so the chain rule through them gives
    (with x_hat = (x - mean) * invstd):

        dbias_c   = sum of dy[:, c]
        dweight_c = sum of dy[:, c] * x_hat[:, c]
        dx        = weight_c * invstd_c * (dy - dbias_c / M - x_hat * dweight_c / M)

    Args:
        dy: gradient of the loss with respect to y. x: the forward's input.
        mean, invstd: from the forward. weight: the per-channel scale.

    Returns:
        dx, dweight, dbias; of x's dtype.

    Shape:
        dy, x, dx: (N, C, H, W); mean, invstd, weight, dweight, dbias: (C,).
    """
    M = x.size // x.shape[1]  # values per channel
    x_hat = (x - _per_channel(mean)) * _per_channel(invstd)
    dbias = _channel_sum(dy).astype(x.dtype)  # C
    dweight = _channel_sum(dy * x_hat).astype(x.dtype)  # C
    dx = _per_channel(weight * invstd) * (
        dy - _per_channel(dbias / M) - x_hat * _per_channel(dweight / M)
    )
    return dx, dweight, dbias


def batch_norm_eval_forward(x, running_mean, running_var, weight, bias, eps):
    """Batch normalization with fixed statistics: an affine map per channel.

        y = (x - running_mean_c) / sqrt(running_var_c + eps) * weight_c + bias_c

    Shape:
        x, y: (N, C, H, W); running_mean, running_var, weight, bias: (C,).
    """
    invstd = 1 / np.sqrt(running_var + x.dtype.type(eps))
    x_hat = (x - _per_channel(running_mean)) * _per_channel(invstd)
    return _per_channel(weight) * x_hat + _per_channel(bias)


def batch_norm_eval_backward(dy, x, running_mean, running_var, weight, eps):
    """Gradient of evaluation-mode batch normalization (the statistics are constants).

        dx        = dy * weight_c / sqrt(running_var_c + eps)
        dweight_c = sum of dy[:, c] * x_hat[:, c]
        dbias_c   = sum of dy[:, c]

    Returns:
        dx, dweight, dbias; of x's dtype.

    Shape:
        dy, x, dx: (N, C, H, W); the rest: (C,).
    """
    invstd = 1 / np.sqrt(running_var + x.dtype.type(eps))
    x_hat = (x - _per_channel(running_mean)) * _per_channel(invstd)
    dx = dy * _per_channel(weight * invstd)
    dweight = _channel_sum(dy * x_hat).astype(x.dtype)
    dbias = _channel_sum(dy).astype(x.dtype)
    return dx, dweight, dbias
