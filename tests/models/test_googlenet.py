"""GoogLeNet: torchvision's (`googlenet`) and the paper's (`googlenet_paper`).

Parameter counts (torchvision's published ones; the paper variant's recomputed here from the
paper's Table 1), the output convention (a named tuple with the auxiliary logits in training,
the logits alone in evaluation), the smallest input, `transform_input`, the initialization,
and gradients: finite on every parameter, and right along a random direction (float64).
"""

import math

import numpy as np
import pytest
from finite_gradients import assert_finite_gradients

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.gradcheck import directional_gradcheck
from tinycnn.models.googlenet import BasicConv2d, GoogLeNetOutputs, googlenet
from tinycnn.models.googlenet_paper import googlenet_paper

# "Going Deeper with Convolutions", Table 1: each Inception block's
# (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj), and its output depth.
TABLE1 = {
    "3a": ((64, 96, 128, 16, 32, 32), 256),
    "3b": ((128, 128, 192, 32, 96, 64), 480),
    "4a": ((192, 96, 208, 16, 48, 64), 512),
    "4b": ((160, 112, 224, 24, 64, 64), 512),
    "4c": ((128, 128, 256, 24, 64, 64), 512),
    "4d": ((112, 144, 288, 32, 64, 64), 528),
    "4e": ((256, 160, 320, 32, 128, 128), 832),
    "5a": ((256, 160, 320, 32, 128, 128), 832),
    "5b": ((384, 192, 384, 48, 128, 128), 1024),
}


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def paper_parameter_count(num_classes, aux_logits):
    """Weights and biases of the paper's network, from Table 1 and the text of section 5."""

    def conv(c_in, c_out, k):
        return c_in * c_out * k * k + c_out

    total = conv(3, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)  # the stem
    depth, depths = 192, {}
    for name, ((n1x1, r3x3, n3x3, r5x5, n5x5, proj), table_depth) in TABLE1.items():
        total += conv(depth, n1x1, 1) + conv(depth, r3x3, 1) + conv(r3x3, n3x3, 3)
        total += conv(depth, r5x5, 1) + conv(r5x5, n5x5, 5) + conv(depth, proj, 1)
        depth = n1x1 + n3x3 + n5x5 + proj
        assert depth == table_depth
        depths[name] = depth
    total += conv(depth, num_classes, 1)  # the linear classifier on the pooled 1024 features
    if aux_logits:  # 1x1 conv to 128 on a 4 x 4 map, fc 1024, fc num_classes
        for name in ("4a", "4d"):
            total += conv(depths[name], 128, 1) + conv(128 * 4 * 4, 1024, 1)
            total += conv(1024, num_classes, 1)
    return total


