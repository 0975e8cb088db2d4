"""Dropout (Srivastava et al., 2014), inverted: the kept units are scaled at training time.

Each element is kept with probability 1 - p and scaled by 1 / (1 - p), so the expected
value of y equals x and evaluation needs no rescaling:

    mask = (u >= p) / (1 - p),  u uniform in [0, 1), one draw per element
    y    = x * mask

The draws come from the generator the caller passes (tinycnn's seeded one), in the dtype
of x, so every kernel set draws the same numbers and a seed gives the same result.
"""


def dropout_forward(x, p, generator):
    """Zero each element with probability p, scale the rest by 1 / (1 - p).

    Args:
        x: input array. p: the drop probability, 0 < p < 1.
        generator: a `numpy.random.Generator`.

    Returns:
        y and mask, both of x's shape and dtype.
    """
    keep = generator.random(x.shape, dtype=x.dtype) >= p  # True with probability 1 - p
    mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - p))
    return x * mask, mask


def dropout_backward(dy, mask):
    """y = x * mask, so dx = dy * mask."""
    return dy * mask
