"""ResNet: Kaiming He, Xiangyu Zhang, Shaoqing Ren and Jian Sun, "Deep Residual Learning for
Image Recognition", CVPR 2016 (arXiv:1512.03385).

A residual block computes y = relu(F(x) + shortcut(x)): its layers F learn only a correction
to the identity, and the shortcut gives the gradient a path around them, which is what lets
networks of 50 to 152 layers train. The shortcut is the identity where shapes allow and a
strided 1x1 convolution with BatchNorm (`downsample`) where a stage halves the resolution
and widens the channels (the paper's "option B").

    stage    output (224 input)   resnet18/34: BasicBlock     resnet50/101/152: Bottleneck
    conv1    112 x 112            7x7, 64, stride 2
    maxpool  56 x 56              3x3 max pool, stride 2
    layer1   56 x 56              [3x3, 64; 3x3, 64] x n1     [1x1, 64; 3x3, 64; 1x1, 256] x n1
    layer2   28 x 28              ... 128 ...                 ... 128 ... 512 ...
    layer3   14 x 14              ... 256 ...                 ... 256 ... 1024 ...
    layer4   7 x 7                ... 512 ...                 ... 512 ... 2048 ...
    avgpool  1 x 1                global average pool, then fc to num_classes

with (n1, n2, n3, n4) = (2, 2, 2, 2), (3, 4, 6, 3), (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3)
for resnet18, 34, 50, 101, 152 (the paper's Table 1).

Where torchvision (and so tinycnn) departs from the paper:
- Bottleneck puts the stride on its 3x3 convolution, not on its first 1x1 ("ResNet v1.5";
  see the NOTE in `Bottleneck`).
- `zero_init_residual` (off by default) starts each block's last BatchNorm at weight 0, so
  that every block begins as the identity: Goyal et al., "Accurate, Large Minibatch SGD:
  Training ImageNet in 1 Hour", 2017.
- `groups` and `width_per_group` give the ResNeXt (Xie et al., CVPR 2017) and Wide ResNet
  (Zagoruyko & Komodakis, BMVC 2016) variants of the Bottleneck with the same formula.
- `replace_stride_with_dilation` swaps a stage's stride 2 for dilated 3x3 convolutions, to
  keep a finer feature map for dense prediction (as DeepLab does); off by default.
- The final pool is adaptive, so any input of at least 1 x 1 after the stem works, not only
  224 x 224.
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """A 3x3 convolution without bias, padded so that stride 1 keeps the size (BN follows)."""
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes, out_planes, stride=1):
    """A 1x1 convolution without bias: mixes channels only."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut: the block of resnet18 and resnet34.

    Args:
        inplanes: C, the input channels.
        planes: the output channels (expansion 1).
        stride: the first convolution's stride; 2 halves H and W.
        downsample: the shortcut's module when the shape changes, else None (identity).
        groups, base_width: must be 1 and 64 (only Bottleneck has a variable width).
        dilation: must be 1.

    Shape:
        - Input: (N, inplanes, H, W).
        - Output: (N, planes, OH, OW), OH = floor((H - 1) / stride) + 1, OW likewise.
    """

    expansion = 1

    def __init__(
        self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1
    ):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError(
                "BasicBlock: groups must be 1 and width_per_group 64 (ResNeXt and wide "
                f"variants need Bottleneck), got groups={groups}, width_per_group={base_width}"
            )
        if dilation > 1:
            raise NotImplementedError(
                f"BasicBlock: dilation must be 1 (as in torchvision), got dilation={dilation}"
            )
        self.conv1 = conv3x3(inplanes, planes, stride)  # strided, as the downsample path
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        # Shapes for an input N x C x H x W; P = planes, s = stride, H' = H / s.
        identity = x  # N x C x H x W
        out = self.relu(self.bn1(self.conv1(x)))  # N x P x H' x W'
        out = self.bn2(self.conv2(out))  # N x P x H' x W'
        if self.downsample is not None:
            identity = self.downsample(x)  # N x P x H' x W'
        # NOTE: a new tensor, not torchvision's in-place `out += identity`: both summands
        # receive the sum's gradient, so it reaches x by the convolutions and the shortcut.
        out = out + identity  # N x P x H' x W'
        return self.relu(out)  # N x P x H' x W'


class Bottleneck(nn.Module):
    """1x1 (reduce), 3x3, 1x1 (expand 4x) convolutions and a shortcut: resnet50/101/152's block.

    The 1x1 convolutions shrink the channels the 3x3 works on by 4, so a Bottleneck costs
    about what a BasicBlock costs while its output is 4 times wider.

    Args:
        inplanes: C, the input channels.
        planes: the output channels / 4; the 3x3 works on
            width = int(planes * base_width / 64) * groups channels.
        stride: the 3x3 convolution's stride; 2 halves H and W.
        downsample: the shortcut's module when the shape changes, else None (identity).
        groups: the 3x3 convolution's groups (ResNeXt's cardinality).
        base_width: the channels per group at planes=64 (64: plain ResNet).
        dilation: the 3x3 convolution's dilation.

    Shape:
        - Input: (N, inplanes, H, W).
        - Output: (N, 4 * planes, OH, OW), OH = floor((H - 1) / stride) + 1, OW likewise.
    """

    expansion = 4

    def __init__(
        self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1
    ):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        # NOTE: the paper strides the first 1x1 convolution. A strided 1x1 reads only one
        # pixel of each 2x2 and drops the other three before anything has mixed them in;
        # torchvision strides the 3x3 instead ("ResNet v1.5"), which sees every pixel and,
        # by NVIDIA's measurements, is about 0.5% more accurate (top-1) for ~5% less speed.
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        # Shapes for an input N x C x H x W; P = planes, B = width, s = stride, H' = H / s.
        identity = x  # N x C x H x W
        out = self.relu(self.bn1(self.conv1(x)))  # N x B x H x W
        out = self.relu(self.bn2(self.conv2(out)))  # N x B x H' x W'
        out = self.bn3(self.conv3(out))  # N x 4P x H' x W'
        if self.downsample is not None:
            identity = self.downsample(x)  # N x 4P x H' x W'
        out = out + identity  # N x 4P x H' x W' (a new tensor: see BasicBlock.forward)
        return self.relu(out)  # N x 4P x H' x W'


class ResNet(nn.Module):
    """A stem, four stages of residual blocks, a global average pool and a classifier.

    Args:
        block: `BasicBlock` or `Bottleneck`.
        layers: the number of blocks in each of the four stages, e.g. [2, 2, 2, 2].
        num_classes: the classifier's outputs. Default: 1000.
        zero_init_residual: start each block's last BatchNorm weight at 0, so every
            residual branch outputs 0 and each block begins as the identity. Default: False.
        groups: the Bottleneck 3x3 convolutions' groups. Default: 1.
        width_per_group: the channels per group of the first stage's 3x3. Default: 64.
        replace_stride_with_dilation: three bools for layer2, layer3, layer4: True keeps
            that stage's resolution and dilates its 3x3 convolutions instead. Default:
            None (no dilation).

    Shape:
        - Input: (N, 3, H, W).
        - Output: (N, num_classes).

    Example:
        >>> model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)     # resnet18's layout
        >>> model(tinycnn.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape
        (1, 10)
    """

    def __init__(
        self,
        block,
        layers,
        num_classes=1000,
        zero_init_residual=False,
        groups=1,
        width_per_group=64,
        replace_stride_with_dilation=None,
    ):
        super().__init__()
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "ResNet: replace_stride_with_dilation must be None or 3 bools (for layer2, "
                f"layer3, layer4), got {replace_stride_with_dilation!r}"
            )
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must hold 4 block counts, got {layers!r}")
        self.inplanes = 64  # the channels entering the next stage; _make_layer updates it
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        dilate2, dilate3, dilate4 = replace_stride_with_dilation
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2, dilate=dilate2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2, dilate=dilate3)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2, dilate=dilate4)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        # The fc layer keeps Linear's default initialization, as in torchvision.
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        """A stage: `blocks` blocks of `planes` (x expansion) channels; the first strides."""
        downsample = None
        previous_dilation = self.dilation
        if dilate:  # keep the resolution; dilate this stage's (later) 3x3s instead
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        stage = [
            block(
                self.inplanes,
                planes,
                stride,
                downsample,
                self.groups,
                self.base_width,
                previous_dilation,
            )
        ]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            stage.append(
                block(
                    self.inplanes,
                    planes,
                    groups=self.groups,
                    base_width=self.base_width,
                    dilation=self.dilation,
                )
            )
        return nn.Sequential(*stage)

    def forward(self, x):
        # E = block.expansion: 1 for resnet18/34, 4 for resnet50/101/152.
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.bn1(x)  # N x 64 x 112 x 112
        x = self.relu(x)  # N x 64 x 112 x 112
        x = self.maxpool(x)  # N x 64 x 56 x 56
        x = self.layer1(x)  # N x 64E x 56 x 56
        x = self.layer2(x)  # N x 128E x 28 x 28
        x = self.layer3(x)  # N x 256E x 14 x 14
        x = self.layer4(x)  # N x 512E x 7 x 7
        x = self.avgpool(x)  # N x 512E x 1 x 1
        x = F.flatten(x, 1)  # N x 512E
        return self.fc(x)  # N x num_classes


def _resnet(block, layers, weights, kwargs):
    """A ResNet of `layers` blocks per stage, with `weights` loaded if a path is given."""
    return load_weights(ResNet(block, layers, **kwargs), weights)


# Each builder takes ResNet's keyword arguments after block and layers (num_classes,
# zero_init_residual, groups, width_per_group, replace_stride_with_dilation), and
# `weights`: a file to load (see `tinycnn.models.pretrained.load_weights`) or None.


def resnet18(*, weights=None, **kwargs):
    """ResNet-18: BasicBlocks [2, 2, 2, 2], 11,689,512 parameters."""
    return _resnet(BasicBlock, [2, 2, 2, 2], weights, kwargs)


def resnet34(*, weights=None, **kwargs):
    """ResNet-34: BasicBlocks [3, 4, 6, 3], 21,797,672 parameters."""
    return _resnet(BasicBlock, [3, 4, 6, 3], weights, kwargs)


def resnet50(*, weights=None, **kwargs):
    """ResNet-50: Bottlenecks [3, 4, 6, 3], 25,557,032 parameters."""
    return _resnet(Bottleneck, [3, 4, 6, 3], weights, kwargs)


def resnet101(*, weights=None, **kwargs):
    """ResNet-101: Bottlenecks [3, 4, 23, 3], 44,549,160 parameters."""
    return _resnet(Bottleneck, [3, 4, 23, 3], weights, kwargs)


def resnet152(*, weights=None, **kwargs):
    """ResNet-152: Bottlenecks [3, 8, 36, 3], 60,192,808 parameters."""
    return _resnet(Bottleneck, [3, 8, 36, 3], weights, kwargs)
