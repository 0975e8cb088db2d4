"""The cases the pooling exercises share.

A case is (x_shape, kernel_size, stride, padding, ceil_mode, dtype), with (H, W) pairs and
padding at most half the kernel, as torch allows. Dilation is 1 throughout (no classic
network dilates its pooling).
"""

import numpy as np
from hypothesis import strategies as st

F64, F32 = np.float64, np.float32

EDGE_CASES = [
    ((1, 1, 2, 2), (2, 2), (2, 2), (0, 0), False, F64),  # one window
    ((1, 2, 4, 6), (2, 2), (2, 2), (0, 0), False, F64),  # SmallCNN's 2x2, stride 2
    ((2, 1, 5, 5), (3, 3), (1, 1), (0, 0), False, F64),  # overlapping windows
    ((1, 1, 5, 5), (3, 3), (2, 2), (1, 1), False, F64),  # padding, stride 2
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), False, F64),  # 1x1
    ((1, 1, 5, 7), (3, 2), (2, 3), (1, 0), False, F64),  # unequal H and W
    ((1, 2, 6, 6), (3, 3), (2, 2), (0, 0), True, F64),  # ceil mode: a window hangs off
    ((2, 3, 6, 6), (3, 3), (2, 2), (1, 1), False, F32),  # float32 stays float32
]


@st.composite
def drawn_case(draw):
    """A small case with any kernel, stride, padding (<= kernel // 2) and ceil mode."""
    axes = []
    for _ in range(2):
        K = draw(st.integers(1, 4))
        P = draw(st.integers(0, K // 2))
        size = draw(st.integers(max(1, K - 2 * P), 7))
        axes.append((size, K, draw(st.integers(1, 3)), P))
    (H, KH, SH, PH), (W, KW, SW, PW) = axes
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), H, W)
    return shape, (KH, KW), (SH, SW), (PH, PW), draw(st.booleans()), F64


def describe(case):
    x_shape, kernel, stride, padding, ceil_mode, dtype = case
    return (
        f"x (N, C, H, W) = {x_shape}, kernel_size (KH, KW) = {kernel}, stride (SH, SW) = "
        f"{stride}, padding (PH, PW) = {padding}, ceil_mode = {ceil_mode}, "
        f"{np.dtype(dtype).name}"
    )


def input_array(case, seed=0):
    x_shape, *_, dtype = case
    return np.random.default_rng(seed).standard_normal(x_shape).astype(dtype)


def output_gradient(shape, dtype, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
