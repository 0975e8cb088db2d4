"""Local response normalization across channels (Krizhevsky et al., 2012), torch's formula.

Each activation is divided by a power of the summed squares of its neighbours in the
channel direction, at the same (n, h, w):

    scale[n, c] = k + alpha / size * sum over c' in window(c) of x[n, c']^2
    y[n, c]     = x[n, c] * scale[n, c] ** -beta

window(c) = c - size//2 .. c + (size-1)//2; channels outside [0, C) count as zeros.
"""

import numpy as np


def _channel_window_sums(a, before, after):
    """s[:, c] = a[:, c - before] + ... + a[:, c + after], zeros outside [0, C)."""
    C = a.shape[1]
    padded = np.pad(a, ((0, 0), (before, after), (0, 0), (0, 0)))  # N x C+before+after x H x W
    total = np.zeros_like(a)
    for shift in range(before + after + 1):
        total += padded[:, shift : shift + C]
    return total


def local_response_norm_forward(x, size, alpha, beta, k):
    """Local response normalization.

    Args:
        x: input array.
        size: channels in the window (the channel itself included).
        alpha, beta, k: the formula's constants.

    Returns:
        y, and scale (kept for the backward pass); both of x's dtype.

    Shape:
        x, y, scale: (N, C, H, W).
    """
    squares_sum = _channel_window_sums(x * x, size // 2, (size - 1) // 2)
    scale = k + alpha / size * squares_sum
    return x * scale**-beta, scale


def local_response_norm_backward(dy, x, y, scale, size, alpha, beta):
    """Gradient of local response normalization.

    x[j] reaches y[j] directly and y[c] through scale[c] for every c whose window holds j,
    that is c in j - (size-1)//2 .. j + size//2. The chain rule gives

        dx[j] = dy[j] * scale[j] ** -beta
                - 2 * alpha * beta / size * x[j] * sum over those c of dy[c] * y[c] / scale[c]

    Args:
        dy: gradient of the loss with respect to y.
        x, y, scale: the forward's input and outputs.
        size, alpha, beta: as in the forward.

    Returns:
        dx, of x's dtype.

    Shape:
        all arrays: (N, C, H, W).
    """
    ratio = dy * y / scale  # N x C x H x W
    ratio_sum = _channel_window_sums(ratio, (size - 1) // 2, size // 2)
    return dy * scale**-beta - 2 * alpha * beta / size * x * ratio_sum
