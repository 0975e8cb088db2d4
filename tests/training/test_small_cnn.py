"""small_cnn: shapes, parameter count, the registry entry, gradients."""

import numpy as np

import tinycnn
import tinycnn.nn.functional as F
from tinycnn import models
from tinycnn.models.small_cnn import SmallCNN


def test_it_is_in_the_registry_with_the_other_builders():
    assert "small_cnn" in models.list_models()
    net = models.get_model("small_cnn", num_classes=7, in_channels=3)
    assert net.fc.weight.shape == (7, 64)
    assert net.features[0].weight.shape == (16, 3, 3, 3)


def test_parameter_count_matches_its_layers():
    w, C, K = 16, 1, 10
    # conv (no bias) + BatchNorm weight and bias, for each stage; then the linear layer.
    expected = (C * w * 9 + 2 * w) + (w * 2 * w * 9 + 2 * 2 * w) + (2 * w * 4 * w * 9 + 2 * 4 * w)
    expected += 4 * w * K + K
    net = SmallCNN(num_classes=K, in_channels=C, width=w)
    assert sum(p.numel() for p in net.parameters()) == expected == 24_058


def test_any_input_of_at_least_8x8_gives_one_score_per_class():
    tinycnn.manual_seed(0)
    net = models.small_cnn(num_classes=10).eval()
    for size in (8, 28, 32, 45):
        x = tinycnn.tensor(np.zeros((2, 1, size, size), np.float32))
        assert net(x).shape == (2, 10)


def test_every_parameter_gets_a_gradient():
    tinycnn.manual_seed(0)
    net = models.small_cnn(num_classes=3, in_channels=2, width=4)
    x = tinycnn.tensor(np.random.default_rng(0).random((4, 2, 16, 16), dtype=np.float32))
    F.cross_entropy(net(x), np.array([0, 1, 2, 1])).backward()
    for name, param in net.named_parameters():
        assert param.grad is not None and param.grad.shape == param.shape, name
        assert np.any(param.grad != 0), name
