"""Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

    mask = (u >= p) * (1 / (1 - p)),  u = generator.random(x.shape, dtype=x.dtype)
    y    = x * mask

The uniform draws u are turned into the mask in their own memory, so the forward pass
allocates two arrays of x's size (the mask and y), not four (u, the comparison, the
scaled mask and y). The numbers drawn and the mask are those of the textbook formula, so
a seed gives the same result in every kernel set.
"""

import numpy as np


def dropout_forward(x, p, generator):
    """Dropout of x with drop probability p, drawing from generator.

    Args:
        x: input array.
        p: the probability of zeroing an element, 0 < p < 1 (the caller handles 0 and 1).
        generator: the `numpy.random.Generator` to draw from.

    Returns:
        y and mask, both of x's shape and dtype.
    """
    mask = generator.random(x.shape, dtype=x.dtype)  # u, uniform in [0, 1)
    keep = mask >= p  # True with probability 1 - p
    np.copyto(mask, keep)  # u's memory now holds 1.0 where kept, 0.0 elsewhere
    mask *= x.dtype.type(1 / (1 - p))
    return x * mask, mask


def dropout_backward(dy, mask):
    """y = x * mask, so dx = dy * mask."""
    return dy * mask
