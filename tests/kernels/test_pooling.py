"""Max, average and adaptive average pooling kernels against the float64 loop oracles."""

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import float_dtypes, pool_cases, random_array
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import pooling, reference
from tinycnn.kernels.pooling import (
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    pooled_output_size,
)

# ---------------------------------------------------------------------------- output size


def test_pooled_output_size_matches_sliding_windows():
    for size, K, S, D, ceil_mode in itertools.product(
        range(1, 12), range(1, 6), range(1, 7), range(1, 4), (False, True)
    ):
        for P in range(K // 2 + 1):
            expected = reference._pool_windows(size, K, S, P, D, ceil_mode)
            got = pooled_output_size(size, K, S, P, D, ceil_mode)
            # Where no window fits, the formula goes to 0 or below; the caller rejects those.
            assert max(got, 0) == expected


@pytest.mark.parametrize(
    "args, expected",
    [
        ((55, 3, 2, 0, 1, False), 27),  # AlexNet's max pools
        ((112, 3, 2, 1, 1, False), 56),  # ResNet's stem max pool
        ((112, 3, 2, 0, 1, True), 56),  # GoogLeNet's ceil-mode max pools ...
        ((112, 3, 2, 0, 1, False), 55),  # ... which floor mode would shrink
        ((5, 2, 2, 1, 1, True), 3),  # ceil mode: a window may start in the left padding,
        ((4, 2, 2, 1, 1, True), 3),  # but never in the right padding
        ((2, 3, 2, 0, 1, True), 1),  # ceil mode keeps a kernel wider than the input
    ],
)
def test_pooled_output_size_known_values(args, expected):
    assert pooled_output_size(*args) == expected


# ---------------------------------------------------------------------------------- max pool


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(pool_cases(), float_dtypes, st.booleans(), st.integers(0, 2**32 - 1))
@example(((1, 1, 3, 3), ((5, 5), (1, 1), (1, 1), (1, 1)), False), np.float32, False, 0)
@example(((1, 2, 7, 6), ((2, 2), (5, 4), (1, 0), (1, 1)), True), np.float64, False, 1)
@example(((2, 1, 4, 5), ((1, 1), (2, 3), (0, 0), (1, 1)), True), np.float32, False, 2)
@example(((1, 1, 2, 2), ((2, 2), (1, 1), (1, 1), (3, 3)), False), np.float64, False, 3)
def test_max_pool2d_matches_oracle(build, case, dtype, integers, seed):
    # Examples: kernel = padded input, stride > kernel, 1x1 kernel with ceil mode, and a
    # dilated window that lands only on padding.
    shape, geometry, ceil_mode = case
    x = random_array(seed, shape, dtype, integers)
    y, indices = max_pool2d_forward(x, *geometry, ceil_mode)
    y_ref, indices_ref = reference.max_pool2d_forward(x, *geometry, ceil_mode)
    assert_close(y, y_ref, dtype, np.abs(x).max())
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices, indices_ref)
    # The forward without indices (no gradient needed) is a kernel of its own.
    y_only = max_pool2d_forward(x, *geometry, ceil_mode, return_indices=False)
    assert_close(y_only, y_ref, dtype, np.abs(x).max())

    dy = random_array(seed + 1, y.shape, dtype)
    dx = max_pool2d_backward(dy, indices, x.shape)
    dx_ref = reference.max_pool2d_backward(dy, indices, x.shape)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max())


