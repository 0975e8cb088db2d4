"""The textbook ReLU, dropout and SGD update: against the oracles, the fast kernels' draws
and the fast update."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import random_array
from textbook_cases import DTYPES, SEEDS
from tolerance import assert_close

from tinycnn.kernels import dropout, reference, sgd, textbook

SHAPES = st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5))


@settings(max_examples=20, deadline=None)
@given(SHAPES, DTYPES, SEEDS)
def test_relu_matches_oracle(shape, dtype, seed):
    x = random_array(seed, shape, dtype, integers=True)  # zeros included
    x.ravel()[0] = np.nan  # passes through, as in torch
    y = textbook.relu_forward(x)
    np.testing.assert_array_equal(y, reference.relu_forward(x).astype(dtype))
    dy = random_array(seed + 1, shape, dtype)
    dx = textbook.relu_backward(dy, y)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, reference.relu_backward(dy, y).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_draws_and_scales_as_the_fast_kernel(dtype, p):
    x = random_array(0, (4, 3, 5, 5), dtype)
    y, mask = textbook.dropout_forward(x, p, np.random.default_rng(7))
    y_fast, mask_fast = dropout.dropout_forward(x, p, np.random.default_rng(7))
    assert y.dtype == mask.dtype == dtype
    np.testing.assert_array_equal(mask, mask_fast)
    np.testing.assert_array_equal(y, y_fast)
    # The formula, by hand: the draws are u; kept where u >= p, scaled by 1 / (1 - p).
    u = np.random.default_rng(7).random(x.shape, dtype=dtype)
    np.testing.assert_allclose(mask, np.where(u >= p, 1 / (1 - p), 0), rtol=1e-6)
    dy = random_array(1, x.shape, dtype)
    np.testing.assert_array_equal(textbook.dropout_backward(dy, mask), dy * mask)


OPTIONS = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([0.1, 0.01]),
        "momentum": st.sampled_from([0.0, 0.9]),
        "dampening": st.sampled_from([0.0, 0.3]),
        "weight_decay": st.sampled_from([0.0, 1e-2]),
        "nesterov": st.booleans(),
        "maximize": st.booleans(),
        "first_step": st.booleans(),
    }
)


@settings(max_examples=30, deadline=None)
@given(OPTIONS, DTYPES, SEEDS)
def test_sgd_update_equals_the_fast_update(options, dtype, seed):
    # The fast loop does the same float operations in the same order (kernels/sgd.py), and
    # its own test holds it to the formulas; so here: equal to the last bit.
    param, grad, buffer = (random_array(seed + i, 50, dtype) for i in range(3))
    fast = [a.copy() for a in (param, grad, buffer)]
    textbook.sgd_update(param, grad, buffer, **options)
    sgd.sgd_update(*fast, **options)
    np.testing.assert_array_equal(param, fast[0])
    if options["momentum"] != 0:
        np.testing.assert_array_equal(buffer, fast[2])


def test_sgd_update_by_hand():
    # momentum 0.9, dampening 0, lr 0.1, second step: b = 0.9 * 1 + 2 = 2.9, p = 1 - 0.29
    param, grad, buffer = np.array([1.0]), np.array([2.0]), np.array([1.0])
    textbook.sgd_update(param, grad, buffer, 0.1, 0.9, 0.0, 0.0, False, False, False)
    assert_close(buffer, np.array([2.9]), np.float64, 1)
    assert_close(param, np.array([0.71]), np.float64, 1)
