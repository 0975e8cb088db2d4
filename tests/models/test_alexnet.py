"""AlexNet, torchvision's and the paper's: sizes, structure, initialization, gradients.

Init tolerances come from the sample size n: a normal sample's mean is within
5 * std / sqrt(n) of the true mean and its std within 5 * std / sqrt(2 n).
"""

import math

import numpy as np
import pytest
from finite_gradients import assert_training_step_is_finite

import tinycnn
from tinycnn.models.alexnet import alexnet, alexnet_paper


def count(model):
    return sum(p.data.size for p in model.parameters())


def image(*shape):
    return tinycnn.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


@pytest.fixture(scope="module")
def paper():
    tinycnn.manual_seed(0)
    return alexnet_paper()  # built once: 61 million draws take seconds


def test_alexnet_parameter_count_and_output_shape():
    tinycnn.manual_seed(0)
    model = alexnet()
    # torchvision 0.29.1: AlexNet_Weights.IMAGENET1K_V1.meta["num_params"].
    assert count(model) == 61_100_840
    model.eval()
    # 63 x 63 is the smallest input (torchvision's min_size): conv1 15, then 7, 7, 3, 3, 1.
    assert model(image(2, 3, 63, 63)).shape == (2, 1000)
    assert model.classifier[0].p == model.classifier[3].p == 0.5


def test_alexnet_paper_parameter_count(paper):
    # Worked out from the paper's layer sizes (conv2/4/5 in 2 groups; no torchvision model):
    # conv 34,944 + 307,456 + 885,120 + 663,936 + 442,624
    # fc 37,752,832 + 16,781,312 + 4,097,000.
    assert count(paper) == 60_965_224


def test_alexnet_paper_groups_and_layer_order(paper):
    f = paper.features
    kinds = [type(m).__name__ for m in f]
    assert kinds == [
        "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
        "Conv2d", "ReLU", "LocalResponseNorm", "MaxPool2d",
        "Conv2d", "ReLU", "Conv2d", "ReLU", "Conv2d", "ReLU", "MaxPool2d",
    ]  # fmt: skip
    convs = {i: f[i] for i in (0, 4, 8, 10, 12)}
    assert {i: c.groups for i, c in convs.items()} == {0: 1, 4: 2, 8: 1, 10: 2, 12: 2}
    assert {i: c.weight.shape for i, c in convs.items()} == {
        0: (96, 3, 11, 11),
        4: (256, 48, 5, 5),
        8: (384, 256, 3, 3),
        10: (384, 192, 3, 3),
        12: (256, 192, 3, 3),
    }
    assert f[0].stride == (4, 4) and f[0].padding == (0, 0) and f[4].padding == (2, 2)
    for i in (3, 7, 14):  # overlapping pooling: 3x3 windows, stride 2
        assert (f[i].kernel_size, f[i].stride) == (3, 2)
    for i in (2, 6):  # the paper's k=2, n=5, alpha=1e-4 per element: 5e-4 in torch's convention
        lrn = f[i]
        assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 5e-4, 0.75, 2.0)
    c = paper.classifier
    assert [type(m).__name__ for m in c] == [
        "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear",
    ]  # fmt: skip
    assert c[2].p == c[5].p == 0.5


def test_alexnet_paper_lrn_is_the_papers_formula(paper):
    """b = a / (k + alpha * sum of a^2 over the 5 nearest channels) ** beta, section 3.3."""
    a = np.random.default_rng(1).standard_normal((1, 8, 3, 3)) * 30
    padded = np.pad(a**2, ((0, 0), (2, 2), (0, 0), (0, 0)))
    window_sums = sum(padded[:, i : i + 8] for i in range(5))
    expected = a / (2.0 + 1e-4 * window_sums) ** 0.75
    out = paper.features[2](tinycnn.tensor(a))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_alexnet_paper_groups_are_two_towers(paper):
    """conv2's first 128 outputs read only the first 48 input channels."""
    conv2 = paper.features[4]
    x = np.random.default_rng(2).standard_normal((1, 96, 7, 7)).astype(np.float32)
    y = x.copy()
    y[:, 48:] += 1.0
    out_x, out_y = conv2(tinycnn.tensor(x)).data, conv2(tinycnn.tensor(y)).data
    np.testing.assert_array_equal(out_x[:, :128], out_y[:, :128])
    assert not np.allclose(out_x[:, 128:], out_y[:, 128:])


def test_alexnet_paper_initialization(paper):
    layers = [paper.features[i] for i in (0, 4, 8, 10, 12)] + [
        paper.classifier[i] for i in (0, 3, 6)
    ]
    biases = [0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    for layer, bias in zip(layers, biases, strict=True):
        w, n = layer.weight.data, layer.weight.data.size
        assert abs(w.mean(dtype=np.float64)) < 5 * 0.01 / math.sqrt(n)
        assert abs(w.std(dtype=np.float64) - 0.01) < 5 * 0.01 / math.sqrt(2 * n)
        np.testing.assert_array_equal(layer.bias.data, bias)


def test_alexnet_paper_output_shape_and_224_is_refused(paper):
    paper.eval()
    assert paper(image(1, 3, 227, 227)).shape == (1, 1000)
    with pytest.raises(ValueError, match=r"256 x 6 x 6 \(a 227 x 227 input\), got 256 x 5 x 5"):
        paper(image(1, 3, 224, 224))


def test_alexnet_paper_forward_backward_gives_finite_gradients(paper):
    assert_training_step_is_finite(paper, image(1, 3, 227, 227), np.array([3]))
    # fc8's bias gradient is softmax - onehot, never zero; the biases of 1 keep conv5's
    # ReLUs open, so the gradient reaches conv1.
    assert np.abs(paper.classifier[6].bias.grad).sum() > 0
    assert np.abs(paper.features[0].weight.grad).sum() > 0
