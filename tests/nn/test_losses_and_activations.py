"""The loss and activation modules, MaxUnpool2d, Dropout2d and BatchNorm2d(bias=False):
each module equals its functional op with the module's options, and keeps torch's state."""

import subprocess
import sys

import numpy as np
import pytest

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.kernels import reference


def random_input(*shape, seed=0):
    return tinycnn.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


@pytest.mark.parametrize(
    "module, function",
    [
        (nn.Sigmoid(), F.sigmoid),
        (nn.Tanh(), F.tanh),
        (nn.Softmax(dim=0), lambda x: F.softmax(x, dim=0)),
        (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, dim=1)),
        (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
        (nn.LeakyReLU(), lambda x: F.leaky_relu(x, 0.01)),
    ],
)
def test_activation_modules_apply_their_function(module, function):
    x = random_input(3, 4)
    np.testing.assert_array_equal(module(x).data, function(x).data)


def test_loss_modules_pass_their_options():
    x, y = random_input(6, 4), tinycnn.tensor([0, 1, 2, 3, -100, 1])
    weight = tinycnn.tensor([1.0, 2.0, 0.5, 1.5])
    loss = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.1, reduction="sum")
    expected = F.cross_entropy(x, y, weight, reduction="sum", label_smoothing=0.1)
    np.testing.assert_array_equal(loss(x, y).data, expected.data)
    assert "weight" in loss.state_dict()  # a buffer, as in torch
    log_p = F.log_softmax(x, 1)
    np.testing.assert_array_equal(
        nn.NLLLoss(ignore_index=1, reduction="none")(
            log_p, tinycnn.tensor([0, 1, 2, 3, 0, 1])
        ).data,
        F.nll_loss(
            log_p, tinycnn.tensor([0, 1, 2, 3, 0, 1]), ignore_index=1, reduction="none"
        ).data,
    )
    target = random_input(6, 4, seed=1)
    np.testing.assert_array_equal(nn.MSELoss()(x, target).data, F.mse_loss(x, target).data)
    with pytest.raises(ValueError, match="MSELoss: reduction must be 'mean', 'sum' or 'none'"):
        nn.MSELoss(reduction="avg")


def test_nll_of_log_softmax_is_cross_entropy():
    x, y = random_input(5, 3), tinycnn.tensor([0, 2, 1, 1, 0])
    np.testing.assert_allclose(
        nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), y).item(), nn.CrossEntropyLoss()(x, y).item()
    )


def test_max_pool_indices_and_unpool_put_each_maximum_back():
    x = random_input(2, 3, 4, 6)
    pooled, indices = nn.MaxPool2d(2, return_indices=True)(x)
    restored = nn.MaxUnpool2d(2)(pooled, indices)
    assert restored.shape == x.shape
    # Every window keeps its maximum in place and zeros elsewhere.
    windows = x.data.reshape(2, 3, 2, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(pooled.data, windows)
    kept = restored.data != 0
    assert kept.sum() == pooled.numel()
    np.testing.assert_array_equal(restored.data[kept], x.data[kept])
    # output_size recovers an odd input size that the default formula cannot.
    odd = random_input(1, 1, 5, 5)
    pooled, indices = F.max_pool2d(odd, 2, return_indices=True)
    assert nn.MaxUnpool2d(2)(pooled, indices, output_size=odd.shape).shape == (1, 1, 5, 5)


def test_dropout2d_zeroes_whole_channels_and_is_the_identity_in_eval():
    tinycnn.manual_seed(0)
    layer = nn.Dropout2d(p=0.5)
    x = tinycnn.tensor(np.ones((8, 16, 3, 3), np.float32))
    y = layer(x).data
    per_channel = y.reshape(8, 16, 9)
    assert np.all(per_channel == per_channel[:, :, :1])  # one draw per (n, c)
    assert set(np.unique(y)) == {0.0, 2.0}  # dropped, or kept and scaled by 1 / (1 - p)
    assert 0.3 < (per_channel[:, :, 0] == 0).mean() < 0.7
    assert layer.eval()(x) is x


def test_batchnorm_without_bias_keeps_the_scale_alone():
    bn = nn.BatchNorm2d(3, bias=False)
    assert bn.bias is None and bn.weight is not None
    assert list(bn.state_dict()) == ["weight", "running_mean", "running_var", "num_batches_tracked"]
    x = random_input(4, 3, 2, 2)
    y = bn(x)
    expected = F.batch_norm(x, None, None, bn.weight, None, training=True)
    np.testing.assert_allclose(y.data, expected.data, rtol=1e-6)
    y.sum().backward()
    assert bn.weight.grad is not None
    assert nn.BatchNorm2d(3, affine=False, bias=True).bias is None


def test_import_tinycnn_brings_the_subpackages():
    code = (
        "import tinycnn\n"
        "print(tinycnn.nn.Linear, tinycnn.optim.SGD, tinycnn.data.DataLoader,"
        " tinycnn.models.resnet18, tinycnn.nn.functional.relu)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_divisor_override_matches_the_loop_oracle(count_include_pad):
    x = tinycnn.tensor(np.random.default_rng(2).standard_normal((2, 3, 7, 6)), requires_grad=True)
    geometry = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    y = nn.AvgPool2d(**geometry, count_include_pad=count_include_pad, divisor_override=4)(x)
    pairs = {k: (v, v) if k != "ceil_mode" else v for k, v in geometry.items()}
    expected = reference.avg_pool2d_forward(x.data, **pairs, count_include_pad=count_include_pad,
                                            divisor_override=4)  # fmt: skip
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    dy = np.random.default_rng(3).standard_normal(y.shape)
    y.backward(dy)
    expected_dx = reference.avg_pool2d_backward(
        dy, x.shape, **pairs, count_include_pad=count_include_pad, divisor_override=4
    )
    np.testing.assert_allclose(x.grad, expected_dx, rtol=1e-12)
