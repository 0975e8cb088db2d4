"""ResNet (`tinycnn.models.resnet`): sizes, layout, initialization, blocks, gradients.

Parameter counts against torchvision's; where the stride sits and how the downsample
shortcut is named; the initialization's statistics and `zero_init_residual`; BatchNorm in a
block in training and evaluation mode; output shapes on small inputs; a full-size ResNet-18
training step (finite gradients on every parameter); and float64 directional gradchecks of
whole small networks, in both modes.
"""

import math
import time

import numpy as np
import pytest
from batch_norm_modes import check_batch_norm_modes, set_running_statistics
from finite_gradients import assert_finite_gradients

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.gradcheck import directional_gradcheck
from tinycnn.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)

# torchvision's published counts (the `num_params` of its ImageNet weights), checked against
# torchvision 0.29.1's builders. resnext50_32x4d is resnet50(groups=32, width_per_group=4).
PARAMETER_COUNTS = [
    (resnet18, {}, 11_689_512),
    (resnet34, {}, 21_797_672),
    (resnet50, {}, 25_557_032),
    (resnet101, {}, 44_549_160),
    (resnet152, {}, 60_192_808),
    (resnet50, {"groups": 32, "width_per_group": 4}, 25_028_904),
]


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def images(shape, dtype=np.float32, seed=0):
    return tinycnn.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


@pytest.mark.parametrize(
    "builder, kwargs, expected",
    PARAMETER_COUNTS,
    ids=["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d"],
)
def test_parameter_count_is_torchvisions(builder, kwargs, expected):
    assert parameter_count(builder(**kwargs)) == expected


def test_downsample_shortcut_and_strided_3x3_are_named_and_placed_as_torchvisions():
    model = ResNet(Bottleneck, [1, 2, 1, 1])  # resnet50's blocks, fewer of them
    block = model.layer2[0]
    assert (block.conv1.stride, block.conv2.stride) == ((1, 1), (2, 2))  # ResNet v1.5
    conv, bn = block.downsample
    assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
    assert conv.weight.shape == (512, 256, 1, 1) and conv.stride == (2, 2) and conv.bias is None
    assert model.layer2[1].downsample is None
    # layer1's first block changes the channels (64 -> 256) at stride 1: a 1x1 projection.
    assert model.layer1[0].downsample[0].stride == (1, 1)
    keys = list(model.state_dict())
    assert keys[:7] == [
        "conv1.weight",
        "bn1.weight",
        "bn1.bias",
        "bn1.running_mean",
        "bn1.running_var",
        "bn1.num_batches_tracked",
        "layer1.0.conv1.weight",
    ]
    assert "layer1.0.downsample.0.weight" in keys
    assert "layer1.0.downsample.1.running_var" in keys
    assert keys[-2:] == ["fc.weight", "fc.bias"]
    basic = ResNet(BasicBlock, [1, 1, 1, 1])
    assert basic.layer1[0].downsample is None  # 64 -> 64 at stride 1: identity


def test_initialization_statistics():
    tinycnn.manual_seed(0)
    model = resnet18()
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            w = module.weight.data
            OC, _, KH, KW = w.shape
            expected = math.sqrt(2.0 / (OC * KH * KW))  # kaiming_normal_, fan_out, relu
            assert abs(w.std() / expected - 1) < 0.05, name
            assert abs(w.mean()) < 5 * expected / math.sqrt(w.size), name
        elif isinstance(module, nn.BatchNorm2d):
            np.testing.assert_array_equal(module.weight.data, 1, err_msg=name)
            np.testing.assert_array_equal(module.bias.data, 0, err_msg=name)
    bound = 1 / math.sqrt(512)  # the fc keeps Linear's default U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(model.fc.weight.data).max() <= bound
    assert np.abs(model.fc.bias.data).max() <= bound
    assert model.fc.weight.data.std() > 0.5 * bound / math.sqrt(3)


@pytest.mark.parametrize("block", [BasicBlock, Bottleneck])
def test_zero_init_residual_makes_each_block_start_as_the_identity(block):
    layers = [2, 1, 1, 1]
    model = ResNet(block, layers, num_classes=5, zero_init_residual=True)
    for name, module in model.named_modules():
        if isinstance(module, (BasicBlock, Bottleneck)):
            last = module.bn3 if isinstance(module, Bottleneck) else module.bn2
            np.testing.assert_array_equal(last.weight.data, 0, err_msg=name)
            np.testing.assert_array_equal(module.bn1.weight.data, 1, err_msg=name)
    assert model.layer2[0].downsample[1].weight.data.min() == 1  # shortcut BNs stay at 1
    # layer1[1] has an identity shortcut: a non-negative input comes out unchanged.
    C = 64 * block.expansion
    x = tinycnn.tensor(np.abs(images((2, C, 6, 6)).data))
    np.testing.assert_array_equal(model.layer1[1](x).data, x.data)
    default = ResNet(block, layers, num_classes=5)
    assert not np.array_equal(default.layer1[1](x).data, x.data)


