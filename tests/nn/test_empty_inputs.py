"""Inputs with no elements give empty results, as torch's do (checked with torch 2.13),
and gradients of the right shapes: zeros, or sums over nothing."""

import numpy as np
import pytest

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F


def empty(*shape):
    return tinycnn.tensor(np.zeros(shape, np.float32), requires_grad=True)


@pytest.mark.parametrize(
    "fn, shape",
    [
        (lambda x: F.local_response_norm(x, 2), (0, 3, 2, 2)),
        (lambda x: F.local_response_norm(x, 2), (2, 0, 2, 2)),
        (lambda x: F.local_response_norm(x, 3), (0, 3, 2)),
        (lambda x: F.log_softmax(x, 1), (5, 0, 0)),
        (lambda x: F.softmax(x, 0), (0, 4)),
        (lambda x: F.batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32)), (0, 3)),
        (lambda x: F.cross_entropy(x, np.zeros(0, np.int64), reduction="none"), (0, 3)),
    ],
)
def test_empty_in_empty_out_with_a_gradient_of_the_input_shape(fn, shape):
    x = empty(*shape)
    y = fn(x)
    assert y.numel() == 0
    y.sum().backward()
    assert x.grad.shape == shape


def test_linear_with_no_input_features():
    x, weight, bias = empty(3, 0), empty(4, 0), empty(4)
    y = F.linear(x, weight, bias)
    assert y.shape == (3, 4)
    y.sum().backward()
    assert x.grad.shape == (3, 0) and weight.grad.shape == (4, 0)
    np.testing.assert_array_equal(bias.grad, [3.0] * 4)  # y = b on each of 3 rows


def test_batchnorm2d_training_on_an_empty_batch_leaves_the_statistics_alone():
    bn = nn.BatchNorm2d(5)
    x = empty(0, 5, 2, 2)
    y = bn(x)
    assert y.shape == (0, 5, 2, 2)
    y.sum().backward()
    np.testing.assert_array_equal(bn.weight.grad, np.zeros(5))  # a sum over no elements
    np.testing.assert_array_equal(bn.bias.grad, np.zeros(5))
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(5))
    np.testing.assert_array_equal(bn.running_var.data, np.ones(5))
    assert int(bn.num_batches_tracked.data) == 1  # torch counts the step too
