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