def test_batch_norm_in_a_block_uses_batch_statistics_in_training_and_running_ones_in_eval():
    block = BasicBlock(8, 8)
    check_batch_norm_modes(block, block.bn1, images((4, 8, 5, 5)))


def test_output_shape_on_a_small_input():
    model = resnet18(num_classes=10)
    assert model.fc.weight.shape == (10, 512)
    assert model(images((1, 3, 64, 64))).shape == (1, 10)


def trunk_shapes(model, x):
    """The feature map's shape after the stem and after each stage (in eval mode: the last
    stages' maps may be 1 x 1, too few values for batch statistics at batch 1)."""
    model.eval()
    x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
    shapes = [x.shape]
    for stage in (model.layer1, model.layer2, model.layer3, model.layer4):
        x = stage(x)
        shapes.append(x.shape)
    return shapes


def test_stage_shapes_and_replace_stride_with_dilation():
    x = images((1, 3, 32, 32))
    model = ResNet(Bottleneck, [1, 1, 1, 1])
    sizes = [(1, 64, 8, 8), (1, 256, 8, 8), (1, 512, 4, 4), (1, 1024, 2, 2), (1, 2048, 1, 1)]
    assert trunk_shapes(model, x) == sizes
    dilated = ResNet(Bottleneck, [1, 1, 1, 2], replace_stride_with_dilation=[False, True, True])
    sizes = [(1, 64, 8, 8), (1, 256, 8, 8), (1, 512, 4, 4), (1, 1024, 4, 4), (1, 2048, 4, 4)]
    assert trunk_shapes(dilated, x) == sizes
    # As torchvision: a stage's first block keeps the previous dilation, later ones dilate.
    assert dilated.layer3[0].conv2.dilation == (1, 1) and dilated.layer3[0].conv2.stride == (1, 1)
    assert dilated.layer4[0].conv2.dilation == (2, 2)
    assert dilated.layer4[1].conv2.dilation == (4, 4) and dilated.layer4[1].conv2.padding == (4, 4)


def test_groups_and_width_per_group_set_the_bottleneck_width():
    model = ResNet(Bottleneck, [1, 1, 1, 1], groups=32, width_per_group=4)
    assert model.layer1[0].conv2.weight.shape == (128, 4, 3, 3)  # width 128 in 32 groups
    assert model.layer1[0].conv3.weight.shape == (256, 128, 1, 1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="BasicBlock: groups must be 1"):
        resnet18(groups=2)
    with pytest.raises(NotImplementedError, match="BasicBlock: dilation must be 1"):
        resnet18(replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match="replace_stride_with_dilation must be None or 3"):
        resnet50(replace_stride_with_dilation=[True, True])
    with pytest.raises(ValueError, match="layers must hold 4"):
        ResNet(BasicBlock, [2, 2, 2])


def test_resnet18_training_step_at_224_gives_finite_gradients_for_every_parameter():
    tinycnn.manual_seed(0)
    model = resnet18()
    x = images((2, 3, 224, 224))
    start = time.perf_counter()
    loss = F.cross_entropy(model(x), np.array([3, 917]))
    loss.backward()
    elapsed = time.perf_counter() - start
    print(f"resnet18 forward + backward, batch 2, 224 x 224: {elapsed:.2f} s")
    assert np.isfinite(loss.item())
    assert_finite_gradients(model)
    assert np.abs(model.fc.weight.grad).max() > 0


# The Bottleneck network is ResNeXt-style (groups=2, 16 channels per group: 3x3 widths 32 to
# 256), which also checks grouped convolutions and halves the float64 work of plain widths.
SMALL_NETWORKS = {
    "BasicBlock": dict(block=BasicBlock, layers=[1, 1, 1, 1]),
    "Bottleneck": dict(block=Bottleneck, layers=[1, 1, 1, 1], groups=2, width_per_group=16),
}


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("network", SMALL_NETWORKS)
def test_whole_network_directional_gradcheck(network, training):
    tinycnn.manual_seed(1)
    model = ResNet(num_classes=5, **SMALL_NETWORKS[network]).double()
    set_running_statistics(model)
    model.train(training)
    x = images((2, 3, 32, 32), np.float64)
    x.requires_grad = True
    params = list(model.parameters())
    assert directional_gradcheck(lambda x, *params: model(x), [x, *params])
