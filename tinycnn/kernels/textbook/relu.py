"""The rectified linear unit (Nair & Hinton, 2010), y = max(x, 0), and its gradient."""

import numpy as np


def relu_forward(x):
    """y = x where x >= 0, else 0; a NaN stays NaN (x < 0 is False for it), as in torch.

    Shape:
        x, y: any shape, the same.
    """
    return np.where(x < 0, x.dtype.type(0), x)


def relu_backward(dy, y):
    """dx = dy where y > 0, else 0 (also at x = 0, as in torch).

    y > 0 exactly where x > 0, so the output is enough to know where the gradient passes.

    Shape:
        dy, y, dx: any shape, the same.
    """
    return np.where(y > 0, dy, dy.dtype.type(0))
