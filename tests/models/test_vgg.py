"""VGG: the eight builders' sizes and depths, torchvision's initialization, gradients.

Init tolerances come from the sample size n: a normal sample's mean is within
5 * std / sqrt(n) of the true mean and its std within 5 * std / sqrt(2 n).
"""

import math

import numpy as np
import pytest
from finite_gradients import assert_training_step_is_finite

import tinycnn
import tinycnn.nn as nn
from tinycnn.models import vgg
from tinycnn.nn import init

# torchvision 0.29.1: VGG*_Weights.IMAGENET1K_V1.meta["num_params"], and the same numbers
# from counting the parameters of each model built in the torchvision venv.
PARAMS = {
    "vgg11": 132_863_336,
    "vgg11_bn": 132_868_840,
    "vgg13": 133_047_848,
    "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544,
    "vgg16_bn": 138_365_992,
    "vgg19": 143_667_240,
    "vgg19_bn": 143_678_248,
}


def count(model):
    return sum(p.data.size for p in model.parameters())


def image(*shape):
    return tinycnn.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def assert_normal(array, mean, std):
    n = array.size
    assert abs(array.mean(dtype=np.float64) - mean) < 5 * std / math.sqrt(n)
    assert abs(array.std(dtype=np.float64) - std) < 5 * std / math.sqrt(2 * n)


@pytest.fixture
def no_init_draws(monkeypatch):
    """Leave weights uninitialized: a VGG's 130+ million random draws take seconds, and
    counting parameters or inspecting layers does not need them."""
    monkeypatch.setattr(init, "uniform_", lambda tensor, *args, **kwargs: tensor)
    monkeypatch.setattr(init, "normal_", lambda tensor, *args, **kwargs: tensor)


@pytest.mark.parametrize("name", list(PARAMS))
def test_parameter_count_and_depth(name, no_init_draws):
    model = getattr(vgg, name)()
    assert count(model) == PARAMS[name]
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    depth = int(name[3:5])  # weight layers: the 11, 13, 16 or 19 of the name
    assert len(convs) + 3 == depth
    assert len(norms) == (len(convs) if name.endswith("_bn") else 0)
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)
    pools = [m for m in model.features if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 5


def test_builder_arguments_reach_the_classifier(no_init_draws):
    model = vgg.vgg13_bn(num_classes=7, dropout=0.25)
    assert model.classifier[6].out_features == 7
    assert model.classifier[2].p == model.classifier[5].p == 0.25


def test_configurations_are_the_papers_columns():
    # The convolutions per stage of Table 1's columns A, B, D, E.
    stages = {}
    for column, cfg in vgg.cfgs.items():
        per_stage, n = [], 0
        for v in cfg:
            if v == "M":
                per_stage.append(n)
                n = 0
            else:
                n += 1
        stages[column] = per_stage
    assert stages == {
        "A": [1, 1, 2, 2, 2],
        "B": [2, 2, 2, 2, 2],
        "D": [2, 2, 3, 3, 3],
        "E": [2, 2, 4, 4, 4],
    }


@pytest.fixture(scope="module")
def vgg11_bn():
    tinycnn.manual_seed(0)
    return vgg.vgg11_bn(num_classes=10)  # built once: its initialization takes seconds


def test_torchvision_initialization(vgg11_bn):
    for m in vgg11_bn.modules():
        if isinstance(m, nn.Conv2d):
            out_channels, _, kh, kw = m.weight.shape
            assert_normal(m.weight.data, 0.0, math.sqrt(2.0 / (out_channels * kh * kw)))
            np.testing.assert_array_equal(m.bias.data, 0.0)
        elif isinstance(m, nn.BatchNorm2d):
            np.testing.assert_array_equal(m.weight.data, 1.0)
            np.testing.assert_array_equal(m.bias.data, 0.0)
        elif isinstance(m, nn.Linear):
            assert_normal(m.weight.data, 0.0, 0.01)
            np.testing.assert_array_equal(m.bias.data, 0.0)


def test_output_shapes(vgg11_bn):
    vgg11_bn.eval()
    assert vgg11_bn(image(2, 3, 64, 64)).shape == (2, 10)
    # 32 x 32 is the smallest input: five pools bring it to 1 x 1, which avgpool repeats.
    assert vgg11_bn(image(1, 3, 32, 32)).shape == (1, 10)


def test_forward_backward_gives_finite_gradients(vgg11_bn):
    assert_training_step_is_finite(vgg11_bn, image(1, 3, 64, 64), np.array([7]))
    assert np.abs(vgg11_bn.features[0].weight.grad).sum() > 0  # it reaches the first layer
