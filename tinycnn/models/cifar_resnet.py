"""The CIFAR-10 ResNets of the ResNet paper, and the same networks without shortcuts.

Kaiming He, Xiangyu Zhang, Shaoqing Ren and Jian Sun, "Deep Residual Learning for Image
Recognition", CVPR 2016 (arXiv:1512.03385), section 4.2. For 32 x 32 images the paper
builds a small network of 6n + 2 weighted layers to compare plain and residual networks
of the same depth, widths and cost:

    stage     output (32 input)   layers
    conv1     16 x 32 x 32        3x3 conv, 16
    stage1    16 x 32 x 32        2n 3x3 convs, 16
    stage2    32 x 16 x 16        2n 3x3 convs, 32; the first has stride 2
    stage3    64 x 8 x 8          2n 3x3 convs, 64; the first has stride 2
    avgpool   64 x 1 x 1          global average pool
    fc        num_classes         linear

Each convolution is followed by BatchNorm and ReLU. The residual networks `resnet20/32/44/56`
(n = 3, 5, 7, 9) group the 3x3 convolutions in pairs, each pair with a shortcut; the plain
networks `plain20/32/44/56` are the same layers without the shortcuts. Every shortcut is
the identity, "option A": where a stage halves the size and doubles the channels, it takes
every second pixel and pads the new channels with zeros, so shortcuts add no parameters
(resnet20 has 0.27M, as the paper's Table 6 says). Weights start as in the paper: He
(Kaiming) normal initialization for the convolutions.
"""

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights
from tinycnn.models.resnet import conv3x3
from tinycnn.tensor import Tensor

__all__ = [
    "CifarResNet",
    "plain20",
    "plain32",
    "plain44",
    "plain56",
    "resnet20",
    "resnet32",
    "resnet44",
    "resnet56",
]

STAGE_WIDTHS = (16, 32, 64)


class ZeroPadShortcut(nn.Module):
    """The paper's option A shortcut: take every second pixel, pad the channels with zeros.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, out_channels, ceil(H / 2), ceil(W / 2)).
    """

    def __init__(self, out_channels):
        super().__init__()
        self.out_channels = out_channels
        # A 1x1 max pool with stride 2 is exactly x[:, :, ::2, ::2]; as a layer, the
        # summary can follow its receptive field.
        self.subsample = nn.MaxPool2d(kernel_size=1, stride=2)

    def forward(self, x):
        x = self.subsample(x)  # N x C x H/2 x W/2
        N, C, H, W = x.shape
        zeros = Tensor(np.zeros((N, self.out_channels - C, H, W), dtype=x.dtype))
        return F.cat([x, zeros], 1)  # N x out_channels x H/2 x W/2


class PairOfConvs(nn.Module):
    """conv-BN-ReLU, conv-BN, plus the shortcut when `residual`, then ReLU.

    Args:
        in_channels, out_channels: C and OC.
        stride: the first convolution's stride; 2 halves H and W.
        residual: add the shortcut (a residual block) or not (two layers of a plain net).

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, OC, H / stride, W / stride).
    """

    def __init__(self, in_channels, out_channels, stride, residual):
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.residual = residual
        changes_shape = stride != 1 or in_channels != out_channels
        self.shortcut = ZeroPadShortcut(out_channels) if residual and changes_shape else None

    def forward(self, x):
        # N x C x H x W
        out = F.relu(self.bn1(self.conv1(x)))  # N x OC x H/stride x W/stride
        out = self.bn2(self.conv2(out))  # N x OC x H/stride x W/stride
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return F.relu(out)  # N x OC x H/stride x W/stride


class CifarResNet(nn.Module):
    """6n + 2 layers: a 3x3 conv, three stages of n pairs of 3x3 convs, pool, linear.

    Args:
        n: the pairs of convolutions per stage (3 for 20 layers, 9 for 56).
        residual: give each pair its identity shortcut (ResNet) or not (plain network).
        num_classes: the classifier's outputs. Default: 10.
        in_channels: C, the input image's channels. Default: 3.

    Shape:
        - Input: (N, C, H, W); the paper uses 32 x 32.
        - Output: (N, num_classes).

    Example:
        >>> net = CifarResNet(n=3, residual=True)
        >>> net(tinycnn.tensor(np.zeros((2, 3, 32, 32), np.float32))).shape
        (2, 10)
    """

    def __init__(self, n, residual, num_classes=10, in_channels=3):
        super().__init__()
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"CifarResNet: n must be an int >= 1, got {n!r}")
        self.conv1 = conv3x3(in_channels, STAGE_WIDTHS[0])
        self.bn1 = nn.BatchNorm2d(STAGE_WIDTHS[0])
        stages, width = [], STAGE_WIDTHS[0]
        for index, out_width in enumerate(STAGE_WIDTHS):
            stride = 1 if index == 0 else 2
            pairs = [PairOfConvs(width, out_width, stride, residual)]
            pairs += [PairOfConvs(out_width, out_width, 1, residual) for _ in range(n - 1)]
            stages.append(nn.Sequential(*pairs))
            width = out_width
        self.stage1, self.stage2, self.stage3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        # N x C x 32 x 32
        x = F.relu(self.bn1(self.conv1(x)))  # N x 16 x 32 x 32
        x = self.stage1(x)  # N x 16 x 32 x 32
        x = self.stage2(x)  # N x 32 x 16 x 16
        x = self.stage3(x)  # N x 64 x 8 x 8
        x = self.avgpool(x)  # N x 64 x 1 x 1
        x = x.flatten(1)  # N x 64
        return self.fc(x)  # N x num_classes


def _build(n, residual, num_classes, in_channels, weights):
    return load_weights(CifarResNet(n, residual, num_classes, in_channels), weights)


def resnet20(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-20 for 32 x 32 images (n = 3): 0.27M parameters. Args as `CifarResNet`."""
    return _build(3, True, num_classes, in_channels, weights)


def resnet32(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-32 for 32 x 32 images (n = 5): 0.46M parameters. Args as `CifarResNet`."""
    return _build(5, True, num_classes, in_channels, weights)


def resnet44(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-44 for 32 x 32 images (n = 7): 0.66M parameters. Args as `CifarResNet`."""
    return _build(7, True, num_classes, in_channels, weights)


def resnet56(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-56 for 32 x 32 images (n = 9): 0.85M parameters. Args as `CifarResNet`."""
    return _build(9, True, num_classes, in_channels, weights)


def plain20(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-20's layers without the shortcuts. Args as `CifarResNet`."""
    return _build(3, False, num_classes, in_channels, weights)


def plain32(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-32's layers without the shortcuts. Args as `CifarResNet`."""
    return _build(5, False, num_classes, in_channels, weights)


def plain44(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-44's layers without the shortcuts. Args as `CifarResNet`."""
    return _build(7, False, num_classes, in_channels, weights)


def plain56(*, num_classes=10, in_channels=3, weights=None):
    """ResNet-56's layers without the shortcuts. Args as `CifarResNet`."""
    return _build(9, False, num_classes, in_channels, weights)
