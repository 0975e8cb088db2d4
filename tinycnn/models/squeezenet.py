"""SqueezeNet: Forrest N. Iandola, Song Han, Matthew W. Moskewicz, Khalid Ashraf, William J.
Dally and Kurt Keutzer, "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
<0.5MB model size", arXiv:1602.07360, 2016.

AlexNet's ImageNet accuracy with 1.2 million parameters instead of 61 million, by three
choices: mostly 1x1 filters (9 times fewer weights than 3x3), few input channels for the
3x3 filters that remain, and late downsampling (large feature maps for most layers). The
Fire module carries the first two: a 1x1 "squeeze" convolution down to S channels, then
1x1 and 3x3 "expand" convolutions side by side, concatenated. There are no
fully-connected layers: a 1x1 convolution gives one map per class and a global average
pool turns each map into a score.

    layer       squeezenet1_0                   squeezenet1_1
    conv1       96, 7x7/2                       64, 3x3/2
    max pools   3x3/2 after conv1, fire4, fire8 3x3/2 after conv1, fire3, fire5
    fire2-3     squeeze 16, expand 64 + 64      (the same Fire modules)
    fire4-5     squeeze 32, expand 128 + 128
    fire6-7     squeeze 48, expand 192 + 192
    fire8-9     squeeze 64, expand 256 + 256    (512 x 13 x 13 for a 224 input)
    classifier  dropout, 1x1 conv to num_classes, ReLU, global average pool
    parameters  1,248,424                       1,235,496

squeezenet1_1 is not in the paper: the authors published it in their repository
(github.com/forresti/SqueezeNet, "SqueezeNet_v1.1") with a smaller conv1 and the pooling
moved earlier, for 2.4 times less computation at the same accuracy.

Where torchvision (and so tinycnn) departs from the paper and the authors' Caffe models:
- Initialization: Kaiming uniform (fan_in, gain sqrt(2)) for every convolution but the
  last, which is normal with std 0.01; biases 0. The authors' Caffe models use Caffe's "xavier"
  filler, U(-sqrt(3 / fan_in), sqrt(3 / fan_in)): sqrt(2) times narrower.
- The final 1x1 convolution has no padding; the authors' v1.0 prototxt pads it by 1,
  which only adds a border of ReLU(bias) values to what the average pool sees.
- The paper's variants with bypass (residual) connections around Fire modules are not
  provided.
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """SqueezeNet's module: squeeze to few channels with 1x1, expand with 1x1 and 3x3.

    Args:
        inplanes: C, the input channels.
        squeeze_planes: S, the squeeze layer's output channels (S < C: the 3x3 filters then
            read S channels instead of C).
        expand1x1_planes: E1, the 1x1 expand filters.
        expand3x3_planes: E3, the 3x3 expand filters (padding 1 keeps the size).

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, E1 + E3, H, W): the two expand outputs concatenated, 1x1's first.
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))  # N x S x H x W
        return F.cat(
            [
                self.expand1x1_activation(self.expand1x1(x)),  # N x E1 x H x W
                self.expand3x3_activation(self.expand3x3(x)),  # N x E3 x H x W
            ],
            1,
        )  # N x (E1 + E3) x H x W


def _features_1_0():
    """The paper's SqueezeNet (v1.0) up to fire9; output shapes for a 224 x 224 input.

    NOTE: ceil_mode=True rounds pooled sizes up, as Caffe (the authors' framework) does:
    54 -> 27 here, where torch's default rounding down would give 26.
    """
    return nn.Sequential(
        nn.Conv2d(3, 96, kernel_size=7, stride=2),  # 96 x 109 x 109
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 96 x 54 x 54
        Fire(96, 16, 64, 64),  # 128 x 54 x 54
        Fire(128, 16, 64, 64),  # 128 x 54 x 54
        Fire(128, 32, 128, 128),  # 256 x 54 x 54
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 256 x 27 x 27
        Fire(256, 32, 128, 128),  # 256 x 27 x 27
        Fire(256, 48, 192, 192),  # 384 x 27 x 27
        Fire(384, 48, 192, 192),  # 384 x 27 x 27
        Fire(384, 64, 256, 256),  # 512 x 27 x 27
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 512 x 13 x 13
        Fire(512, 64, 256, 256),  # 512 x 13 x 13
    )


def _features_1_1():
    """SqueezeNet v1.1 up to fire9; output shapes for a 224 x 224 input (ceil_mode as 1_0)."""
    return nn.Sequential(
        nn.Conv2d(3, 64, kernel_size=3, stride=2),  # 64 x 111 x 111
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 64 x 55 x 55
        Fire(64, 16, 64, 64),  # 128 x 55 x 55
        Fire(128, 16, 64, 64),  # 128 x 55 x 55
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 128 x 27 x 27
        Fire(128, 32, 128, 128),  # 256 x 27 x 27
        Fire(256, 32, 128, 128),  # 256 x 27 x 27
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # 256 x 13 x 13
        Fire(256, 48, 192, 192),  # 384 x 13 x 13
        Fire(384, 48, 192, 192),  # 384 x 13 x 13
        Fire(384, 64, 256, 256),  # 512 x 13 x 13
        Fire(512, 64, 256, 256),  # 512 x 13 x 13
    )


_FEATURES = {"1_0": _features_1_0, "1_1": _features_1_1}


class SqueezeNet(nn.Module):
    """SqueezeNet: a stem, eight Fire modules, a 1x1 convolution per class, average pooling.

    Args:
        version: "1_0" (the paper's) or "1_1" (the authors' cheaper revision).
        num_classes: the classifier's outputs. Default: 1000.
        dropout: the dropout probability before the final convolution. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W) with H, W >= 21 for "1_0", >= 17 for "1_1" (224 in training).
        - Output: (N, num_classes).

    Example:
        >>> model = SqueezeNet("1_1", num_classes=10)
        >>> model(tinycnn.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape
        (1, 10)
    """

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        if version not in _FEATURES:
            raise ValueError(f"SqueezeNet: version must be '1_0' or '1_1', got {version!r}")
        self.num_classes = num_classes
        self.features = _FEATURES[version]()
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:  # small scores at first: the class maps start near 0
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)  # N x 512 x 13 x 13
        x = self.classifier(x)  # N x num_classes x 1 x 1
        return F.flatten(x, 1)  # N x num_classes


def squeezenet1_0(*, num_classes=1000, weights=None, dropout=0.5):
    """The paper's SqueezeNet, 1,248,424 parameters; arguments as `SqueezeNet`.

    `weights` is a file to load (see `tinycnn.models.pretrained.load_weights`) or None
    for a fresh initialization.
    """
    return load_weights(SqueezeNet("1_0", num_classes, dropout), weights)


def squeezenet1_1(*, num_classes=1000, weights=None, dropout=0.5):
    """SqueezeNet v1.1, 1,235,496 parameters, 2.4x less computation than 1_0.

    Arguments as `SqueezeNet`; `weights` as for `squeezenet1_0`.
    """
    return load_weights(SqueezeNet("1_1", num_classes, dropout), weights)
