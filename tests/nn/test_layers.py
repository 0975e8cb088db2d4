"""Layers: constructor attributes and errors, default init, output shapes, and forward
equal to the functional op (or to NumPy) with the layer's own parameters."""

import math

import numpy as np
import pytest

import tinycnn.nn.functional as F
from tinycnn.nn.activation import ReLU
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.dropout import Dropout
from tinycnn.nn.flatten import Flatten
from tinycnn.nn.linear import Identity, Linear
from tinycnn.nn.normalization import LocalResponseNorm
from tinycnn.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinycnn.rng import manual_seed
from tinycnn.tensor import tensor


def random_input(*shape, seed=0):
    return tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def out_size(size, kernel, stride, padding, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


# ------------------------------------------------------------------ Conv2d
def test_conv2d_stores_tuples_and_shapes_its_parameters():
    conv = Conv2d(4, 6, (3, 5), stride=2, padding=(1, 2), dilation=(1, 2), groups=2)
    assert conv.kernel_size == (3, 5)
    assert conv.stride == (2, 2)
    assert conv.padding == (1, 2)
    assert conv.dilation == (1, 2)
    assert (conv.in_channels, conv.out_channels, conv.groups) == (4, 6, 2)
    assert conv.weight.shape == (6, 2, 3, 5) and conv.weight.dtype == np.float32
    assert conv.bias.shape == (6,) and conv.bias.dtype == np.float32
    assert conv.weight.requires_grad and conv.bias.requires_grad
    no_bias = Conv2d(4, 6, 3, bias=False)
    assert no_bias.bias is None
    assert [name for name, _ in no_bias.named_parameters()] == ["weight"]


@pytest.mark.parametrize(
    "kernel, stride, padding, dilation, groups",
    [(3, 1, 1, 1, 1), (5, 2, 0, 1, 1), ((3, 1), (2, 1), (1, 0), (2, 1), 3), (1, 1, 0, 1, 1)],
)
def test_conv2d_forward_matches_functional_and_the_size_formula(
    kernel, stride, padding, dilation, groups
):
    conv = Conv2d(6, 9, kernel, stride, padding, dilation, groups)
    x = random_input(2, 6, 11, 10)
    y = conv(x)
    KH, KW = conv.kernel_size
    SH, SW = conv.stride
    PH, PW = conv.padding
    DH, DW = conv.dilation
    assert y.shape == (2, 9, out_size(11, KH, SH, PH, DH), out_size(10, KW, SW, PW, DW))
    expected = F.conv2d(x, conv.weight, conv.bias, stride, padding, dilation, groups)
    np.testing.assert_array_equal(y.data, expected.data)


def test_conv2d_same_and_valid_padding():
    x = random_input(1, 2, 7, 8)
    same = Conv2d(2, 3, (4, 3), padding="same")
    assert same.padding == "same"
    assert same(x).shape == (1, 3, 7, 8)
    np.testing.assert_array_equal(
        same(x).data, F.conv2d(x, same.weight, same.bias, padding="same").data
    )
    assert Conv2d(2, 3, 3, padding="valid")(x).shape == (1, 3, 5, 6)


def test_conv2d_default_init_is_uniform_within_one_over_sqrt_fan_in():
    manual_seed(0)
    conv = Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 3 * 3)
    w, b = conv.weight.data, conv.bias.data
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # 4608 uniform draws: the extremes come within 1% of the bounds (P(fail) < 1e-19)
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    assert abs(b).max() > 0.5 * bound  # 32 draws: P(all inside half) = 2**-32


