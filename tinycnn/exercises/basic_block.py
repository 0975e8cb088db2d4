"""Exercise basic_block: ResNet's BasicBlock as a Module, checked against the library's."""

import numpy as np

import tinycnn.nn as nn
from tinycnn.exercises import modules, plug
from tinycnn.exercises.failure import Mistake, call
from tinycnn.models import resnet
from tinycnn.tensor import no_grad, tensor

NAME = "basic_block"
SUMMARY = "ResNet's BasicBlock as a Module: two 3x3 convolutions and a shortcut"
FUNCTIONS = ("BasicBlock",)
SOLUTION = "tinycnn.exercises.solutions.basic_block"
SKELETON = '''"""Exercise basic_block. Check it with: tinycnn exercises check THIS_FILE

ResNet's building block (He et al., 2016, figure 2): the input x goes through two 3x3
convolutions, each followed by BatchNorm, with a ReLU between them; then the shortcut
adds x back, and a last ReLU follows:

    out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))

shortcut(x) is x itself, or downsample(x) when the block changes the shape (stride 2 or
a new number of channels). Name the layers as torchvision does (conv1, bn1, relu, conv2,
bn2, downsample): the check loads the library block's weights into yours by name.
"""

import tinycnn.nn as nn


class BasicBlock(nn.Module):
    """Args:
        inplanes: C, the input channels. planes: the output channels.
        stride: conv1's stride (2 halves H and W).
        downsample: a Module for the shortcut (a 1x1 convolution with the stride, and a
            BatchNorm), or None for the identity.

    Shape:
        x: (N, inplanes, H, W) -> (N, planes, (H - 1) // stride + 1, (W - 1) // stride + 1).
    """

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        # conv1: 3x3, stride, padding 1, no bias (BatchNorm follows); bn1; relu;
        # conv2: 3x3, padding 1, no bias; bn2; and self.downsample = downsample.
        raise NotImplementedError

    def forward(self, x):
        raise NotImplementedError
'''

NAMING = ("name the layers conv1, bn1, relu, conv2, bn2 and downsample (torchvision's names), "
          "with no bias in the convolutions")  # fmt: skip
CASES = [(4, 4, 1, (2, 4, 6, 6)), (4, 8, 2, (2, 4, 7, 7)), (3, 6, 1, (1, 3, 5, 4))]


def _downsample(inplanes, planes, stride):
    """The shortcut ResNet builds when the shape changes (as `ResNet._make_layer` does)."""
    if stride == 1 and inplanes == planes:
        return None
    return nn.Sequential(resnet.conv1x1(inplanes, planes, stride), nn.BatchNorm2d(planes))


def _mistakes(block, x):
    def branch():
        return block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))

    def shortcut():
        return x if block.downsample is None else block.downsample(x)

    def evaluate(fn):
        def run():
            with no_grad():
                return fn().data

        return run

    return [
        Mistake("the last ReLU comes after adding the shortcut: relu(branch + shortcut)",
                evaluate(lambda: branch() + shortcut())),
        Mistake("the shortcut is missing: add x (or downsample(x)) before the last ReLU",
                evaluate(lambda: block.relu(branch()))),
        Mistake("bn2 comes before the addition, no ReLU between bn2 and the addition",
                evaluate(lambda: block.relu(block.relu(branch()) + shortcut()))),
    ]  # fmt: skip


def check(learner):
    """Build both blocks, load the library's weights into the learner's, compare."""
    for inplanes, planes, stride, shape in CASES:
        words = f"inplanes = {inplanes}, planes = {planes}, stride = {stride}, x {shape}"
        library = resnet.BasicBlock(inplanes, planes, stride, _downsample(inplanes, planes, stride))
        modules.randomize(library, seed=inplanes + planes)
        mine = call("BasicBlock", words, learner.BasicBlock, inplanes, planes, stride,
                    _downsample(inplanes, planes, stride))  # fmt: skip
        modules.load_same_weights("BasicBlock", words, mine, library, NAMING)
        x = np.random.default_rng(stride).standard_normal(shape)
        library.eval()
        modules.compare_runs("BasicBlock", words, mine, library, x,
                             _mistakes(library, tensor(x)))  # fmt: skip
    return len(CASES)


def _swap_blocks(model, learner_class):
    """Replace every BasicBlock of a ResNet by the learner's, with the same weights."""
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        for i, block in enumerate(layer):
            inplanes, planes = block.conv1.in_channels, block.conv1.out_channels
            mine = learner_class(inplanes, planes, block.stride, block.downsample)
            mine.load_state_dict(block.state_dict())
            setattr(layer, str(i), mine)  # keeps its place in the Sequential
    return model


def plug_in(learner, progress):
    """Run resnet18 with every BasicBlock replaced by the learner's, same weights."""
    difference = plug.compare_models(
        lambda: resnet.resnet18(num_classes=10),
        lambda model: _swap_blocks(model, learner.BasicBlock),
    )
    return (f"resnet18 with your BasicBlock in all 8 places (same weights, a 64 x 64 image): "
            f"its logits differ from the library's by {difference:.1e} (relative)")  # fmt: skip
