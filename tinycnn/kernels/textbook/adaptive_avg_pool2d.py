"""Adaptive average pooling: windows chosen so that the output has a given size.

Output row oh averages input rows floor(oh*H/OH) .. ceil((oh+1)*H/OH) - 1 (torch's rule),
columns likewise; when OH does not divide H, neighbouring windows overlap or differ in size.
"""

import numpy as np


def _window(o, size, out_size):
    """The input positions [start, end) of output position o along one axis."""
    start = (o * size) // out_size
    end = -(-((o + 1) * size) // out_size)  # ceil division
    return slice(start, end)


def adaptive_avg_pool2d_forward(x, output_size):
    """Mean of each adaptive window.

        y[n, c, oh, ow] = mean of x[n, c, rows(oh), cols(ow)]

    Args:
        x: input array.
        output_size: (OH, OW).

    Returns:
        y, of x's dtype.

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW).
    """
    N, C, H, W = x.shape
    OH, OW = output_size
    y = np.empty((N, C, OH, OW), dtype=x.dtype)
    for oh in range(OH):
        for ow in range(OW):
            window = x[:, :, _window(oh, H, OH), _window(ow, W, OW)]  # N x C x h x w
            y[:, :, oh, ow] = window.mean(axis=(2, 3))
    return y


def adaptive_avg_pool2d_backward(dy, x_shape):
    """Gradient: each window shares dy / (its size) among its pixels.

    Args:
        dy: gradient of the loss with respect to y.
        x_shape: (N, C, H, W).

    Returns:
        dx, of dy's dtype.

    Shape:
        dy: (N, C, OH, OW); dx: (N, C, H, W).
    """
    H, W = x_shape[2:]
    OH, OW = dy.shape[2:]
    dx = np.zeros(x_shape, dtype=dy.dtype)
    for oh in range(OH):
        for ow in range(OW):
            rows, cols = _window(oh, H, OH), _window(ow, W, OW)
            count = (rows.stop - rows.start) * (cols.stop - cols.start)
            dx[:, :, rows, cols] += (dy[:, :, oh, ow] / dy.dtype.type(count))[:, :, None, None]
    return dx
