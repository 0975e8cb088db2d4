"""Fused inference (tinycnn/nn/fusion.py, folding.py): in eval mode under no_grad a
BatchNorm2d folds into the Conv2d before it.

Expected values come from the float64 loop oracles of kernels/reference.py, within
tests/tolerance.py's rule: the scale of the terms summed, here those of the folded
convolution, |s| * conv(|x|, |w|) + |s * (b - mean)| + |beta| with s = gamma / sqrt(var + eps).
"""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, float_dtypes, random_array, seeds
from tolerance import assert_close

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import kernels
from tinycnn.kernels import reference
from tinycnn.nn import folding, fused_inference
from tinycnn.nn.fusion import DeferredConv


@pytest.fixture(autouse=True)
def fusion_on():
    """Fused inference is off by default (tinycnn/nn/fusion.py says why): these tests ask
    for it, as a user does."""
    with fused_inference(True):
        yield


def test_fused_inference_is_off_by_default():
    def conv_output():
        conv = nn.Conv2d(3, 4, 3).eval()
        with tinycnn.no_grad():
            return conv(tinycnn.tensor(np.ones((1, 3, 5, 5), np.float32)))

    assert isinstance(conv_output(), DeferredConv)  # on, in this test (the fixture)
    result = []
    thread = threading.Thread(target=lambda: result.append(conv_output()))
    thread.start()
    thread.join()  # a new thread starts from the default
    assert not isinstance(result[0], DeferredConv)


def randomize(conv, bn, seed):
    """Random weights and statistics, set with in-place Tensor methods."""
    rng = np.random.default_rng(seed)
    C = bn.num_features
    with tinycnn.no_grad():
        conv.weight.copy_(rng.standard_normal(conv.weight.shape))
        if conv.bias is not None:
            conv.bias.copy_(rng.standard_normal(C))
        if bn.weight is not None:
            bn.weight.copy_(rng.uniform(-1.5, 1.5, C))  # a negative scale flips a channel
            bn.bias.copy_(rng.standard_normal(C))
        bn.running_mean.copy_(rng.standard_normal(C))
        bn.running_var.copy_(rng.uniform(0.5, 1.5, C))


def pair(C=3, OC=4, seed=0, bias=True, affine=True, **conv_options):
    """An eval-mode (conv, bn) with random parameters."""
    conv = nn.Conv2d(C, OC, 3, bias=bias, **conv_options)
    bn = nn.BatchNorm2d(OC, affine=affine)
    randomize(conv, bn, seed)
    return conv.eval(), bn.eval()


def oracle(conv, bn, x, relu=False):
    """relu?(bn(conv(x))) in float64 by the loop oracles, and the scale of its terms."""
    w, b = conv.weight.data, None if conv.bias is None else conv.bias.data
    C = bn.num_features
    gamma = np.ones(C) if bn.weight is None else bn.weight.data
    beta = np.zeros(C) if bn.bias is None else bn.bias.data
    mean, var = bn.running_mean.data, bn.running_var.data
    geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
    z = reference.conv2d_forward(x.data, w, b, *geometry)
    y = reference.batch_norm_eval_forward(z, mean, var, gamma, beta, bn.eps)
    if relu:
        y = reference.relu_forward(y)
    s = (gamma / np.sqrt(var.astype(np.float64) + bn.eps)).reshape(1, C, 1, 1)
    terms = reference.conv2d_forward(np.abs(x.data), np.abs(w), None, *geometry)
    shift = (0 if b is None else b) - mean.astype(np.float64)
    scale = np.abs(s) * terms + np.abs(s * shift.reshape(1, C, 1, 1)) + np.abs(beta).max()
    return y, scale


def assert_matches(actual, oracle_result, dtype):
    """assert_close against an oracle's (expected, scale)."""
    expected, scale = oracle_result
    assert_close(actual, expected, dtype, scale)


def plain_conv(conv, x):
    """conv(x) in float64 by the loop oracle, and the scale of its terms."""
    w, b = conv.weight.data, conv.bias.data
    geometry = (conv.stride, conv.padding, conv.dilation, conv.groups)
    z = reference.conv2d_forward(x.data, w, b, *geometry)
    scale = reference.conv2d_forward(np.abs(x.data), np.abs(w), None, *geometry) + np.abs(b).max()
    return z, scale


def image(seed, shape=(2, 3, 6, 6), dtype=np.float32):
    return tinycnn.tensor(random_array(seed, shape, dtype))


