"""DenseNet: Gao Huang, Zhuang Liu, Laurens van der Maaten and Kilian Q. Weinberger, "Densely
Connected Convolutional Networks", CVPR 2017 (arXiv:1608.06993).

Inside a dense block every layer receives the channel-wise concatenation of the block's
input and of all earlier layers' outputs, and adds k new channels (the growth rate) to it:
layer i of a block that starts with C0 channels sees C0 + i * k. Features are reused rather
than recomputed, so the layers can be narrow. These are the paper's ImageNet "DenseNet-BC"
networks: each layer is BN-ReLU-Conv1x1 (to bn_size * k channels, the "bottleneck", B) then
BN-ReLU-Conv3x3 (to k channels), and each transition between blocks halves the channels
("compression", C, theta = 0.5) with a 1x1 convolution and the resolution with 2x2 average
pooling.

    stage          output (224 input)   densenet121 (k = 32, 64 initial features)
    conv0, pool0   56 x 56              7x7 conv, stride 2; 3x3 max pool, stride 2
    denseblock1    56 x 56              6 layers: 64 -> 64 + 6 * 32 = 256 channels
    transition1    28 x 28              256 -> 128 channels
    denseblock2    28 x 28              12 layers: 128 -> 512
    transition2    14 x 14              512 -> 256
    denseblock3    14 x 14              24 layers: 256 -> 1024
    transition3    7 x 7                1024 -> 512
    denseblock4    7 x 7                16 layers: 512 -> 1024
    norm5, pool    1 x 1                BN, ReLU, global average pool, then the classifier

densenet161 (k = 48, 96 initial features), 169 and 201 differ only in those numbers and in
the layers per block (the paper's Table 1).

Where torchvision (and so tinycnn) departs from the paper: the final pool is adaptive, so
inputs other than 224 x 224 work (torchvision's minimum is 29 x 29). Not a departure: the
convolutions start from He et al.'s initialization, which the paper adopts, in its fan_in form.
torchvision's `memory_efficient` option (recomputing each layer's concatenation in the
backward pass: Pleiss et al., "Memory-Efficient Implementation of DenseNets", 2017) is not
supported here (see `DenseNet`).
"""

from collections import OrderedDict

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights
from tinycnn.tensor import Tensor

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


class _DenseLayer(nn.Module):
    """BN-ReLU-Conv1x1 to bn_size * k channels, then BN-ReLU-Conv3x3 to k new channels.

    Args:
        num_input_features: C, the channels of the concatenated input.
        growth_rate: k, the channels this layer adds.
        bn_size: the bottleneck's width as a multiple of k.
        drop_rate: dropout probability on the new features (in training mode).

    Shape:
        - Input: a Tensor (N, C, H, W), or a list of Tensors whose channels sum to C.
        - Output: (N, k, H, W), the new features only.
    """

    def __init__(self, num_input_features, growth_rate, bn_size, drop_rate):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(
            num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False
        )
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(
            bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False
        )
        self.drop_rate = float(drop_rate)

    def forward(self, input):
        # Shapes for C input channels at H x W; k = growth_rate, B = bn_size.
        features = [input] if isinstance(input, Tensor) else input
        x = F.cat(features, 1)  # N x C x H x W
        x = self.conv1(self.relu1(self.norm1(x)))  # N x Bk x H x W
        new_features = self.conv2(self.relu2(self.norm2(x)))  # N x k x H x W
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features  # N x k x H x W


class _DenseBlock(nn.Module):
    """`num_layers` dense layers, `denselayer1`, `denselayer2`, ...; each sees all before it.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, C + num_layers * growth_rate, H, W).
    """

    def __init__(self, num_layers, num_input_features, bn_size, growth_rate, drop_rate):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(
                num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate
            )
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        # Shapes for C input channels at H x W; k = growth_rate, L = num_layers.
        features = [init_features]  # [N x C x H x W]
        for layer in self.children():
            features.append(layer(features))  # + N x k x H x W
        return F.cat(features, 1)  # N x (C + L*k) x H x W


