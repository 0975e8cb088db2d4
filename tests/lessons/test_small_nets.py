"""`LessonCNN`: each switch changes only its own layers."""

import numpy as np
import pytest

import tinycnn.nn as nn
from tinycnn import rng
from tinycnn.lessons.small_nets import LessonCNN
from tinycnn.models.small_cnn import SmallCNN
from tinycnn.tensor import tensor


def kinds(model):
    return [type(layer).__name__ for layer in model.features]


def test_the_default_has_small_cnns_layers_and_parameter_count():
    assert sum(p.data.size for p in LessonCNN().parameters()) == sum(
        p.data.size for p in SmallCNN(num_classes=10, in_channels=1).parameters()
    )
    assert kinds(LessonCNN()) == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"] * 3


def test_without_batch_norm_the_convolutions_get_biases():
    model = LessonCNN(batch_norm=False)
    assert kinds(model) == ["Conv2d", "ReLU", "MaxPool2d"] * 3
    assert all(layer.bias is not None for layer in model.features if isinstance(layer, nn.Conv2d))


def test_lrn_follows_the_first_two_relus_only():
    assert kinds(LessonCNN(batch_norm=False, lrn=True)) == (
        ["Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d"] * 2 + ["Conv2d", "ReLU", "MaxPool2d"]
    )


@pytest.mark.parametrize("pool", [(2, 2, 0), (3, 2, 1)])
def test_both_poolings_give_the_same_shapes(pool):
    x = tensor(np.zeros((2, 1, 16, 16), np.float32))
    assert LessonCNN(pool=pool)(x).shape == (2, 10)
    assert LessonCNN(pool=pool).features[:4](x).shape == (2, 16, 8, 8)


def test_dropout_zeroes_units_only_in_training():
    rng.manual_seed(0)
    model = LessonCNN(dropout=0.5)
    x = tensor(np.random.default_rng(0).random((4, 1, 16, 16)).astype(np.float32))
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)  # no dropout in evaluation
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)  # a new mask each call