def test_conv2d_reset_parameters_redraws_reproducibly():
    manual_seed(1)
    conv = Conv2d(2, 2, 3)
    first = conv.weight.data.copy()
    weight_array = conv.weight.data
    conv.reset_parameters()
    assert not np.array_equal(conv.weight.data, first)
    manual_seed(1)
    conv.reset_parameters()
    np.testing.assert_array_equal(conv.weight.data, first)
    assert conv.weight.data is weight_array  # in place


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (
            (4, 6, 3),
            {"groups": 4},
            ValueError,
            "groups must divide in_channels=4 and out_channels=6",
        ),
        ((3, 6, 3), {"groups": 2}, ValueError, "groups must divide in_channels=3"),
        ((0, 6, 3), {}, ValueError, "Conv2d: in_channels must be >= 1, got 0"),
        ((4, -1, 3), {}, ValueError, "Conv2d: out_channels must be >= 1, got -1"),
        ((4, 6, 0), {}, ValueError, r"Conv2d: kernel_size must be >= 1, got \(0, 0\)"),
        ((4, 6, 2.5), {}, TypeError, "Conv2d: kernel_size must be an int or a pair of ints"),
        ((4.0, 6, 3), {}, TypeError, "Conv2d: in_channels must be an int, got 4.0"),
        ((4, 6, 3), {"groups": 0}, ValueError, "Conv2d: groups must be >= 1, got 0"),
        ((4, 6, 3), {"stride": 0}, ValueError, r"Conv2d: stride must be >= 1, got \(0, 0\)"),
    ],
)
def test_conv2d_constructor_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        Conv2d(*args, **kwargs)


def test_conv2d_repr_shows_non_default_options_like_torch():
    assert repr(Conv2d(3, 64, 11, stride=4, padding=2)) == (
        "Conv2d(3, 64, kernel_size=(11, 11), stride=(4, 4), padding=(2, 2))"
    )
    assert repr(Conv2d(8, 8, 3, dilation=2, groups=4, bias=False)) == (
        "Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=4, bias=False)"
    )
    assert repr(Conv2d(2, 2, 3, padding="same")) == (
        "Conv2d(2, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    )


# ------------------------------------------------------------------ Linear, Identity
def test_linear_forward_is_x_times_weight_transposed_plus_bias():
    fc = Linear(5, 3)
    assert fc.weight.shape == (3, 5) and fc.bias.shape == (3,)
    assert fc.weight.dtype == np.float32
    x = random_input(2, 4, 5)  # any leading axes
    y = fc(x)
    assert y.shape == (2, 4, 3)
    expected = x.data.astype(np.float64) @ fc.weight.data.T.astype(np.float64) + fc.bias.data
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-6)
    no_bias = Linear(5, 3, bias=False)
    np.testing.assert_allclose(no_bias(x).data, x.data @ no_bias.weight.data.T, rtol=1e-5)


def test_linear_default_init_and_repr():
    manual_seed(0)
    fc = Linear(64, 256)
    bound = 1 / math.sqrt(64)
    assert np.abs(fc.weight.data).max() <= bound
    assert fc.weight.data.max() > 0.99 * bound and fc.weight.data.min() < -0.99 * bound
    assert np.abs(fc.bias.data).max() <= bound
    assert repr(fc) == "Linear(in_features=64, out_features=256, bias=True)"


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((0, 3), ValueError, "Linear: in_features must be >= 1, got 0"),
        ((3, -2), ValueError, "Linear: out_features must be >= 1, got -2"),
        ((3, "4"), TypeError, "Linear: out_features must be an int, got '4'"),
    ],
)
def test_linear_constructor_errors(args, error, message):
    with pytest.raises(error, match=message):
        Linear(*args)


def test_identity_returns_its_input_and_ignores_constructor_arguments():
    x = random_input(2, 3)
    assert Identity(54, unused="argument")(x) is x
    assert list(Identity().parameters()) == []


# ------------------------------------------------------------------ pooling
def test_max_pool2d_defaults_stride_to_kernel_and_matches_functional():
    pool = MaxPool2d(3)
    assert (pool.kernel_size, pool.stride, pool.padding, pool.dilation) == (3, 3, 0, 1)
    x = random_input(2, 3, 10, 9)
    y = pool(x)
    assert y.shape == (2, 3, out_size(10, 3, 3, 0), out_size(9, 3, 3, 0))
    np.testing.assert_array_equal(y.data, F.max_pool2d(x, 3).data)


def test_max_pool2d_options_reach_the_functional_op():
    pool = MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True)
    x = random_input(1, 2, 9, 8)
    expected = F.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2), True)
    np.testing.assert_array_equal(pool(x).data, expected.data)
    assert pool(x).shape == (1, 2, math.ceil((9 + 2 - 2 - 1) / 2) + 1, 8 + 2 - 2 - 1 + 1)
    assert repr(MaxPool2d(3, 2)) == (
        "MaxPool2d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )


def test_max_pool2d_by_hand():
    x = tensor(np.array([[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 1, 2, 3], [9, 0, 4, 7]]]], np.float32))
    np.testing.assert_array_equal(MaxPool2d(2)(x).data, [[[[5, 8], [9, 7]]]])


