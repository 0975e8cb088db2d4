"""The rectified linear unit, y = max(x, 0), and its gradient.

Element-wise, so the kernels walk the arrays as flat sequences (`ravel` of a C-contiguous
array is a view) and run `prange` over elements.
"""

import numpy as np
from numba import prange

from tinycnn.kernels.runtime.threads import parallel_kernel


def relu_forward(x):
    """y = max(x, 0) element-wise; a NaN stays NaN, as in torch.

    Args:
        x: input array of any shape.

    Returns:
        y, a fresh array of x's shape and dtype.
    """
    y = np.empty(x.shape, dtype=x.dtype)  # C-contiguous, so y.ravel() is a view
    _relu_forward_loop(x.ravel(), y.ravel(), work=x.size)
    return y


@parallel_kernel
def _relu_forward_loop(x, y):
    """Fill the flat y in place.

    for each i, in parallel:
        y[i] = 0 if x[i] < 0 else x[i]
    """
    zero = x.dtype.type(0)
    for i in prange(x.size):  # each iteration writes only y[i]
        # `x < 0` is False for NaN, so a NaN passes through.
        y[i] = zero if x[i] < 0 else x[i]


def relu_backward(dy, y):
    """Gradient of relu: dy where the output is positive, else 0.

    Uses the output y rather than the input: y > 0 exactly where x > 0. At x = 0 the
    gradient is 0, as in torch.

    Args:
        dy: gradient of the loss with respect to y.
        y: the forward's output.

    Returns:
        dx, a fresh array of dy's shape and dtype.
    """
    dx = np.empty(dy.shape, dtype=dy.dtype)  # C-contiguous, so dx.ravel() is a view
    _relu_backward_loop(dy.ravel(), y.ravel(), dx.ravel(), work=dy.size)
    return dx


@parallel_kernel
def _relu_backward_loop(dy, y, dx):
    """Fill the flat dx in place.

    for each i, in parallel:
        dx[i] = dy[i] if y[i] > 0 else 0
    """
    zero = dy.dtype.type(0)
    for i in prange(dy.size):  # each iteration writes only dx[i]
        dx[i] = dy[i] if y[i] > 0 else zero
