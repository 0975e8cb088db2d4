"""Exercise dense_layer: DenseNet's dense layer as a Module, checked against the library's."""

import numpy as np

from tinycnn.exercises import modules, plug
from tinycnn.exercises.failure import CheckError, Mistake, call
from tinycnn.models import densenet
from tinycnn.nn import functional as F
from tinycnn.tensor import no_grad, tensor

NAME = "dense_layer"
SUMMARY = "DenseNet's dense layer as a Module: BN-ReLU-Conv1x1, BN-ReLU-Conv3x3, k new maps"
FUNCTIONS = ("DenseLayer",)
SOLUTION = "tinycnn.exercises.solutions.dense_layer"
SKELETON = '''"""Exercise dense_layer. Check it with: tinycnn exercises check THIS_FILE

A dense layer of DenseNet (Huang et al., 2017) sees the concatenation of all earlier
feature maps of its block and adds k (the growth rate) new ones. It is "pre-activation":
BatchNorm and ReLU come before each convolution.

    x   = concatenation of the inputs along the channels           N x C x H x W
    x   = conv1(relu1(norm1(x)))     1x1, C -> bn_size * k           N x Bk x H x W
    new = conv2(relu2(norm2(x)))     3x3, padding 1, Bk -> k         N x k x H x W
    new = dropout(new, p=drop_rate) in training mode, if drop_rate > 0

It returns only the k new maps (the block concatenates them to the rest). Name the
layers norm1, relu1, conv1, norm2, relu2, conv2 (torchvision's names; no bias in the
convolutions): the check loads the library layer's weights into yours by name.
"""

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F


class DenseLayer(nn.Module):
    """Args:
        num_input_features: C. growth_rate: k. bn_size: B (the bottleneck is B*k wide).
        drop_rate: dropout probability of the new features while training.

    Shape:
        input: a Tensor (N, C, H, W), or a list of Tensors whose channels add up to C.
        output: (N, k, H, W).
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        raise NotImplementedError

    def forward(self, input):
        # tinycnn.cat(list_of_tensors, 1) concatenates along the channels.
        raise NotImplementedError
'''

NAMING = ("name the layers norm1, relu1, conv1, norm2, relu2 and conv2 (torchvision's names), "
          "with no bias in the convolutions")  # fmt: skip
SHAPES = ("BatchNorm and ReLU come before each convolution (pre-activation): norm1 normalizes "
          "the C input channels, norm2 the bn_size * k channels of the bottleneck")  # fmt: skip
CASES = [(4, 2, 2, 0.0, (2, 4, 5, 5)), (6, 3, 4, 0.2, (2, 6, 4, 3))]


def _mistakes(layer, x):
    def returning_everything():
        with no_grad():
            new = layer.conv2(layer.relu2(layer.norm2(layer.conv1(layer.relu1(layer.norm1(x))))))
            return F.cat([x, new], 1).data

    return [
        Mistake("return only the k new feature maps, not the input concatenated with them",
                returning_everything),
    ]  # fmt: skip


def check(learner):
    """Build both layers, load the library's weights into the learner's, compare; the
    input comes as one Tensor and as a list of two."""
    for C, k, bn_size, drop_rate, shape in CASES:
        words = (f"num_input_features = {C}, growth_rate = {k}, bn_size = {bn_size}, "
                 f"drop_rate = {drop_rate}, x {shape}")  # fmt: skip
        library = densenet._DenseLayer(C, k, bn_size, drop_rate)
        modules.randomize(library, seed=C + k)
        mine = call("DenseLayer", words, learner.DenseLayer, C, k, bn_size, drop_rate)
        modules.load_same_weights("DenseLayer", words, mine, library, NAMING, SHAPES)
        x = np.random.default_rng(C).standard_normal(shape)
        library.eval()
        modules.compare_runs("DenseLayer", words, mine, library, x, _mistakes(library, tensor(x)))
        _check_list_input(mine, library, x, words)
    return len(CASES)


def _check_list_input(mine, library, x, words):
    """The same input split in two along the channels must give the same output."""
    mine.eval()
    library.eval()
    half = x.shape[1] // 2
    parts = [tensor(x[:, :half]), tensor(x[:, half:])]
    words = f"{words}, given as a list of two Tensors of {half} and {x.shape[1] - half} channels"
    hint = "concatenate a list input along the channels: tinycnn.cat(input, 1)"
    with no_grad():
        expected = library(parts).data
        try:
            out = call("DenseLayer", words, mine, parts)
        except CheckError as failure:
            raise CheckError("DenseLayer", words, failure.problem, hint) from None
    if not np.allclose(getattr(out, "data", None), expected):
        raise CheckError("DenseLayer", words, "gives another output for a list input", hint)


def _swap_layers(model, learner_class):
    """Replace every dense layer of a DenseNet by the learner's, with the same weights."""
    for block in model.features.children():
        if isinstance(block, densenet._DenseBlock):
            for name, layer in list(block.named_children()):
                mine = learner_class(layer.conv1.in_channels, layer.conv2.out_channels,
                                     layer.conv1.out_channels // layer.conv2.out_channels,
                                     layer.drop_rate)  # fmt: skip
                mine.load_state_dict(layer.state_dict())
                setattr(block, name, mine)  # keeps its place in the block
    return model


def plug_in(learner, progress):
    """Run densenet121 with every dense layer replaced by the learner's, same weights."""
    difference = plug.compare_models(
        lambda: densenet.densenet121(num_classes=10),
        lambda model: _swap_layers(model, learner.DenseLayer),
    )
    return (
        f"densenet121 with your DenseLayer in all 58 places (same weights, a 64 x 64 "
        f"image): its logits differ from the library's by {difference:.1e} (relative)"
    )