# Output rows of `pooling.SHORT_ROW` pixels or more take the row loop, shorter ones go pixel
# by pixel. The Hypothesis cases above are all short, so these are long: ties, a NaN, stride,
# ceil mode and dilation through the row loop.
LONG_ROWS = {
    "3x3 pad 1": ((2, 2, 5, 40), ((3, 3), (1, 1), (1, 1), (1, 1)), False),
    "3x3/2 ceil": ((1, 3, 6, 41), ((3, 3), (2, 2), (0, 0), (1, 1)), True),
    "dilated 2x3": ((1, 2, 7, 45), ((2, 3), (1, 2), (1, 1), (2, 2)), False),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", LONG_ROWS.values(), ids=LONG_ROWS.keys())
def test_max_pool2d_long_rows_match_oracle(build, case, dtype):
    shape, geometry, ceil_mode = case
    x = random_array(0, shape, dtype, integers=True)
    x[0, 0, 1, 3] = np.nan
    y, indices = max_pool2d_forward(x, *geometry, ceil_mode)
    assert y.shape[3] >= pooling.SHORT_ROW
    y_ref, indices_ref = reference.max_pool2d_forward(x, *geometry, ceil_mode)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(indices, indices_ref)
    y_only = max_pool2d_forward(x, *geometry, ceil_mode, return_indices=False)
    np.testing.assert_array_equal(y_only, y_ref)


def test_max_pool2d_ties_pick_the_first_in_scan_order(build):
    x = np.ones((1, 1, 4, 4), dtype=np.float32)
    _, indices = max_pool2d_forward(x, (3, 3), (1, 1), (1, 1), (1, 1), False)
    # The window of output (oh, ow) starts at input (oh - 1, ow - 1), clipped to the input.
    expected = [[max(oh - 1, 0) * 4 + max(ow - 1, 0) for ow in range(4)] for oh in range(4)]
    np.testing.assert_array_equal(indices[0, 0], expected)


def test_max_pool2d_nan_propagates_like_torch(build):
    # torch's scan lets every NaN take over, so the index is that of the last NaN.
    x = np.array([[[[1.0, np.nan, 5.0, np.nan, 2.0, 7.0]]]], dtype=np.float32)
    y, indices = max_pool2d_forward(x, (1, 5), (1, 1), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(y[0, 0, 0], [np.nan, np.nan])
    np.testing.assert_array_equal(indices[0, 0, 0], [3, 3])
    y_ref, indices_ref = reference.max_pool2d_forward(x, (1, 5), (1, 1), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(indices, indices_ref)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(pool_cases(), float_dtypes, st.integers(0, 2**32 - 1))
def test_max_pool2d_with_nan_and_inf_matches_oracle(build, case, dtype, seed):
    # A few NaN, +inf and -inf among small integers: NaN must win (the last NaN's index),
    # -inf must still be picked when a window holds nothing larger.
    shape, geometry, ceil_mode = case
    rng = np.random.default_rng(seed)
    x = random_array(seed, shape, dtype, integers=True)
    x[rng.random(shape) < 0.1] = np.nan
    x[rng.random(shape) < 0.1] = np.inf
    x[rng.random(shape) < 0.2] = -np.inf
    y, indices = max_pool2d_forward(x, *geometry, ceil_mode)
    y_ref, indices_ref = reference.max_pool2d_forward(x, *geometry, ceil_mode)
    np.testing.assert_array_equal(y, y_ref.astype(dtype))  # NaN equals NaN here
    np.testing.assert_array_equal(indices, indices_ref)
    y_only = max_pool2d_forward(x, *geometry, ceil_mode, return_indices=False)
    np.testing.assert_array_equal(y_only, y_ref.astype(dtype))


def test_max_pool2d_window_on_padding_only_gives_minus_inf_and_no_gradient(build):
    # Rows -1 and 2 of a 2-row input: the dilated 2x1 window misses both real rows.
    x = np.ones((1, 1, 2, 1), dtype=np.float64)
    y, indices = max_pool2d_forward(x, (2, 1), (1, 1), (1, 0), (3, 1), False)
    assert y.shape == (1, 1, 1, 1) and y[0, 0, 0, 0] == -np.inf
    assert indices[0, 0, 0, 0] == -1
    y_only = max_pool2d_forward(x, (2, 1), (1, 1), (1, 0), (3, 1), False, return_indices=False)
    np.testing.assert_array_equal(y_only, y)
    dx = max_pool2d_backward(np.ones_like(y), indices, x.shape)
    np.testing.assert_array_equal(dx, np.zeros_like(x))


# ------------------------------------------------------------------------------ average pool


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(pool_cases(dilated=False), float_dtypes, st.booleans(), st.integers(0, 2**32 - 1))
@example(((1, 1, 3, 3), ((5, 5), (1, 1), (1, 1), (1, 1)), False), np.float32, True, 0)
@example(((1, 2, 7, 6), ((2, 2), (5, 4), (1, 0), (1, 1)), True), np.float64, False, 1)
@example(((2, 1, 4, 5), ((1, 1), (2, 3), (0, 0), (1, 1)), True), np.float32, True, 2)
@example(((1, 1, 6, 6), ((3, 3), (2, 2), (1, 1), (1, 1)), True), np.float64, True, 3)
def test_avg_pool2d_matches_oracle(build, case, dtype, count_include_pad, seed):
    # Examples: kernel = padded input, stride > kernel, 1x1 kernel, ceil mode with the last
    # window hanging over the right padding (its divisor stops at the padding).
    shape, (kernel_size, stride, padding, _), ceil_mode = case
    geometry = (kernel_size, stride, padding, ceil_mode, count_include_pad)
    x = random_array(seed, shape, dtype)
    y = avg_pool2d_forward(x, *geometry)
    assert_close(y, reference.avg_pool2d_forward(x, *geometry), dtype, np.abs(x).max())

    dy = random_array(seed + 1, y.shape, dtype)
    dx = avg_pool2d_backward(dy, x.shape, *geometry)
    dx_ref = reference.avg_pool2d_backward(dy, x.shape, *geometry)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max())


def test_avg_pool2d_divisor_stops_at_the_padding(build):
    # H = W = 6, K = 3, S = 2, P = 1, ceil mode: 4 windows per axis starting at -1, 1, 3, 5.
    # The last covers row 5 and the padding row 6, and would reach row 7 beyond the padding:
    # torch's divisor counts 2 rows for it, not 3. On an input of ones the output is
    # (input elements in the window) / divisor, which shows the divisor used.
    x = np.ones((1, 1, 6, 6), dtype=np.float64)
    with_pad = avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1), True, True)[0, 0]
    without_pad = avg_pool2d_forward(x, (3, 3), (2, 2), (1, 1), True, False)[0, 0]
    inside = np.array([2, 3, 3, 1])  # input rows per window
    padded = np.array([3, 3, 3, 2])  # rows per window counting padding, cut at its end
    np.testing.assert_allclose(with_pad, np.outer(inside, inside) / np.outer(padded, padded))
    np.testing.assert_allclose(without_pad, np.ones((4, 4)))


# --------------------------------------------------------------------- adaptive average pool


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(1, 8), st.integers(1, 8)),
    st.integers(1, 10),
    st.integers(1, 10),
    float_dtypes,
    st.integers(0, 2**32 - 1),
)
@example((1, 1, 7, 5), 3, 2, np.float32, 0)  # output sizes not dividing the input
@example((1, 2, 3, 2), 5, 7, np.float64, 1)  # output larger than the input
@example((2, 1, 6, 6), 1, 1, np.float32, 2)  # global average pooling
def test_adaptive_avg_pool2d_matches_oracle(build, shape, OH, OW, dtype, seed):
    x = random_array(seed, shape, dtype)
    y = adaptive_avg_pool2d_forward(x, (OH, OW))
    y_ref = reference.adaptive_avg_pool2d_forward(x, (OH, OW))
    assert_close(y, y_ref, dtype, np.abs(x).max())

    dy = random_array(seed + 1, y.shape, dtype)
    dx = adaptive_avg_pool2d_backward(dy, x.shape)
    dx_ref = reference.adaptive_avg_pool2d_backward(dy, x.shape)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max())
