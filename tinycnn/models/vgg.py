"""VGG: Karen Simonyan and Andrew Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015 (arXiv:1409.1556).

Only 3x3 convolutions (stride 1, padding 1, so they keep the size) in five stages, each
ended by a 2x2 max pool that halves the size, then three fully-connected layers. Two
stacked 3x3 convolutions see a 5x5 window and three see 7x7, with fewer weights than one
large kernel and a ReLU between each. The stage widths are 64, 128, 256, 512, 512; the
configurations (the paper's Table 1 columns) differ only in how many convolutions each
stage has:

    builder  column  convolutions per stage  weight layers  parameters
    vgg11    A       1, 1, 2, 2, 2           11             132,863,336
    vgg13    B       2, 2, 2, 2, 2           13             133,047,848
    vgg16    D       2, 2, 3, 3, 3           16             138,357,544
    vgg19    E       2, 2, 4, 4, 4           19             143,667,240

Where torchvision (and so tinycnn) departs from the paper:
- The `_bn` builders put a BatchNorm2d between each convolution and its ReLU (Ioffe &
  Szegedy, ICML 2015, appeared after the paper); the paper has no normalization.
- An AdaptiveAvgPool2d((7, 7)) before the classifier: the identity at 224 x 224, and it
  lets any input of at least 32 x 32 reach the 512 x 7 x 7 the classifier expects. The
  paper instead evaluates larger images by turning the fully-connected layers into
  convolutions and averaging the resulting map of class scores.
- Initialization: Kaiming normal (fan_out, ReLU gain) for the convolutions, normal with
  std 0.01 for the fully-connected layers, zero biases. The paper drew configuration A's
  weights from a normal of variance 1e-2 and started the deeper ones from A's trained
  layers (then noted that Glorot & Bengio's initialization works without that
  pre-training).
- Columns A-LRN (A with local response normalization, which the paper found does not
  help) and C (D with 1x1 convolutions in its last three stages) are not provided.
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights

__all__ = [
    "VGG",
    "cfgs",
    "make_layers",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
]

# The paper's Table 1, by column: an int is a 3x3 convolution with that many output
# channels (and its ReLU), "M" a 2x2 max pool of stride 2.
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [
        64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M",
        512, 512, 512, 512, "M", 512, 512, 512, 512, "M",
    ],
}  # fmt: skip


def make_layers(cfg, batch_norm=False):
    """The convolutional part of a VGG, from a list as in `cfgs`.

    Each int v gives Conv2d(C, v, 3, padding=1) (+ BatchNorm2d(v) if batch_norm) + ReLU;
    "M" gives MaxPool2d(2, 2). The Sequential numbers the layers in that order, which
    makes the state-dict keys (`features.0.weight`, `features.1.running_mean`, ...).

    Shape:
        - Input: (N, 3, H, W).
        - Output: (N, last v, H / 2^m, W / 2^m) (rounded down at each pool), m the number
          of "M"s: (N, 512, 7, 7) for a 224 input.
    """
    layers = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """A VGG network: `features` (from `make_layers`), a 7x7 average pool, 3 fc layers.

    Args:
        features: the convolutional part, ending with 512 channels.
        num_classes: the classifier's outputs. Default: 1000.
        init_weights: initialize as torchvision does (see the module docstring); False
            keeps each layer's default initialization. Default: True.
        dropout: the dropout probability after fc6 and fc7. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W) with H, W >= 32 (224 x 224 in the paper).
        - Output: (N, num_classes).

    Example:
        >>> model = VGG(make_layers(cfgs["A"]), num_classes=10)      # vgg11's layout
        >>> model(tinycnn.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape
        (1, 10)
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.features(x)  # N x 512 x 7 x 7
        x = self.avgpool(x)  # N x 512 x 7 x 7 (the identity at 224; resizes other inputs)
        x = F.flatten(x, 1)  # N x 25088
        return self.classifier(x)  # N x num_classes


def _vgg(cfg, batch_norm, num_classes, weights, dropout, init_weights):
    model = VGG(make_layers(cfgs[cfg], batch_norm), num_classes, init_weights, dropout)
    return load_weights(model, weights)


# Each builder's arguments are VGG's; `weights` is a file to load (see
# `tinycnn.models.pretrained.load_weights`) or None for a fresh initialization.


def vgg11(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-11 (column A), 132,863,336 parameters."""
    return _vgg("A", False, num_classes, weights, dropout, init_weights)


def vgg11_bn(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-11 (column A) with BatchNorm, 132,868,840 parameters."""
    return _vgg("A", True, num_classes, weights, dropout, init_weights)


def vgg13(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-13 (column B), 133,047,848 parameters."""
    return _vgg("B", False, num_classes, weights, dropout, init_weights)


def vgg13_bn(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-13 (column B) with BatchNorm, 133,053,736 parameters."""
    return _vgg("B", True, num_classes, weights, dropout, init_weights)


def vgg16(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-16 (column D), 138,357,544 parameters."""
    return _vgg("D", False, num_classes, weights, dropout, init_weights)


def vgg16_bn(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-16 (column D) with BatchNorm, 138,365,992 parameters."""
    return _vgg("D", True, num_classes, weights, dropout, init_weights)


def vgg19(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-19 (column E), 143,667,240 parameters."""
    return _vgg("E", False, num_classes, weights, dropout, init_weights)


def vgg19_bn(*, num_classes=1000, weights=None, dropout=0.5, init_weights=True):
    """VGG-19 (column E) with BatchNorm, 143,678,248 parameters."""
    return _vgg("E", True, num_classes, weights, dropout, init_weights)
