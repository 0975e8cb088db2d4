"""DenseNet (`tinycnn.models.densenet`): sizes, layout, initialization, layers, gradients.

Parameter counts and classifier widths against torchvision's; torchvision's module names;
the initialization's statistics; what a dense layer, block and transition compute; BatchNorm
in a dense layer in training and evaluation mode; dropout; output shapes on small inputs;
and float64 directional gradchecks of a whole small network, in both modes.
"""

import math

import numpy as np
import pytest
from batch_norm_modes import check_batch_norm_modes, set_running_statistics

import tinycnn
import tinycnn.nn as nn
from tinycnn.gradcheck import directional_gradcheck
from tinycnn.models.densenet import (
    DenseNet,
    _DenseBlock,
    _DenseLayer,
    _Transition,
    densenet121,
    densenet161,
    densenet169,
    densenet201,
)

# torchvision's published counts (the `num_params` of its ImageNet weights), checked against
# torchvision 0.29.1's builders, with the channels the classifier receives.
PARAMETER_COUNTS = [
    (densenet121, 7_978_856, 1024),
    (densenet161, 28_681_000, 2208),
    (densenet169, 14_149_480, 1664),
    (densenet201, 20_013_928, 1920),
]


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def images(shape, dtype=np.float32, seed=0):
    return tinycnn.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def small_densenet(**kwargs):
    return DenseNet(
        growth_rate=4, block_config=(1, 2), num_init_features=8, bn_size=2, num_classes=5, **kwargs
    )


@pytest.mark.parametrize(
    "builder, expected, features",
    PARAMETER_COUNTS,
    ids=["densenet121", "densenet161", "densenet169", "densenet201"],
)
def test_parameter_count_is_torchvisions(builder, expected, features):
    model = builder()
    assert parameter_count(model) == expected
    assert model.classifier.weight.shape == (1000, features)


def test_module_names_are_torchvisions():
    model = small_densenet()
    assert [name for name, _ in model.named_children()] == ["features", "classifier"]
    assert [name for name, _ in model.features.named_children()] == [
        "conv0",
        "norm0",
        "relu0",
        "pool0",
        "denseblock1",
        "transition1",
        "denseblock2",
        "norm5",
    ]
    block = model.features.denseblock2
    assert [name for name, _ in block.named_children()] == ["denselayer1", "denselayer2"]
    layer_names = ["norm1", "relu1", "conv1", "norm2", "relu2", "conv2"]
    assert [name for name, _ in block.denselayer1.named_children()] == layer_names
    transition = model.features.transition1
    assert [name for name, _ in transition.named_children()] == ["norm", "relu", "conv", "pool"]
    keys = list(model.state_dict())
    assert keys[:2] == ["features.conv0.weight", "features.norm0.weight"]
    assert "features.denseblock1.denselayer1.norm1.weight" in keys
    assert keys[-2:] == ["classifier.weight", "classifier.bias"]


def test_channel_arithmetic():
    # 8 initial features, +1 layer x k=4 = 12, halved to 6, +2 x 4 = 14.
    model = small_densenet()
    assert model.features.denseblock1.denselayer1.conv1.weight.shape == (8, 8, 1, 1)  # 2k
    assert model.features.denseblock1.denselayer1.conv2.weight.shape == (4, 8, 3, 3)  # k
    assert model.features.transition1.conv.weight.shape == (6, 12, 1, 1)
    assert model.features.denseblock2.denselayer2.norm1.num_features == 10
    assert model.features.norm5.num_features == 14
    assert model.classifier.weight.shape == (5, 14)


def test_initialization_statistics():
    tinycnn.manual_seed(0)
    model = densenet121()
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            w = module.weight.data
            _, C, KH, KW = w.shape
            expected = math.sqrt(2.0 / (C * KH * KW))  # kaiming_normal_: fan_in, gain sqrt(2)
            if w.size >= 4096:  # enough draws for a 5% test of the spread
                assert abs(w.std() / expected - 1) < 0.05, name
            assert abs(w.mean()) < 5 * expected / math.sqrt(w.size), name
        elif isinstance(module, nn.BatchNorm2d):
            np.testing.assert_array_equal(module.weight.data, 1, err_msg=name)
            np.testing.assert_array_equal(module.bias.data, 0, err_msg=name)
    np.testing.assert_array_equal(model.classifier.bias.data, 0)
    bound = 1 / math.sqrt(1024)  # the weight keeps Linear's default U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(model.classifier.weight.data).max() <= bound


def test_dense_layer_block_and_transition():
    x = images((2, 8, 5, 5))
    layer = _DenseLayer(8, growth_rate=4, bn_size=2, drop_rate=0)
    y = layer(x)
    assert y.shape == (2, 4, 5, 5)  # only the new features
    parts = [tinycnn.tensor(x.data[:, :3]), tinycnn.tensor(x.data[:, 3:])]
    np.testing.assert_allclose(layer(parts).data, y.data, rtol=1e-5, atol=1e-6)  # a list: cat

    block = _DenseBlock(3, 8, bn_size=2, growth_rate=4, drop_rate=0)
    out = block(x)
    assert out.shape == (2, 8 + 3 * 4, 5, 5)
    np.testing.assert_array_equal(out.data[:, :8], x.data)  # the input is passed on unchanged
    transition = _Transition(20, 10)
    assert transition(out).shape == (2, 10, 2, 2)


def test_batch_norm_in_a_dense_layer_uses_batch_statistics_in_training_and_running_ones_in_eval():
    block = _DenseLayer(8, growth_rate=4, bn_size=2, drop_rate=0)
    check_batch_norm_modes(block, block.norm1, images((4, 8, 5, 5)))


def test_drop_rate_drops_new_features_in_training_only():
    tinycnn.manual_seed(3)
    layer = _DenseLayer(8, growth_rate=4, bn_size=2, drop_rate=0.5)
    x = images((4, 8, 5, 5))
    dropped = layer(x).data
    layer.drop_rate = 0.0
    kept = layer(x).data  # the same batch statistics, no dropout
    zero = dropped == 0
    assert 0.3 < zero.mean() < 0.7
    np.testing.assert_allclose(dropped[~zero], 2 * kept[~zero], rtol=1e-5, atol=1e-6)

    layer.drop_rate = 0.5
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    model = small_densenet(drop_rate=0.5).eval()
    x = images((2, 3, 32, 32))
    np.testing.assert_array_equal(model(x).data, model(x).data)


def test_output_shapes_on_a_small_input():
    assert densenet121(num_classes=7)(images((1, 3, 64, 64))).shape == (1, 7)
    assert small_densenet()(images((2, 3, 32, 32))).shape == (2, 5)


def test_bad_arguments_are_refused():
    with pytest.raises(NotImplementedError, match="memory_efficient=True"):
        densenet121(memory_efficient=True)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_whole_network_directional_gradcheck(training):
    tinycnn.manual_seed(1)
    model = small_densenet().double()
    set_running_statistics(model)
    model.train(training)
    x = images((2, 3, 32, 32), np.float64)
    x.requires_grad = True
    params = list(model.parameters())
    assert directional_gradcheck(lambda x, *params: model(x), [x, *params])