@settings(max_examples=30, deadline=None)
@given(conv_cases(), float_dtypes, st.booleans(), st.booleans(), seeds)
def test_folded_conv_batch_norm_matches_oracle(case, dtype, bias, affine, seed):
    N, C, OC, G, H, W, KH, KW, stride, padding, dilation = case
    conv = nn.Conv2d(C, OC, (KH, KW), stride, padding, dilation, G, bias=bias)
    bn = nn.BatchNorm2d(OC, affine=affine)
    randomize(conv, bn, seed)
    conv.eval().to(dtype), bn.eval().to(dtype)
    x = image(seed, (N, C, H, W), dtype)
    with tinycnn.no_grad():
        y = bn(conv(x))
    assert isinstance(y, DeferredConv) and y.pending and y.recipe.folded
    assert y.shape == (N, OC, *y.data.shape[2:]) and y.dtype == dtype
    assert_matches(y.data, oracle(conv, bn, x), dtype)


def test_conv_output_read_besides_the_batch_norm_is_the_unfolded_one():
    conv, bn = pair()
    x = image(1)
    with tinycnn.no_grad():
        z = conv(x)
        y = bn(z)  # folded: z itself is still not computed
        assert y.recipe.folded and z.pending
        w = z + 1
        z_first = conv(x)
        w_first = z_first + 1  # read before the BatchNorm, which then normalizes it
        y_after = bn(z_first)
    assert not isinstance(y_after, DeferredConv)
    z_expected, z_scale = plain_conv(conv, x)
    for actual in (w, w_first):
        assert_close(actual.data, z_expected + 1, np.float32, z_scale + 1)
    for actual in (y, y_after):
        assert_matches(actual.data, oracle(conv, bn, x), np.float32)


def change_conv_weight(conv, bn, x):
    with tinycnn.no_grad():
        conv.weight.mul_(1.5)


def change_conv_bias(conv, bn, x):
    with tinycnn.no_grad():
        conv.bias.add_(2.0)


def change_bn_weight(conv, bn, x):
    with tinycnn.no_grad():
        bn.weight.mul_(2.0)


def change_bn_bias(conv, bn, x):
    with tinycnn.no_grad():
        bn.bias[...] = -3.0  # __setitem__ counts as well


def change_running_mean(conv, bn, x):
    bn.running_mean.add_(1.0)


def change_running_var(conv, bn, x):
    bn.running_var.mul_(3.0)


def change_eps(conv, bn, x):
    bn.eps = 0.5


def train_step_of_batch_norm(conv, bn, x):
    """A training-mode forward moves the running statistics (in place, in the kernel)."""
    bn.train()
    with tinycnn.no_grad():
        bn(conv(x) * 3.0 + 1.0)
    bn.eval()


def reset_running_stats(conv, bn, x):
    bn.reset_running_stats()


def load_state_dict(conv, bn, x):
    other_conv, other_bn = pair(seed=7)
    conv.load_state_dict(other_conv.state_dict())
    bn.load_state_dict(other_bn.state_dict())


def optimizer_step(conv, bn, x):
    parameters = [*conv.parameters(), *bn.parameters()]
    for p in parameters:
        p.grad = np.ones_like(p.data)
    tinycnn.optim.SGD(parameters, lr=0.5).step()


def init_weight(conv, bn, x):
    nn.init.kaiming_normal_(conv.weight)


CHANGES = [
    change_conv_weight, change_conv_bias, change_bn_weight, change_bn_bias,
    change_running_mean, change_running_var, change_eps, train_step_of_batch_norm,
    reset_running_stats, load_state_dict, optimizer_step, init_weight,
]  # fmt: skip


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_a_change_to_any_source_makes_the_next_forward_fold_afresh(change):
    conv, bn = pair()
    x = image(2)
    with tinycnn.no_grad():
        before = bn(conv(x)).data  # folded, and cached
        assert_matches(before, oracle(conv, bn, x), np.float32)
        change(conv, bn, x)
        after = bn(conv(x))
        assert after.recipe.folded
        after = after.data
    expected, scale = oracle(conv, bn, x)
    assert not np.allclose(before, expected, atol=1e-3)  # the change matters
    assert_close(after, expected, np.float32, scale)


def test_model_double_folds_in_float64():
    conv, bn = pair()
    model = nn.Sequential(conv, bn)
    x = image(3)
    with tinycnn.no_grad():
        model(x).numpy()  # folded in float32, and cached
        model.double()
        y = model(x.double())
    assert y.recipe.folded and y.recipe.weight.dtype == np.float64
    assert_matches(y.data, oracle(conv, bn, x.double()), np.float64)


