"""What the textbook-kernel tests share: pooling geometries, random arrays, |terms| scales."""

import numpy as np
from strategies import float_dtypes, seeds

from tinycnn.kernels import reference

DTYPES = float_dtypes
SEEDS = seeds


def conv_scales(x, w, dy, stride, padding, dilation, groups):
    """The largest sum of |terms| of the forward and of both backwards: rounding scales
    with these, not with results that may nearly cancel."""
    x, w, dy = np.abs(x), np.abs(w), np.abs(dy)
    geometry = (stride, padding, dilation, groups)
    forward = reference.conv2d_forward(x, w, None, *geometry).max()
    backward_input = reference.conv2d_backward_input(dy, w, x.shape, *geometry).max()
    backward_weight = reference.conv2d_backward_weight(dy, x, w.shape, *geometry).max()
    return forward, backward_input, backward_weight
