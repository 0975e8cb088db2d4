"""The textbook LRN and batch normalization against the float64 loop oracles."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import random_array
from textbook_cases import DTYPES, SEEDS
from tolerance import assert_close

from tinycnn.kernels import reference, textbook

SHAPES = st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(1, 7), DTYPES, SEEDS)
def test_local_response_norm_matches_oracle(shape, size, dtype, seed):
    alpha, beta, k = 0.5, 0.75, 2.0  # large alpha: the window sum matters
    x = random_array(seed, shape, dtype)
    y, scale = textbook.local_response_norm_forward(x, size, alpha, beta, k)
    y_ref, scale_ref = reference.local_response_norm_forward(x, size, alpha, beta, k)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max())
    assert_close(scale, scale_ref, dtype, scale_ref.max())
    dy = random_array(seed + 1, shape, dtype)
    dx = textbook.local_response_norm_backward(dy, x, y, scale, size, alpha, beta)
    dx_ref = reference.local_response_norm_backward(dy, x, y, scale, size, alpha, beta)
    # dx = (direct term) - (term through the neighbours' scales); the two may nearly cancel.
    direct = np.abs(dy * scale_ref**-beta).max()
    through_scale = 2 * alpha * beta * np.abs(x).max() * np.abs(dy * y_ref / scale_ref).max()
    assert_close(dx, dx_ref, dtype, direct + size * through_scale)


def channel_sum_scale(terms):
    """Largest per-channel sum of |terms|: the size that rounding in a channel sum scales with."""
    return np.abs(terms).sum(axis=(0, 2, 3)).max()


@settings(max_examples=25, deadline=None)
@given(SHAPES.filter(lambda s: s[0] * s[2] * s[3] > 1), DTYPES, SEEDS)
def test_batch_norm_training_matches_oracle(shape, dtype, seed):
    C = shape[1]
    x = random_array(seed, shape, dtype) * 3 + 1
    weight, bias = random_array(seed + 1, C, dtype), random_array(seed + 2, C, dtype)
    y, mean, var, invstd = textbook.batch_norm_train_forward(x, weight, bias, 1e-5)
    y_ref, mean_ref, var_ref, invstd_ref = reference.batch_norm_train_forward(x, weight, bias, 1e-5)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max())
    assert_close(mean, mean_ref, dtype, np.abs(x).max())
    assert_close(var, var_ref, dtype, var_ref.max())
    assert_close(invstd, invstd_ref, dtype, invstd_ref.max())

    dy = random_array(seed + 3, shape, dtype)
    dx, dweight, dbias = textbook.batch_norm_train_backward(dy, x, mean, invstd, weight)
    dx_ref, dweight_ref, dbias_ref = reference.batch_norm_train_backward(
        dy, x, mean, invstd, weight
    )
    x_hat = (x - mean_ref.reshape(1, -1, 1, 1)) * invstd_ref.reshape(1, -1, 1, 1)
    terms = np.abs(dy).max() + channel_sum_scale(dy) / x[:, 0].size * (1 + np.abs(x_hat).max())
    assert_close(dx, dx_ref, dtype, np.abs(weight * invstd_ref).max() * terms)
    assert_close(dweight, dweight_ref, dtype, channel_sum_scale(dy * x_hat))
    assert_close(dbias, dbias_ref, dtype, channel_sum_scale(dy))


@settings(max_examples=25, deadline=None)
@given(SHAPES, DTYPES, SEEDS)
def test_batch_norm_evaluation_matches_oracle(shape, dtype, seed):
    C = shape[1]
    x = random_array(seed, shape, dtype)
    mean, weight, bias = (random_array(seed + i, C, dtype) for i in (1, 2, 3))
    var = np.abs(random_array(seed + 4, C, dtype)) + dtype(0.5)
    y = textbook.batch_norm_eval_forward(x, mean, var, weight, bias, 1e-5)
    y_ref = reference.batch_norm_eval_forward(x, mean, var, weight, bias, 1e-5)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max() + np.abs(x).max() * 2)
    dy = random_array(seed + 5, shape, dtype)
    dx, dweight, dbias = textbook.batch_norm_eval_backward(dy, x, mean, var, weight, 1e-5)
    dx_ref, dweight_ref, dbias_ref = reference.batch_norm_eval_backward(
        dy, x, mean, var, weight, 1e-5
    )
    assert_close(dx, dx_ref, dtype, np.abs(dx_ref).max())
    x_hat_scale = (np.abs(x) + np.abs(mean).reshape(1, -1, 1, 1)) * 2
    assert_close(dweight, dweight_ref, dtype, channel_sum_scale(dy * x_hat_scale))
    assert_close(dbias, dbias_ref, dtype, channel_sum_scale(dy))
