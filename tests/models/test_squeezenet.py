"""SqueezeNet 1.0 and 1.1: sizes, the Fire module, torchvision's initialization, gradients.

Init tolerances come from the sample size n: a sample's mean is within 5 standard errors
of the true mean, a normal sample's std within 5 * std / sqrt(2 n), and a U(-b, b)
sample's std within 5 * b / sqrt(15 n) of b / sqrt(3).
"""

import math

import numpy as np
import pytest
from finite_gradients import assert_training_step_is_finite

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.gradcheck import directional_gradcheck
from tinycnn.models.squeezenet import Fire, SqueezeNet, squeezenet1_0, squeezenet1_1


def count(model):
    return sum(p.data.size for p in model.parameters())


def image(*shape, dtype=np.float32):
    return tinycnn.tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))


@pytest.mark.parametrize(
    "builder, params",
    # torchvision 0.29.1: SqueezeNet1_{0,1}_Weights.IMAGENET1K_V1.meta["num_params"],
    # the same numbers as counted in the torchvision venv.
    [(squeezenet1_0, 1_248_424), (squeezenet1_1, 1_235_496)],
)
def test_parameter_count(builder, params):
    model = builder()
    assert count(model) == params
    fires = [m for m in model.features if isinstance(m, Fire)]
    assert len(fires) == 8
    assert count(builder(num_classes=10)) == params - 513 * 990  # final conv: 512 + 1 per class


@pytest.mark.parametrize(
    "builder, size",
    [(squeezenet1_0, 64), (squeezenet1_1, 64), (squeezenet1_0, 21), (squeezenet1_1, 17)],
)
def test_output_shape(builder, size):
    # 21 and 17 are the smallest inputs torchvision's models accept (fire9 sees 1 x 1).
    tinycnn.manual_seed(0)
    model = builder(num_classes=10).eval()
    assert model(image(2, 3, size, size)).shape == (2, 10)


def test_version_must_be_known():
    with pytest.raises(ValueError, match="SqueezeNet: version must be '1_0' or '1_1', got '1_2'"):
        SqueezeNet("1_2")


def test_builder_arguments():
    model = squeezenet1_1(num_classes=7, dropout=0.25)
    assert model.num_classes == 7 and model.classifier[1].out_channels == 7
    assert model.classifier[0].p == 0.25


def test_fire_concatenates_its_two_expand_branches():
    tinycnn.manual_seed(0)
    fire = Fire(12, 4, 5, 6)
    x = image(2, 12, 7, 7)
    squeezed = F.relu(fire.squeeze(x))
    expected = np.concatenate(
        [F.relu(fire.expand1x1(squeezed)).data, F.relu(fire.expand3x3(squeezed)).data], axis=1
    )
    out = fire(x)
    assert out.shape == (2, 11, 7, 7)
    np.testing.assert_array_equal(out.data, expected)


def test_torchvision_initialization():
    tinycnn.manual_seed(0)
    model = squeezenet1_0()
    final = model.classifier[1]
    for m in model.modules():
        if not isinstance(m, nn.Conv2d):
            continue
        np.testing.assert_array_equal(m.bias.data, 0.0)
        w, n = m.weight.data, m.weight.data.size
        if m is final:
            std = 0.01
            assert abs(w.std(dtype=np.float64) - std) < 5 * std / math.sqrt(2 * n)
        else:  # kaiming_uniform_ defaults: fan_in, gain sqrt(2), so b = sqrt(6 / fan_in)
            b = math.sqrt(6.0 / (n // m.weight.shape[0]))
            std = b / math.sqrt(3)
            assert np.abs(w).max() <= b
            assert abs(w.std(dtype=np.float64) - std) < 5 * b / math.sqrt(15 * n)
        assert abs(w.mean(dtype=np.float64)) < 5 * std / math.sqrt(n)


def test_forward_backward_gives_finite_gradients():
    tinycnn.manual_seed(0)
    model = squeezenet1_0(num_classes=10)
    assert_training_step_is_finite(model, image(2, 3, 64, 64), np.array([1, 7]))
    assert np.abs(model.features[0].weight.grad).sum() > 0  # it reaches the first layer


def test_directional_gradcheck_of_the_whole_network():
    """d/dt of the network along one random direction of its input and every parameter."""
    tinycnn.manual_seed(0)
    model = squeezenet1_1(num_classes=4).double().eval()
    x = image(1, 3, 33, 33, dtype=np.float64)
    x.requires_grad = True
    out = model(x)  # 1 x 4: the class maps are 2 x 2 before the average pool
    assert (out.data > 0).any()  # some class score passes the final ReLU: a real check
    directional_gradcheck(lambda x, *params: model(x), [x, *model.parameters()])