class _Transition(nn.Sequential):
    """BN-ReLU-Conv1x1 to num_output_features channels, then 2x2 average pooling.

    Shape:
        - Input: (N, num_input_features, H, W).
        - Output: (N, num_output_features, floor(H / 2), floor(W / 2)).
    """

    def __init__(self, num_input_features, num_output_features):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(
            num_input_features, num_output_features, kernel_size=1, stride=1, bias=False
        )
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """A stem, dense blocks joined by transitions, a final BN-ReLU, global pool and classifier.

    Args:
        growth_rate: k, the channels each dense layer adds. Default: 32.
        block_config: the number of dense layers in each block. Default: (6, 12, 24, 16).
        num_init_features: the stem convolution's output channels. Default: 64.
        bn_size: each dense layer's 1x1 bottleneck has bn_size * k channels. Default: 4.
        drop_rate: dropout probability after each dense layer (training mode). Default: 0.
        num_classes: the classifier's outputs. Default: 1000.
        memory_efficient: must be False; True (torchvision's checkpointing) raises
            NotImplementedError. Default: False.

    Shape:
        - Input: (N, 3, H, W).
        - Output: (N, num_classes).

    Example:
        >>> model = DenseNet(growth_rate=4, block_config=(1, 2), num_init_features=8,
        ...                  bn_size=2, num_classes=5)
        >>> model(tinycnn.tensor(np.zeros((1, 3, 32, 32), np.float32))).shape
        (1, 5)
    """

    def __init__(
        self,
        growth_rate=32,
        block_config=(6, 12, 24, 16),
        num_init_features=64,
        bn_size=4,
        drop_rate=0,
        num_classes=1000,
        memory_efficient=False,
    ):
        super().__init__()
        if memory_efficient:
            raise NotImplementedError(
                "DenseNet: memory_efficient=True (recomputing the concatenations in backward "
                "to save memory) is not supported, got memory_efficient=True; "
                "memory_efficient=False computes the same outputs and gradients"
            )
        self.features = nn.Sequential(
            OrderedDict(
                [
                    ("conv0", nn.Conv2d(3, num_init_features, 7, stride=2, padding=3, bias=False)),
                    ("norm0", nn.BatchNorm2d(num_init_features)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
                ]
            )
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                transition = _Transition(num_features, num_features // 2)
                self.features.add_module(f"transition{i + 1}", transition)
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        # Channels for densenet121; 2208, 1664, 1920 for densenet161, 169, 201.
        features = self.features(x)  # N x 1024 x 7 x 7
        out = F.relu(features, inplace=True)  # N x 1024 x 7 x 7
        out = F.adaptive_avg_pool2d(out, (1, 1))  # N x 1024 x 1 x 1
        out = F.flatten(out, 1)  # N x 1024
        return self.classifier(out)  # N x num_classes


def _densenet(growth_rate, block_config, num_init_features, weights, kwargs):
    """A DenseNet of the given shape, with `weights` loaded if a path is given."""
    model = DenseNet(growth_rate, block_config, num_init_features, **kwargs)
    return load_weights(model, weights)


# Each builder fixes growth_rate, block_config and num_init_features, as torchvision's, and
# takes DenseNet's other keyword arguments (bn_size, drop_rate, num_classes,
# memory_efficient), and `weights`: a file to load (see
# `tinycnn.models.pretrained.load_weights`) or None.


def densenet121(*, weights=None, **kwargs):
    """DenseNet-121: k = 32, blocks (6, 12, 24, 16), 7,978,856 parameters."""
    return _densenet(32, (6, 12, 24, 16), 64, weights, kwargs)


def densenet161(*, weights=None, **kwargs):
    """DenseNet-161: k = 48, blocks (6, 12, 36, 24), 28,681,000 parameters."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, kwargs)


def densenet169(*, weights=None, **kwargs):
    """DenseNet-169: k = 32, blocks (6, 12, 32, 32), 14,149,480 parameters."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, kwargs)


def densenet201(*, weights=None, **kwargs):
    """DenseNet-201: k = 32, blocks (6, 12, 48, 32), 20,013,928 parameters."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, kwargs)
