"""What the textbook-kernel tests share: pooling geometries, random arrays, |terms| scales."""

import numpy as np
from hypothesis import strategies as st
from strategies import float_dtypes, seeds

from tinycnn.kernels import reference

DTYPES = float_dtypes
SEEDS = seeds


def random_array(seed, shape, dtype, integers=False):
    """Normal values, or small integers (many ties) when integers is True."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-2, 3, shape) if integers else rng.standard_normal(shape)
    return values.astype(dtype)


@st.composite
def axis_geometry(draw, dilated):
    """(size, K, S, P, D) along one axis, with P <= K // 2 and a kernel that fits."""
    K = draw(st.integers(1, 4))
    S = draw(st.integers(1, 4))
    P = draw(st.integers(0, K // 2))
    D = draw(st.integers(1, 3)) if dilated else 1
    smallest = max(1, D * (K - 1) + 1 - 2 * P)
    size = draw(st.integers(smallest, smallest + 5))
    return size, K, S, P, D


@st.composite
def pool_case(draw, dilated=True):
    """x_shape, the (KH, KW), (SH, SW), (PH, PW), (DH, DW) pairs, and ceil_mode."""
    rows, cols = draw(axis_geometry(dilated)), draw(axis_geometry(dilated))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), rows[0], cols[0])
    geometry = tuple((rows[i], cols[i]) for i in range(1, 5))
    return shape, geometry, draw(st.booleans())


def conv_scales(x, w, dy, stride, padding, dilation, groups):
    """The largest sum of |terms| of the forward and of both backwards: rounding scales
    with these, not with results that may nearly cancel."""
    x, w, dy = np.abs(x), np.abs(w), np.abs(dy)
    geometry = (stride, padding, dilation, groups)
    forward = reference.conv2d_forward(x, w, None, *geometry).max()
    backward_input = reference.conv2d_backward_input(dy, w, x.shape, *geometry).max()
    backward_weight = reference.conv2d_backward_weight(dy, x, w.shape, *geometry).max()
    return forward, backward_input, backward_weight
