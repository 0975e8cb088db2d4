"""Max pooling: the largest value of each window, and where it came from.

Gather the window's KH*KW taps of every output pixel (one strided slice of the padded
input per tap, as im2col does), then take the maximum over the taps:

    y[n, c, oh, ow] = max over (kh, kw) of x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]

The padding never wins (it holds -inf). torch's conventions, which the backward pass and
the tests rely on:
- ties: the first tap in row-major (kh, kw) order wins;
- a NaN in the window wins, and the last NaN in that order gives the index;
- a window lying wholly on padding (possible with dilation) gives -inf and index -1.
"""

import numpy as np

from tinycnn.kernels.textbook.pooled_size import padding_after, pooled_output_size


def _window_taps(x, kernel_size, stride, padding, dilation, ceil_mode):
    """The values and flat input indices of every tap of every window.

    Returns:
        values: (KH*KW, N, C, OH, OW), -inf on padding.
        where: (KH*KW, 1, 1, OH, OW) int64, the flat index ih*W + iw of each tap's input
            pixel in its plane, -1 on padding.
    """
    N, C, H, W = x.shape
    (KH, KW), (SH, SW), (PH, PW), (DH, DW) = kernel_size, stride, padding, dilation
    OH = pooled_output_size(H, KH, SH, PH, DH, ceil_mode)
    OW = pooled_output_size(W, KW, SW, PW, DW, ceil_mode)
    after = (padding_after(H, KH, SH, PH, DH, OH), padding_after(W, KW, SW, PW, DW, OW))
    pads = ((0, 0), (0, 0), (PH, after[0]), (PW, after[1]))
    x_padded = np.pad(x, pads, constant_values=-np.inf)
    oh, ow = np.arange(OH)[:, np.newaxis], np.arange(OW)  # OH x 1, OW
    values, where = [], []
    for kh in range(KH):
        for kw in range(KW):
            rows = slice(kh * DH, kh * DH + SH * (OH - 1) + 1, SH)
            cols = slice(kw * DW, kw * DW + SW * (OW - 1) + 1, SW)
            values.append(x_padded[:, :, rows, cols])  # N x C x OH x OW
            ih, iw = oh * SH - PH + kh * DH, ow * SW - PW + kw * DW  # OH x 1, OW
            inside = (0 <= ih) & (ih < H) & (0 <= iw) & (iw < W)  # OH x OW
            where.append(np.where(inside, ih * W + iw, -1))  # OH x OW
    return np.stack(values), np.stack(where)[:, np.newaxis, np.newaxis]


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
    """Max pooling, with the index of each maximum.

    Args:
        x: input array.
        kernel_size, stride, padding, dilation: (KH, KW), (SH, SW), (PH, PW), (DH, DW).
        ceil_mode: round the number of windows up instead of down.
        return_indices: also return where each maximum came from.

    Returns:
        y, and (when return_indices) indices: int64, the flat index ih*W + iw of each
        maximum within its (n, c) plane, -1 for a window wholly on padding.

    Shape:
        x: (N, C, H, W); y, indices: (N, C, OH, OW) with
        OH = floor_or_ceil((H + 2*PH - DH*(KH-1) - 1) / SH) + 1, OW likewise.
    """
    values, where = _window_taps(x, kernel_size, stride, padding, dilation, ceil_mode)
    T = values.shape[0]  # taps per window, KH*KW
    inside = where >= 0  # T x 1 x 1 x OH x OW
    is_nan = np.isnan(values)  # T x N x C x OH x OW
    numbers = np.where(is_nan, -np.inf, values)
    best = numbers.max(axis=0)  # N x C x OH x OW
    # The first tap holding the maximum; padding holds -inf too, so it must be inside.
    is_best = inside & ~is_nan & (numbers == best)
    first_best = is_best.argmax(axis=0)
    last_nan = T - 1 - is_nan[::-1].argmax(axis=0)
    has_nan = is_nan.any(axis=0)
    y = np.where(has_nan, np.nan, best).astype(x.dtype)
    if not return_indices:
        return y
    tap = np.where(has_nan, last_nan, first_best)[np.newaxis]  # 1 x N x C x OH x OW
    where = np.broadcast_to(where, values.shape)
    indices = np.take_along_axis(where, tap, axis=0)[0]
    indices[~has_nan & ~is_best.any(axis=0)] = -1  # no input element in the window
    return y, indices


def max_pool2d_backward(dy, indices, x_shape):
    """Gradient of max pooling: each dy element goes to the input element that won.

        dx[n, c, i // W, i % W] += dy[n, c, oh, ow]   with i = indices[n, c, oh, ow] >= 0

    Args:
        dy: gradient of the loss with respect to y.
        indices: from max_pool2d_forward.
        x_shape: (N, C, H, W).

    Returns:
        dx, of dy's dtype; overlapping windows with the same winner add up.

    Shape:
        dy, indices: (N, C, OH, OW); dx: (N, C, H, W).
    """
    N, C, H, W = x_shape
    dx = np.zeros(N * C * H * W, dtype=dy.dtype)  # all planes one after another
    plane_start = np.arange(N * C).reshape(N, C, 1, 1) * (H * W)  # N x C x 1 x 1
    won = indices >= 0  # windows that have an input element
    # add.at, not `dx[...] += dy`: one input element may win several windows.
    np.add.at(dx, (plane_start + indices)[won], dy[won])
    return dx.reshape(x_shape)