def images(shape, dtype=np.float32, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return tinycnn.tensor(data)


def total_loss(outputs, target):
    """The paper's training loss: the main one plus 0.3 times each auxiliary one."""
    loss = F.cross_entropy(outputs.logits, target)
    return loss + 0.3 * (
        F.cross_entropy(outputs.aux_logits1, target) + F.cross_entropy(outputs.aux_logits2, target)
    )


@pytest.fixture(scope="module")
def full_googlenet():
    tinycnn.manual_seed(0)
    return googlenet()


@pytest.fixture(scope="module")
def paper_model():
    tinycnn.manual_seed(0)
    return googlenet_paper()


# ------------------------------------------------------------------ parameter counts


def test_googlenet_parameter_counts_equal_torchvisions(full_googlenet):
    assert parameter_count(full_googlenet) == 13_004_888
    without_aux = googlenet(aux_logits=False, init_weights=False)
    assert parameter_count(without_aux) == 6_624_904
    assert not any(key.startswith("aux") for key in without_aux.state_dict())


def test_paper_parameter_counts_follow_table1(paper_model):
    assert parameter_count(paper_model) == paper_parameter_count(1000, aux_logits=True)
    without_aux = googlenet_paper(num_classes=10, aux_logits=False)
    assert parameter_count(without_aux) == paper_parameter_count(10, aux_logits=False)
    assert paper_parameter_count(1000, aux_logits=True) == 13_378_280
    assert paper_parameter_count(1000, aux_logits=False) == 6_998_552


def test_paper_layers_are_the_papers(paper_model):
    modules = list(paper_model.modules())
    assert not any(isinstance(m, nn.BatchNorm2d) for m in modules)
    assert all(m.bias is not None for m in modules if isinstance(m, (nn.Conv2d, nn.Linear)))
    assert paper_model.inception3a.branch3[1].conv.kernel_size == (5, 5)
    assert paper_model.inception3a.branch3[1].conv.padding == (2, 2)
    for lrn in (paper_model.lrn1, paper_model.lrn2):
        assert (lrn.size, lrn.alpha, lrn.beta, lrn.k) == (5, 1e-4, 0.75, 1.0)
    assert paper_model.maxpool4.kernel_size == 3 and paper_model.dropout.p == 0.4


def test_googlenet_rejects_a_wrong_number_of_blocks():
    with pytest.raises(ValueError, match="blocks must hold 3 block types"):
        googlenet(blocks=[BasicConv2d])


# ------------------------------------------------------------------ outputs


def test_googlenet_training_step_then_evaluation_down_to_the_smallest_input():
    """Training: the named tuple, and the paper's loss gives a finite gradient on every
    parameter. Evaluation: the logits alone, down to 15 x 15, the smallest input (4a sees
    1 x 1, which the auxiliary heads would pool up to 4 x 4); at 14 x 14, maxpool3 would get
    a 1 x 1 map."""
    tinycnn.manual_seed(2)
    model = googlenet(num_classes=7)
    outputs = model(images((2, 3, 32, 32)))
    assert isinstance(outputs, GoogLeNetOutputs)
    assert [out.shape for out in outputs] == [(2, 7)] * 3
    total_loss(outputs, np.array([1, 5])).backward()
    assert_finite_gradients(model)

    logits = model.eval()(images((1, 3, 15, 15)))
    assert isinstance(logits, tinycnn.Tensor) and logits.shape == (1, 7)
    with pytest.raises(ValueError, match="max_pool2d"):
        model(images((1, 3, 14, 14)))


def test_googlenet_without_aux_heads_returns_logits_in_training():
    model = googlenet(num_classes=7, aux_logits=False, init_weights=False)
    logits = model(images((2, 3, 15, 15)))  # BatchNorm needs 2 samples at 1 x 1
    assert isinstance(logits, tinycnn.Tensor) and logits.shape == (2, 7)


def test_transform_input_renormalizes_imagenet_inputs_to_half_scale():
    model = googlenet(num_classes=7, aux_logits=False, transform_input=True, init_weights=False)
    pixels = np.random.default_rng(1).random((1, 3, 15, 15)).astype(np.float32)
    mean = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    x = tinycnn.tensor((pixels - mean) / std)

    transformed = model._transform_input(x).numpy()
    np.testing.assert_allclose(transformed, (pixels - 0.5) / 0.5, atol=1e-5)

    model.eval()
    with_transform = model(x).numpy()
    model.transform_input = False
    by_hand = tinycnn.tensor(x.numpy() * (std / 0.5) + (mean - 0.5) / 0.5)
    np.testing.assert_allclose(model(by_hand).numpy(), with_transform, rtol=1e-5, atol=1e-6)
    assert model._transform_input(x) is x


def test_paper_outputs_at_224_and_gradients(paper_model):
    """One training step's forward and backward at 224 x 224 (the 7x7 average pool needs
    a 7 x 7 map), then the evaluation forward."""
    x = images((1, 3, 224, 224))
    paper_model.train()
    outputs = paper_model(x)
    assert isinstance(outputs, GoogLeNetOutputs)
    assert [out.shape for out in outputs] == [(1, 1000)] * 3
    total_loss(outputs, np.array([3])).backward()
    assert_finite_gradients(paper_model)
    paper_model.zero_grad()

    logits = paper_model.eval()(x)
    assert isinstance(logits, tinycnn.Tensor) and logits.shape == (1, 1000)


# ------------------------------------------------------------------ initialization


def test_googlenet_initialization(full_googlenet):
    modules = list(full_googlenet.modules())
    weights = [m.weight.numpy() for m in modules if isinstance(m, (nn.Conv2d, nn.Linear))]
    flat = np.concatenate([w.ravel() for w in weights])
    assert abs(flat.mean()) < 1e-4
    assert flat.std() == pytest.approx(0.01, rel=0.01)
    batch_norms = [m for m in modules if isinstance(m, nn.BatchNorm2d)]
    assert all(
        (bn.weight.numpy() == 1).all() and (bn.bias.numpy() == 0).all() for bn in batch_norms
    )
    # torchvision leaves the Linear biases at their default U(-1/sqrt(in), 1/sqrt(in)).
    bias = full_googlenet.fc.bias.numpy()
    assert np.abs(bias).max() <= 1 / 32 and bias.std() == pytest.approx(1 / 32 / 3**0.5, rel=0.1)


def test_paper_initialization_is_the_caffe_models(paper_model):
    for m in paper_model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight.numel() // m.weight.shape[0]
            bound = math.sqrt(3 / fan_in) * (1 + 1e-6)  # float32 rounding may round up
            assert np.abs(m.weight.numpy()).max() <= bound
    w = paper_model.inception5b.branch2[1].conv.weight.numpy()  # 192 x 9 fan in, 663552 draws
    assert w.std() == pytest.approx(1 / math.sqrt(192 * 9), rel=0.01)
    assert (paper_model.conv1.conv.bias.numpy() == np.float32(0.2)).all()
    assert (paper_model.aux1.fc1.bias.numpy() == np.float32(0.2)).all()
    for classifier in (paper_model.fc, paper_model.aux1.fc2, paper_model.aux2.fc2):
        assert (classifier.bias.numpy() == 0).all()


# ------------------------------------------------------------------ gradients


def test_googlenet_directional_gradcheck_in_training_mode():
    """float64, BatchNorm on batch statistics, no dropout: a deterministic forward whose
    gradient with respect to the input and every parameter is checked at once."""
    tinycnn.manual_seed(3)
    model = googlenet(num_classes=5, dropout=0.0, dropout_aux=0.0).double()
    x = images((2, 3, 32, 32), dtype=np.float64)
    x.requires_grad = True
    parameters = list(model.parameters())
    assert directional_gradcheck(lambda x, *params: model(x), [x, *parameters])


def test_weights_file_gives_torchvisions_pretrained_configuration(tmp_path):
    """With weights, torchvision turns transform_input on and drops the aux heads (which
    its files hold) unless aux_logits=True is passed."""
    source = googlenet(num_classes=3, dropout=0.0, dropout_aux=0.0)
    path = tmp_path / "googlenet.npz"
    tinycnn.save(source, path)
    loaded = googlenet(num_classes=3, weights=path)
    assert loaded.transform_input and not loaded.aux_logits
    assert loaded.aux1 is None and loaded.aux2 is None
    assert not any(key.startswith("aux") for key in loaded.state_dict())
    np.testing.assert_array_equal(
        loaded.state_dict()["fc.weight"], source.state_dict()["fc.weight"]
    )
    kept = googlenet(num_classes=3, weights=path, aux_logits=True, transform_input=False)
    assert kept.aux_logits and not kept.transform_input
    assert set(kept.state_dict()) == set(source.state_dict())
