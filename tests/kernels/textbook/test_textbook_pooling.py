"""The textbook max, average and adaptive average pooling against the float64 loop oracles:
the same windows (ceil mode), ties, NaN and -1 conventions and divisors as the fast kernels."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from strategies import pool_cases, random_array
from textbook_cases import DTYPES, SEEDS
from tolerance import assert_close

from tinycnn.kernels import reference, textbook


@settings(max_examples=40, deadline=None)
@given(pool_cases(), DTYPES, st.booleans(), st.integers(0, 3), SEEDS)
@example(((1, 1, 3, 3), ((5, 5), (1, 1), (2, 2), (1, 1)), False), np.float32, False, 0, 0)
@example(((1, 2, 7, 6), ((2, 2), (5, 4), (1, 0), (1, 1)), True), np.float64, True, 2, 1)
@example(((1, 1, 2, 2), ((2, 2), (1, 1), (1, 1), (3, 3)), False), np.float64, False, 0, 3)
def test_max_pool2d_matches_oracle(case, dtype, integers, nans, seed):
    # Examples: kernel = padded input, ceil mode with stride > kernel and NaNs, and a
    # dilated window wholly on padding (-inf, index -1).
    shape, geometry, ceil_mode = case
    x = random_array(seed, shape, dtype, integers)
    x.ravel()[np.random.default_rng(seed).integers(0, x.size, nans)] = np.nan
    y, indices = textbook.max_pool2d_forward(x, *geometry, ceil_mode)
    y_ref, indices_ref = reference.max_pool2d_forward(x, *geometry, ceil_mode)
    assert y.dtype == dtype and indices.dtype == np.int64
    np.testing.assert_array_equal(y, y_ref.astype(dtype))  # picks, not sums: exact
    np.testing.assert_array_equal(indices, indices_ref)
    np.testing.assert_array_equal(
        textbook.max_pool2d_forward(x, *geometry, ceil_mode, return_indices=False), y
    )
    dy = random_array(seed + 1, y.shape, dtype)
    dx = textbook.max_pool2d_backward(dy, indices, x.shape)
    dx_ref = reference.max_pool2d_backward(dy, indices, x.shape)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max() * dy[0, 0].size)


@settings(max_examples=40, deadline=None)
@given(pool_cases(dilated=False), DTYPES, st.booleans(), st.sampled_from([None, 1, 4]), SEEDS)
@example(((1, 1, 5, 5), ((2, 2), (2, 2), (1, 1), (1, 1)), True), np.float32, True, None, 0)
@example(((2, 1, 4, 5), ((3, 1), (2, 3), (1, 0), (1, 1)), True), np.float64, False, None, 1)
@example(((1, 2, 5, 4), ((3, 3), (2, 1), (1, 1), (1, 1)), True), np.float64, True, 4, 2)
def test_avg_pool2d_matches_oracle(case, dtype, count_include_pad, divisor_override, seed):
    shape, (kernel, stride, padding, _), ceil_mode = case
    geometry = (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    x = random_array(seed, shape, dtype)
    y = textbook.avg_pool2d_forward(x, *geometry)
    assert_close(y, reference.avg_pool2d_forward(x, *geometry), dtype, np.abs(x).max())
    dy = random_array(seed + 1, y.shape, dtype)
    dx = textbook.avg_pool2d_backward(dy, shape, *geometry)
    dx_ref = reference.avg_pool2d_backward(dy, shape, *geometry)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max() * dy[0, 0].size)


@settings(max_examples=25, deadline=None)
@given(
    st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 7), st.integers(1, 7)),
    st.tuples(st.integers(1, 9), st.integers(1, 9)),
    DTYPES,
    SEEDS,
)
def test_adaptive_avg_pool2d_matches_oracle(shape, output_size, dtype, seed):
    # Output sizes above the input's make windows overlap and repeat.
    x = random_array(seed, shape, dtype)
    y = textbook.adaptive_avg_pool2d_forward(x, output_size)
    assert_close(y, reference.adaptive_avg_pool2d_forward(x, output_size), dtype, np.abs(x).max())
    dy = random_array(seed + 1, y.shape, dtype)
    dx = textbook.adaptive_avg_pool2d_backward(dy, shape)
    dx_ref = reference.adaptive_avg_pool2d_backward(dy, shape)
    assert_close(dx, dx_ref, dtype, np.abs(dy).max() * dy[0, 0].size)
