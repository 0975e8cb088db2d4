"""The CIFAR ResNets of the ResNet paper (section 4.2) and their plain twins."""

import numpy as np
import pytest

import tinycnn
from tinycnn import models
from tinycnn.gradcheck import directional_gradcheck
from tinycnn.models.cifar_resnet import CifarResNet
from tinycnn.summary import summary

DEPTHS = {20: 3, 32: 5, 44: 7, 56: 9}


def expected_parameters(n, in_channels=3, num_classes=10):
    """Counted from the paper's layer table, independently of the model code.

    6n + 1 convolutions of 3x3 kernels without bias, each followed by a BatchNorm
    (weight and bias per channel); then a linear layer 64 -> num_classes with bias.
    """
    conv_shapes = [(in_channels, 16)]  # (input channels, output channels)
    for c_in, c_out in ((16, 16), (16, 32), (32, 64)):
        conv_shapes += [(c_in, c_out)] + [(c_out, c_out)] * (2 * n - 1)
    weights = sum(9 * a * b for a, b in conv_shapes)
    batch_norms = sum(2 * b for _, b in conv_shapes)
    return weights + batch_norms + 64 * num_classes + num_classes


def count(model):
    return sum(p.data.size for p in model.parameters())


@pytest.mark.parametrize("depth", DEPTHS)
def test_parameter_counts_follow_the_layer_table_and_shortcuts_add_none(depth):
    n = DEPTHS[depth]
    assert 6 * n + 2 == depth
    resnet = models.get_model(f"resnet{depth}")
    plain = models.get_model(f"plain{depth}")
    assert count(resnet) == count(plain) == expected_parameters(n)


def test_resnet20_has_the_papers_0_27_million_parameters():
    assert count(models.resnet20()) == 269_722
    assert round(count(models.resnet20()) / 1e6, 2) == 0.27
    assert round(count(models.resnet56()) / 1e6, 2) == 0.85  # Table 6: 0.85M


def test_in_channels_and_num_classes():
    net = models.resnet20(in_channels=1, num_classes=7)
    assert count(net) == expected_parameters(3, in_channels=1, num_classes=7)
    out = net(tinycnn.tensor(np.zeros((2, 1, 32, 32), np.float32)))
    assert out.shape == (2, 7)


def test_feature_maps_are_32_16_8_with_16_32_64_filters():
    info = summary(models.resnet20(), (3, 32, 32))
    shapes = {layer.name: layer.output_shape for layer in info.layers}
    assert shapes["conv1"] == (1, 16, 32, 32)
    assert shapes["stage1.2.conv2"] == (1, 16, 32, 32)
    assert shapes["stage2.0.conv1"] == (1, 32, 16, 16)
    assert shapes["stage3.2.conv2"] == (1, 64, 8, 8)
    assert shapes["fc"] == (1, 10)
    convs = [layer for layer in info.layers if layer.kind == "Conv2d"]
    assert len(convs) == 19  # + fc = 20 weighted layers
    # Seven 3x3 convolutions at stride 1 before stage 2: a field of 1 + 7 * 2 = 15 pixels.
    assert {layer.name: layer.rf.size for layer in info.layers}["stage1.2.conv2"] == (15, 15)


def test_option_a_shortcut_subsamples_and_pads_with_zeros():
    block = models.resnet20().stage2[0]
    x = tinycnn.tensor(np.arange(2 * 16 * 4 * 4, dtype=np.float32).reshape(2, 16, 4, 4))
    out = block.shortcut(x).data
    assert out.shape == (2, 32, 2, 2)
    np.testing.assert_array_equal(out[:, :16], x.data[:, :, ::2, ::2])
    np.testing.assert_array_equal(out[:, 16:], 0)


def test_plain_network_has_no_shortcuts():
    net = models.plain20()
    assert all(pair.shortcut is None and not pair.residual for pair in net.stage2)


def test_bad_depth_is_a_clear_error():
    with pytest.raises(ValueError, match="CifarResNet: n must be an int >= 1, got 0"):
        CifarResNet(n=0, residual=True)


@pytest.mark.parametrize("residual", [True, False], ids=["resnet", "plain"])
def test_whole_network_directional_gradcheck(residual):
    tinycnn.manual_seed(3)
    model = CifarResNet(n=1, residual=residual, num_classes=4).double()
    model.train()
    rng = np.random.default_rng(0)
    x = tinycnn.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    params = list(model.parameters())
    assert directional_gradcheck(lambda x, *params: model(x), [x, *params])
