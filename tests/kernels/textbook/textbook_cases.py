"""What the textbook-kernel tests share: drawn geometries, random arrays, |terms| scales."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.kernels import reference

DTYPES = st.sampled_from([np.float32, np.float64])
SEEDS = st.integers(0, 2**32 - 1)


def random_array(seed, shape, dtype, integers=False):
    """Normal values, or small integers (many ties) when integers is True."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-2, 3, shape) if integers else rng.standard_normal(shape)
    return values.astype(dtype)


@st.composite
def conv_case(draw):
    """(x_shape, w_shape, stride, padding, dilation, groups) with a kernel that fits."""
    G = draw(st.integers(1, 2))
    C, OC = G * draw(st.integers(1, 2)), G * draw(st.integers(1, 2))
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = (KH, KW)
    smallest = [max(1, dilation[i] * (kernel[i] - 1) + 1 - 2 * padding[i]) for i in (0, 1)]
    H = draw(st.integers(smallest[0], smallest[0] + 4))
    W = draw(st.integers(smallest[1], smallest[1] + 4))
    N = draw(st.integers(1, 2))
    return (N, C, H, W), (OC, C // G, KH, KW), stride, padding, dilation, G


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
