"""The fast dropout kernel: the textbook formula on the generator's draws, through F.dropout."""

import numpy as np
import pytest

import tinycnn
import tinycnn.nn.functional as F
from tinycnn.kernels.dropout import dropout_backward, dropout_forward


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_keeps_where_the_draw_is_at_least_p_and_scales_by_one_over_keep(dtype):
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(dtype)
    p = 0.3
    y, mask = dropout_forward(x, p, np.random.default_rng(5))
    u = np.random.default_rng(5).random(x.shape, dtype=dtype)  # the same draws
    expected_mask = (u >= p).astype(dtype) * dtype(1 / (1 - p))
    assert y.dtype == mask.dtype == dtype
    np.testing.assert_array_equal(mask, expected_mask)
    np.testing.assert_array_equal(y, x * expected_mask)
    dy = np.ones_like(x)
    np.testing.assert_array_equal(dropout_backward(dy, mask), expected_mask)


def test_functional_dropout_draws_from_the_seeded_generator():
    x = tinycnn.tensor(np.ones((4, 6), np.float32), requires_grad=True)
    tinycnn.manual_seed(11)
    y = F.dropout(x, p=0.5)
    u = np.random.default_rng(11).random((4, 6), dtype=np.float32)
    np.testing.assert_array_equal(y.data, np.where(u >= 0.5, np.float32(2), np.float32(0)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # dy = 1, so dx = mask = y / x
