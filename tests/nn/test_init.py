"""nn.init: torch's gains and formulas, checked through the statistics of the draws.

Tolerances come from the sample size n: a sample mean is within 5 standard errors
(std / sqrt(n)) of the true mean, a normal sample's std within 5 * std / sqrt(2 n), and a
uniform sample's std within 5 * b / sqrt(15 n) for U(-b, b). The extremes of n uniform
draws reach within 1% of the bounds unless an event of probability (0.995)**n happens.
"""

import math

import numpy as np
import pytest

from tinycnn.nn import init
from tinycnn.nn.parameter import Parameter
from tinycnn.rng import manual_seed


def weight(*shape):
    return Parameter(np.empty(shape, dtype=np.float32))


def assert_uniform(array, bound):
    n = array.size
    assert np.abs(array).max() <= bound
    assert array.max() > 0.99 * bound and array.min() < -0.99 * bound
    assert abs(array.mean()) < 5 * (bound / math.sqrt(3)) / math.sqrt(n)
    assert abs(array.std() - bound / math.sqrt(3)) < 5 * bound / math.sqrt(15 * n)


def assert_normal(array, mean, std):
    n = array.size
    assert abs(array.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(array.std() - std) < 5 * std / math.sqrt(2 * n)


@pytest.mark.parametrize(
    "name, param, gain",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, 2**0.5),
        ("leaky_relu", None, (2 / (1 + 0.01**2)) ** 0.5),
        ("leaky_relu", 0.2, (2 / 1.04) ** 0.5),
        ("leaky_relu", 5**0.5, (1 / 3) ** 0.5),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="calculate_gain: nonlinearity must be a supported name"):
        init.calculate_gain("swish")
    with pytest.raises(TypeError, match="negative_slope must be a number, got str"):
        init.calculate_gain("leaky_relu", "0.1")


def test_uniform_and_normal_fill_in_place_and_return_the_tensor():
    w = weight(200, 100)
    array = w.data
    assert init.uniform_(w, -0.5, 0.5) is w
    assert w.data is array and w.dtype == np.float32
    assert_uniform(w.data, 0.5)
    init.uniform_(w, 2.0, 3.0)
    assert w.data.min() >= 2.0 and w.data.max() <= 3.0
    assert init.normal_(w, mean=1.5, std=0.2) is w
    assert w.data is array
    assert_normal(w.data, 1.5, 0.2)


def test_constant_zeros_ones():
    w = weight(3, 4)
    np.testing.assert_array_equal(init.constant_(w, 0.25).data, np.full((3, 4), 0.25))
    np.testing.assert_array_equal(init.zeros_(w).data, np.zeros((3, 4)))
    np.testing.assert_array_equal(init.ones_(w).data, np.ones((3, 4)))


def test_xavier_uniform_and_normal_use_fan_in_plus_fan_out():
    w = weight(64, 32, 3, 3)  # fan_in 288, fan_out 576
    init.xavier_uniform_(w, gain=2.0)
    assert_uniform(w.data, 2.0 * math.sqrt(6 / (288 + 576)))
    init.xavier_normal_(w)
    assert_normal(w.data, 0.0, math.sqrt(2 / (288 + 576)))


@pytest.mark.parametrize("mode, fan", [("fan_in", 32 * 9), ("fan_out", 64 * 9)])
def test_kaiming_uniform_and_normal_for_relu(mode, fan):
    w = weight(64, 32, 3, 3)
    init.kaiming_uniform_(w, mode=mode, nonlinearity="relu")
    assert_uniform(w.data, math.sqrt(6 / fan))
    init.kaiming_normal_(w, mode=mode, nonlinearity="relu")
    assert_normal(w.data, 0.0, math.sqrt(2 / fan))


def test_kaiming_uniform_defaults_are_leaky_relu_with_slope_zero():
    w = weight(128, 300)
    init.kaiming_uniform_(w)
    assert_uniform(w.data, math.sqrt(6 / 300))
    init.kaiming_uniform_(w, a=math.sqrt(5))  # torch's Linear/Conv default: 1/sqrt(fan_in)
    assert_uniform(w.data, 1 / math.sqrt(300))


def test_trunc_normal_stays_in_bounds_with_the_truncated_moments():
    def pdf(x):
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    def cdf(x):
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    w = weight(200, 200)
    init.trunc_normal_(w)  # N(0, 1) on [-2, 2]
    mass = cdf(2) - cdf(-2)
    std = math.sqrt(1 - 2 * 2 * pdf(2) / mass)
    assert w.data.min() >= -2 and w.data.max() <= 2
    assert w.data.min() < -1.95 and w.data.max() > 1.95
    assert_normal(w.data, 0.0, std)

    init.trunc_normal_(w, mean=1.0, std=0.5, a=1.0, b=2.5)  # a one-sided cut at the mean
    alpha, beta = 0.0, 3.0
    mass = cdf(beta) - cdf(alpha)
    mean = 1.0 + 0.5 * (pdf(alpha) - pdf(beta)) / mass
    var = (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / mass - ((pdf(alpha) - pdf(beta)) / mass) ** 2
    )
    assert w.data.min() >= 1.0 and w.data.max() <= 2.5
    assert_normal(w.data, mean, 0.5 * math.sqrt(var))


def test_trunc_normal_errors():
    w = weight(4, 4)
    with pytest.raises(ValueError, match="trunc_normal_: a must be < b, got a=1, b=1"):
        init.trunc_normal_(w, a=1, b=1)
    with pytest.raises(ValueError, match="trunc_normal_: std must be > 0, got 0"):
        init.trunc_normal_(w, std=0)
    with pytest.raises(NotImplementedError, match=r"\[a, b\] must hold at least 1%"):
        init.trunc_normal_(w, a=5.0, b=6.0)


def test_draws_are_reproducible_under_manual_seed():
    fills = [
        lambda w: init.uniform_(w),
        lambda w: init.normal_(w),
        lambda w: init.trunc_normal_(w),
        lambda w: init.xavier_uniform_(w),
        lambda w: init.xavier_normal_(w),
        lambda w: init.kaiming_uniform_(w),
        lambda w: init.kaiming_normal_(w),
    ]
    for fill in fills:
        manual_seed(123)
        first = fill(weight(8, 8)).data
        second = fill(weight(8, 8)).data
        manual_seed(123)
        np.testing.assert_array_equal(fill(weight(8, 8)).data, first)
        assert not np.array_equal(first, second)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: init.uniform_(np.zeros(3)), TypeError, "uniform_: tensor must be a Tensor"),
        (lambda: init.uniform_(weight(3), 1, 0), ValueError, "uniform_: a must be <= b"),
        (lambda: init.normal_(weight(3), std=-1), ValueError, "normal_: std must be >= 0"),
        (lambda: init.xavier_uniform_(weight(5)), ValueError, "at least 2 dimensions"),
        (lambda: init.kaiming_normal_(weight(2, 2), mode="in"), ValueError, "mode must be"),
    ],
)
def test_init_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