def test_changing_what_a_deferred_conv_reads_before_the_read_raises():
    conv, bn = pair()
    with tinycnn.no_grad():
        x = image(4)
        z = conv(x)
        x += 1.0
        with pytest.raises(RuntimeError, match="changed in place.*before the convolution"):
            z.numpy()
        z = conv(image(4))
        conv.weight.mul_(2.0)
        with pytest.raises(RuntimeError, match="changed in place"):
            bn(z)  # the fold would read the new weight


def test_rebinding_a_parameter_after_the_call_keeps_the_call_s_values():
    conv, bn = pair()
    x = image(5)
    with tinycnn.no_grad():
        expected, scale = oracle(conv, bn, x)
        y = bn(conv(x))
        conv.weight.data = conv.weight.data * 2  # a new array: the recipe holds the old one
        assert_close(y.data, expected, np.float32, scale)


def test_other_kernel_sets_run_every_op_as_written():
    conv, bn = pair()
    x = image(6)
    calls = []

    def learners_batch_norm(*arguments):
        calls.append(arguments[0].shape)
        return reference.batch_norm_eval_forward(*arguments).astype(np.float32)

    with tinycnn.no_grad():
        with kernels.use("textbook"):
            textbook = bn(conv(x))
        with kernels.use({"batch_norm_eval_forward": learners_batch_norm}):
            plugged = bn(conv(x))
    assert calls == [(2, 4, 4, 4)]  # the learner's function ran, on the conv's output
    for y in (textbook, plugged):
        assert not isinstance(y, DeferredConv)
        assert_matches(y.data, oracle(conv, bn, x), np.float32)


def test_fused_inference_false_turns_it_off():
    conv, bn = pair()
    with tinycnn.no_grad(), fused_inference(False):
        assert not isinstance(conv(image(0)), DeferredConv)
    with pytest.raises(TypeError, match="enabled must be a bool"), fused_inference(0):
        pass


def test_a_forward_hook_on_the_conv_sees_the_unfolded_output():
    conv, bn = pair()
    seen = []
    conv.register_forward_hook(lambda module, inputs, output: seen.append(output))
    x = image(7)
    with tinycnn.no_grad():
        y = bn(conv(x))
    assert_matches(y.data, oracle(conv, bn, x), np.float32)
    assert_matches(seen[0].data, plain_conv(conv, x), np.float32)


def test_batch_norm_in_training_mode_after_an_eval_conv_uses_batch_statistics():
    conv, bn = pair()
    twin = nn.BatchNorm2d(4)
    twin.load_state_dict(bn.state_dict())
    bn.train(), twin.train()
    x = image(8)
    with tinycnn.no_grad():
        y = bn(conv(x))
        with fused_inference(False):
            expected = twin(conv(x))
    assert not isinstance(y, DeferredConv)
    np.testing.assert_array_equal(y.data, expected.data)
    for name, array in twin.state_dict().items():  # the running statistics moved alike
        np.testing.assert_array_equal(bn.state_dict()[name], array)


def test_with_grad_mode_on_nothing_is_deferred_and_backward_works():
    conv, bn = pair()
    x = image(9)
    y = bn(conv(x))
    assert not isinstance(y, DeferredConv) and y.requires_grad
    y.sum().backward()
    assert conv.weight.grad is not None


@pytest.mark.parametrize("relu", [nn.ReLU(inplace=True), F.relu])
def test_relu_after_a_folded_pair_reads_it(relu):
    conv, bn = pair()
    x = image(10)
    with tinycnn.no_grad():
        y = relu(bn(conv(x)))
    assert not isinstance(y, DeferredConv)
    expected, scale = oracle(conv, bn, x, relu=True)
    assert_close(y.data, expected, np.float32, scale)


def test_batch_norm_after_a_relu_does_not_fold():
    conv, bn = pair()
    x = image(11)
    with tinycnn.no_grad():
        y = bn(F.relu(conv(x)))
    assert not isinstance(y, DeferredConv)
    z, z_scale = plain_conv(conv, x)
    gamma, beta = bn.weight.data, bn.bias.data
    mean, var = bn.running_mean.data, bn.running_var.data
    expected = reference.batch_norm_eval_forward(
        reference.relu_forward(z), mean, var, gamma, beta, bn.eps
    )
    s = np.abs(gamma / np.sqrt(var + bn.eps)).reshape(1, -1, 1, 1)
    scale = s * (z_scale + np.abs(mean).max()) + np.abs(beta).max()
    assert_close(y.data, expected, np.float32, scale)


def test_training_mode_frees_the_folded_weights():
    conv, bn = pair()
    model = nn.Sequential(conv, bn)
    with tinycnn.no_grad():
        model(image(12)).numpy()
    assert bn in folding._CACHE
    model.train()
    assert bn not in folding._CACHE
