"""Batch normalization kernels against the float64 loop oracles."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import reference
from tinycnn.kernels.batch_norm import (
    batch_norm_eval_backward,
    batch_norm_eval_forward,
    batch_norm_train_backward,
    batch_norm_train_forward,
)


@st.composite
def batch_norm_case(draw):
    """x with a different mean and spread per channel, weight, bias, dy, eps, dtype."""
    sizes = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
    # Training needs at least 2 values per channel.
    N, C, H, W = draw(sizes.filter(lambda s: s[0] * s[2] * s[3] >= 2))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    loc = rng.uniform(-3, 3, (1, C, 1, 1))
    spread = rng.uniform(0.1, 5, (1, C, 1, 1))
    x = (loc + spread * rng.standard_normal((N, C, H, W))).astype(dtype)
    weight, bias = rng.standard_normal((2, C)).astype(dtype)
    dy = rng.standard_normal((N, C, H, W)).astype(dtype)
    return x, weight, bias, dy, eps, dtype


def channel_sum_scale(terms):
    """Largest per-channel sum of |terms|: the size that rounding in a channel sum scales with."""
    return np.abs(terms).sum(axis=(0, 2, 3)).max()


def assert_gradients_close(grads, expected, dy, x_hat, weight_times_invstd, dtype):
    """dx, dweight, dbias against the oracle's, each measured against the size of its terms.

    dx may nearly cancel: with two values per channel, training gives x_hat = +-1 (up to
    eps) whatever x is, so y hardly depends on x.
    """
    (dx, dweight, dbias), (dx_ref, dweight_ref, dbias_ref) = grads, expected
    # dx = weight * invstd * (dy - mean(dy) - x_hat * mean(dy * x_hat)), term by term.
    terms = np.abs(dy).max() * (2 + np.abs(x_hat).max() ** 2)
    dx_scale = np.abs(weight_times_invstd).max() * terms
    assert_close(dx, dx_ref, dtype, dx_scale)
    assert_close(dweight, dweight_ref, dtype, channel_sum_scale(dy * x_hat))
    assert_close(dbias, dbias_ref, dtype, channel_sum_scale(dy))


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(batch_norm_case())
def test_batch_norm_train_matches_oracle(build, case):
    x, weight, bias, dy, eps, dtype = case
    y, mean, var, invstd = batch_norm_train_forward(x, weight, bias, eps)
    y_ref, mean_ref, var_ref, invstd_ref = reference.batch_norm_train_forward(x, weight, bias, eps)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max())
    assert_close(mean, mean_ref, dtype, np.abs(x).max())  # the mean itself may be near 0
    assert_close(var, var_ref, dtype, var_ref.max())
    assert_close(invstd, invstd_ref, dtype, invstd_ref.max())

    grads = batch_norm_train_backward(dy, x, mean, invstd, weight)
    expected = reference.batch_norm_train_backward(dy, x, mean, invstd, weight)
    x_hat = (x - mean_ref[:, None, None]) * invstd_ref[:, None, None]
    assert_gradients_close(grads, expected, dy, x_hat, weight * invstd_ref, dtype)


# Evaluation mode accepts a single value per channel: batch of one, 1x1 plane, one channel.
SINGLE_VALUE_CASE = (np.full((1, 1, 1, 1), 2.0), np.ones(1), np.zeros(1), np.ones((1, 1, 1, 1)),
                     1e-5, np.float64)  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(batch_norm_case())
@example(SINGLE_VALUE_CASE)
def test_batch_norm_eval_matches_oracle(build, case):
    x, weight, bias, dy, eps, dtype = case
    C = x.shape[1]
    rng = np.random.default_rng(0)
    running_mean = rng.uniform(-3, 3, C).astype(dtype)
    running_var = rng.uniform(0.1, 5, C).astype(dtype)
    stats = (running_mean, running_var)

    y = batch_norm_eval_forward(x, *stats, weight, bias, eps)
    y_ref = reference.batch_norm_eval_forward(x, *stats, weight, bias, eps)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max())

    grads = batch_norm_eval_backward(dy, x, *stats, weight, eps)
    expected = reference.batch_norm_eval_backward(dy, x, *stats, weight, eps)
    invstd = 1 / np.sqrt(running_var.astype(np.float64) + eps)
    x_hat = (x - running_mean[:, None, None]) * invstd[:, None, None]
    assert_gradients_close(grads, expected, dy, x_hat, weight * invstd, dtype)


def test_batch_norm_float32_statistics_of_a_large_channel_are_accurate(build):
    # 180,000 values around 1000. Float32 running sums get the mean wrong in the 5th digit
    # and the variance in the 4th; the float64 sums keep both at float32 precision.
    rng = np.random.default_rng(0)
    x = (1000 + rng.standard_normal((2, 1, 300, 300))).astype(np.float32)
    weight, bias = np.ones(1, np.float32), np.zeros(1, np.float32)
    _, mean, var, _ = batch_norm_train_forward(x, weight, bias, 1e-5)
    exact = x.astype(np.float64)
    np.testing.assert_allclose(mean, exact.mean(), rtol=1e-7)
    np.testing.assert_allclose(var, exact.var(), rtol=1e-6)


def test_batch_norm_nan_in_a_channel_propagates_to_that_channel_only(build):
    # The channel sums are compiled with fastmath's reassoc flag only; NaN must survive it.
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 4)).astype(np.float32)
    x[1, 1, 2, 3] = np.nan
    weight, bias = np.ones(3, np.float32), np.zeros(3, np.float32)
    y, mean, var, _ = batch_norm_train_forward(x, weight, bias, 1e-5)
    assert np.isnan(mean[1]) and np.isnan(var[1]) and np.isnan(y[:, 1]).all()
    assert np.isfinite(y[:, [0, 2]]).all()
    dy = rng.standard_normal(x.shape).astype(np.float32)
    dx, dweight, dbias = batch_norm_train_backward(dy, x, mean, np.ones(3, np.float32), weight)
    assert np.isnan(dweight[1]) and np.isnan(dx[:, 1]).all()
    assert np.isfinite(dx[:, [0, 2]]).all() and np.isfinite(dbias).all()
