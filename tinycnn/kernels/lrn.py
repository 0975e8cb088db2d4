"""Local response normalization across channels (AlexNet), with torch's formula.

Each activation is divided by a power of the summed squares of its neighbours in the
channel direction, at the same (n, h, w):

    scale[n, c, h, w] = k + alpha / size * sum_{c' = c - size//2}^{c + (size-1)//2} x[n, c', h, w]^2
    y[n, c, h, w]     = x[n, c, h, w] * scale[n, c, h, w] ** -beta

Channels outside [0, C) count as zeros (torch pads with zeros, and still divides by
size). For odd sizes the window is centred; for even sizes it reaches one channel
further back than forward.
"""

import numpy as np
from numba import prange

from tinycnn.kernels.runtime.threads import parallel_kernel


def local_response_norm_forward(x, size, alpha, beta, k):
    """Local response normalization.

    Args:
        x: input array.
        size: number of neighbouring channels in the sum (the channel itself included).
        alpha, beta, k: the formula's constants (torch's defaults: 1e-4, 0.75, 1.0).

    Returns:
        y: the normalized input.
        scale: ``k + alpha/size * (window sum of x^2)``, kept for the backward pass.

    Shape:
        x, y, scale: (N, C, H, W).
    """
    dtype = x.dtype.type
    y = np.empty_like(x)
    scale = np.empty_like(x)
    _lrn_forward_loop(
        x, y, scale, size, dtype(alpha / size), dtype(beta), dtype(k), work=x.size * size
    )
    return y, scale


@parallel_kernel
def _lrn_forward_loop(x, y, scale, size, alpha_over_size, beta, k):
    """Fill y and scale in place.

    for each plane (n, c), in parallel:
        scale[n, c] = 0
        for c' in [c - size//2, c + (size-1)//2] clipped to [0, C):
            scale[n, c] += x[n, c']^2            (whole H x W planes)
        scale[n, c] = k + alpha/size * scale[n, c]
        y[n, c] = x[n, c] * scale[n, c] ** -beta
    """
    N, C, H, W = x.shape
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane
        n, c = plane // C, plane % C
        first = max(c - size // 2, 0)
        last = min(c + (size - 1) // 2, C - 1)
        scale[n, c] = 0
        for c2 in range(first, last + 1):
            for h in range(H):
                for w in range(W):
                    scale[n, c, h, w] += x[n, c2, h, w] * x[n, c2, h, w]
        for h in range(H):
            for w in range(W):
                scale[n, c, h, w] = k + alpha_over_size * scale[n, c, h, w]
                y[n, c, h, w] = x[n, c, h, w] * scale[n, c, h, w] ** -beta


def local_response_norm_backward(dy, x, y, scale, size, alpha, beta):
    """Gradient of local response normalization.

    x[n, j, h, w] reaches y directly, and through the scale of every channel c whose
    window holds j, that is c in [j - (size-1)//2, j + size//2]. By the chain rule

        dx_j = dy_j * scale_j ** -beta
               - 2 * alpha * beta / size * x_j * sum_{c whose window holds j} dy_c * y_c / scale_c

    where y_c / scale_c stands for x_c * scale_c ** (-beta - 1).

    Args:
        dy: gradient of the loss with respect to y.
        x, y, scale: the forward's input and its two outputs.
        size, alpha, beta: as in the forward (k is already inside scale).

    Returns:
        dx, a fresh array.

    Shape:
        all arrays: (N, C, H, W).
    """
    dtype = x.dtype.type
    dx = np.empty_like(x)
    ratio = np.empty_like(x)  # workspace for dy * y / scale
    coeff = dtype(2.0 * alpha * beta / size)
    _lrn_backward_loop(dy, x, y, scale, dx, ratio, size, coeff, dtype(beta), work=x.size * size)
    return dx


@parallel_kernel
def _lrn_backward_loop(dy, x, y, scale, dx, ratio, size, coeff, beta):
    """Fill dx in place, using ratio as a workspace.

    for each plane (n, c), in parallel:
        ratio[n, c] = dy[n, c] * y[n, c] / scale[n, c]
    for each plane (n, j), in parallel:
        dx[n, j] = 0
        for c in [j - (size-1)//2, j + size//2] clipped to [0, C):
            dx[n, j] += ratio[n, c]
        dx[n, j] = dy[n, j] * scale[n, j] ** -beta - coeff * x[n, j] * dx[n, j]
    """
    N, C, H, W = x.shape
    for plane in prange(N * C):  # each iteration writes only its own (n, c) plane of ratio
        n, c = plane // C, plane % C
        for h in range(H):
            for w in range(W):
                ratio[n, c, h, w] = dy[n, c, h, w] * y[n, c, h, w] / scale[n, c, h, w]
    for plane in prange(N * C):  # each iteration writes only its own (n, j) plane of dx
        n, j = plane // C, plane % C
        first = max(j - (size - 1) // 2, 0)
        last = min(j + size // 2, C - 1)
        dx[n, j] = 0
        for c in range(first, last + 1):
            for h in range(H):
                for w in range(W):
                    dx[n, j, h, w] += ratio[n, c, h, w]
        for h in range(H):
            for w in range(W):
                dx[n, j, h, w] = (
                    dy[n, j, h, w] * scale[n, j, h, w] ** -beta
                    - coeff * x[n, j, h, w] * dx[n, j, h, w]
                )