def test_avg_pool2d_matches_functional_and_a_hand_computed_mean():
    pool = AvgPool2d(2)
    assert pool.stride == 2
    x = tensor(np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    np.testing.assert_allclose(pool(x).data, [[[[2.5, 4.5], [10.5, 12.5]]]])
    pool = AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
    x = random_input(2, 3, 7, 6)
    np.testing.assert_array_equal(pool(x).data, F.avg_pool2d(x, 3, 2, 1, True, False).data)
    assert repr(AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"


def test_adaptive_avg_pool2d_output_size_and_values():
    x = random_input(2, 4, 7, 5)
    y = AdaptiveAvgPool2d((1, 1))(x)
    assert y.shape == (2, 4, 1, 1)
    np.testing.assert_allclose(y.data[..., 0, 0], x.data.mean(axis=(2, 3)), rtol=1e-5, atol=1e-6)
    pool = AdaptiveAvgPool2d((3, None))
    np.testing.assert_array_equal(pool(x).data, F.adaptive_avg_pool2d(x, (3, None)).data)
    assert pool(x).shape == (2, 4, 3, 5)
    assert repr(AdaptiveAvgPool2d(6)) == "AdaptiveAvgPool2d(output_size=6)"


# ------------------------------------------------------------------ LRN, ReLU, Flatten
def test_local_response_norm_matches_functional_and_the_formula():
    x = random_input(2, 6, 3, 3)
    lrn = LocalResponseNorm(3, alpha=1e-2, beta=0.5, k=2.0)
    y = lrn(x).data
    np.testing.assert_array_equal(y, F.local_response_norm(x, 3, 1e-2, 0.5, 2.0).data)
    a = x.data.astype(np.float64)
    c = 2  # window [c - 1, c + 1]
    energy = (a[:, c - 1 : c + 2] ** 2).sum(axis=1)
    np.testing.assert_allclose(y[:, c], a[:, c] / (2.0 + 1e-2 / 3 * energy) ** 0.5, rtol=1e-5)
    assert repr(lrn) == "LocalResponseNorm(3, alpha=0.01, beta=0.5, k=2.0)"


def test_relu_and_its_repr():
    x = random_input(3, 4)
    np.testing.assert_array_equal(ReLU()(x).data, np.maximum(x.data, 0))
    np.testing.assert_array_equal(ReLU(inplace=True)(x).data, np.maximum(x.data, 0))
    assert repr(ReLU()) == "ReLU()" and repr(ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_flatten_defaults_keep_the_batch_axis():
    x = random_input(2, 3, 4, 5)
    assert Flatten()(x).shape == (2, 60)
    np.testing.assert_array_equal(Flatten()(x).data, x.data.reshape(2, 60))
    assert Flatten(0, 1)(x).shape == (6, 4, 5)
    assert Flatten(2)(x).shape == (2, 3, 20)
    assert repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


# ------------------------------------------------------------------ Dropout
def test_dropout_is_the_identity_in_eval_mode():
    x = random_input(50, 40)
    drop = Dropout(0.9).eval()
    np.testing.assert_array_equal(drop(x).data, x.data)


def test_dropout_in_training_zeroes_or_scales_reproducibly():
    x = tensor(np.ones((100, 100), np.float32))
    drop = Dropout(p=0.25)
    assert drop.training
    manual_seed(7)
    y = drop(x).data
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    # the kept fraction of 10,000 Bernoulli(0.75) draws: std 0.0043, allow 5 std
    assert abs((y != 0).mean() - 0.75) < 5 * math.sqrt(0.75 * 0.25 / y.size)
    manual_seed(7)
    np.testing.assert_array_equal(drop(x).data, y)
    assert not np.array_equal(drop(x).data, y)  # the generator moved on
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"


def test_layers_take_unbatched_chw_input_like_torch():
    x = random_input(3, 8, 8)
    assert Conv2d(3, 4, 3, padding=1)(x).shape == (4, 8, 8)
    assert MaxPool2d(2)(x).shape == (3, 4, 4)
