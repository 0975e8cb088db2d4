"""Average pooling: the mean of each window, and its gradient.

    y[n, c, oh, ow] = (sum of the window's input pixels) / divisor

The window sums run one kernel tap at a time over the zero-padded input (as im2col
does). torch's divisor, per window:
- divisor_override, when given;
- else, with count_include_pad, the window's size counting the zero padding (a ceil-mode
  window hanging off the end of the padded input counts only its part on it);
- else the number of input pixels in the window.
"""

import numpy as np

from tinycnn.kernels.textbook.pooled_size import padding_after, pooled_output_size


def _geometry(x_shape, kernel_size, stride, padding, ceil_mode):
    """(OH, OW) and the padding (before, after) of each axis."""
    H, W = x_shape[2:]
    (KH, KW), (SH, SW), (PH, PW) = kernel_size, stride, padding
    OH = pooled_output_size(H, KH, SH, PH, 1, ceil_mode)
    OW = pooled_output_size(W, KW, SW, PW, 1, ceil_mode)
    pads = ((PH, padding_after(H, KH, SH, PH, 1, OH)), (PW, padding_after(W, KW, SW, PW, 1, OW)))
    return OH, OW, pads


def _window_lengths(out, size, kernel, stride, padding):
    """Along one axis, each window's length on the padded input and inside the input."""
    start = np.arange(out) * stride - padding  # first position, -P .. (padded axis from -P)
    end = np.minimum(start + kernel, size + padding)  # cut at the end of the padded axis
    return end - start, np.minimum(end, size) - np.maximum(start, 0)


def _divisors(x_shape, kernel_size, stride, padding, OH, OW, count_include_pad,
              divisor_override, dtype):  # fmt: skip
    """The divisor of every window, as an (OH, OW) array of `dtype`."""
    if divisor_override is not None:
        return np.full((OH, OW), divisor_override, dtype=dtype)
    H, W = x_shape[2:]
    padded_h, inside_h = _window_lengths(OH, H, kernel_size[0], stride[0], padding[0])
    padded_w, inside_w = _window_lengths(OW, W, kernel_size[1], stride[1], padding[1])
    if count_include_pad:
        return np.outer(padded_h, padded_w).astype(dtype)
    return np.outer(inside_h, inside_w).astype(dtype)


def _tap_slices(kh, kw, OH, OW, stride):
    """The rows and columns of the padded input that tap (kh, kw) of every window reads."""
    SH, SW = stride
    return slice(kh, kh + SH * (OH - 1) + 1, SH), slice(kw, kw + SW * (OW - 1) + 1, SW)


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override=None):  # fmt: skip
    """Average pooling.

    Args:
        x: input array.
        kernel_size, stride, padding: (KH, KW), (SH, SW), (PH, PW).
        ceil_mode: round the number of windows up instead of down.
        count_include_pad: count the zero padding in the divisor.
        divisor_override: if not None, the divisor of every window.

    Returns:
        y, of x's dtype.

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW) with OH = floor_or_ceil((H + 2*PH - KH) / SH) + 1.
    """
    N, C = x.shape[:2]
    OH, OW, pads = _geometry(x.shape, kernel_size, stride, padding, ceil_mode)
    x_padded = np.pad(x, ((0, 0), (0, 0), *pads))  # zeros around the image
    total = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for kh in range(kernel_size[0]):
        for kw in range(kernel_size[1]):
            total += x_padded[(..., *_tap_slices(kh, kw, OH, OW, stride))]  # N x C x OH x OW
    divisor = _divisors(x.shape, kernel_size, stride, padding, OH, OW, count_include_pad,
                        divisor_override, x.dtype)  # fmt: skip
    return total / divisor


def avg_pool2d_backward(dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override=None):  # fmt: skip
    """Gradient of average pooling: each window shares dy / divisor among its pixels.

        dx[n, c, ih, iw] = sum over the windows holding (ih, iw) of dy[n, c, oh, ow] / divisor

    Args:
        dy: gradient of the loss with respect to y.
        x_shape: (N, C, H, W). The rest: as in the forward.

    Returns:
        dx, of dy's dtype.

    Shape:
        dy: (N, C, OH, OW); dx: (N, C, H, W).
    """
    N, C, H, W = x_shape
    OH, OW, pads = _geometry(x_shape, kernel_size, stride, padding, ceil_mode)
    divisor = _divisors(x_shape, kernel_size, stride, padding, OH, OW, count_include_pad,
                        divisor_override, dy.dtype)  # fmt: skip
    share = dy / divisor  # N x C x OH x OW
    dx_padded = np.zeros((N, C, H + sum(pads[0]), W + sum(pads[1])), dtype=dy.dtype)
    for kh in range(kernel_size[0]):
        for kw in range(kernel_size[1]):
            # One tap never reads a pixel twice, so `+=` on the slice adds every share.
            dx_padded[(..., *_tap_slices(kh, kw, OH, OW, stride))] += share
    PH, PW = padding
    return dx_padded[:, :, PH : PH + H, PW : PW + W]
