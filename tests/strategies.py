"""Hypothesis strategies that more than one test file draws from."""

import numpy as np
from hypothesis import strategies as st

seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def window_axes(draw, max_kernel=3, max_size=7):
    """One spatial axis of a sliding window: (size, K, S, P, D), at least one position."""
    K = draw(st.integers(1, max_kernel))
    S = draw(st.integers(1, 3))
    P = draw(st.integers(0, 2))
    D = draw(st.integers(1, 2))
    span = D * (K - 1) + 1  # pixels covered by one window
    size = draw(st.integers(max(1, span - 2 * P), max_size))
    return size, K, S, P, D


@st.composite
def conv_cases(draw):
    """(N, C, OC, G, H, W, KH, KW, stride, padding, dilation), G dividing C and OC."""
    G = draw(st.sampled_from([1, 2, 3]))
    C = G * draw(st.integers(1, 2))
    OC = G * draw(st.integers(1, 2))
    N = draw(st.integers(1, 3))
    H, KH, SH, PH, DH = draw(window_axes())
    W, KW, SW, PW, DW = draw(window_axes())
    return N, C, OC, G, H, W, KH, KW, (SH, SW), (PH, PW), (DH, DW)


@st.composite
def pool_axes(draw, dilated=True):
    """(size, K, S, P, D) along one axis, with P <= K // 2 and a kernel that fits the padded
    input (the smallest size makes the kernel exactly as large as the padded input)."""
    K = draw(st.integers(1, 4))
    S = draw(st.integers(1, 5))
    P = draw(st.integers(0, K // 2))
    D = draw(st.integers(1, 3)) if dilated else 1
    smallest = max(1, D * (K - 1) + 1 - 2 * P)
    size = draw(st.integers(smallest, smallest + 6))
    return size, K, S, P, D


@st.composite
def pool_cases(draw, dilated=True):
    """x of shape (N, C, H, W), the (KH, KW), (SH, SW), (PH, PW), (DH, DW) tuples, ceil_mode."""
    rows = draw(pool_axes(dilated))
    cols = draw(pool_axes(dilated))
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    shape = (N, C, rows[0], cols[0])
    geometry = tuple((rows[i], cols[i]) for i in range(1, 5))
    return shape, geometry, draw(st.booleans())


def random_array(seed, shape, dtype, integers=False):
    """Normal values, or small integers (many ties) when integers is True."""
    rng = np.random.default_rng(seed)
    values = rng.integers(-2, 3, shape) if integers else rng.standard_normal(shape)
    return values.astype(dtype)
