"""AlexNet: Alex Krizhevsky, Ilya Sutskever and Geoffrey E. Hinton, "ImageNet Classification
with Deep Convolutional Neural Networks", NIPS 2012.

Five convolutions (max pooling after the first, second and fifth) and three fully-connected
layers; a ReLU after each of them but the last, dropout on the two hidden fully-connected
layers. Two builders:

`alexnet` is torchvision's AlexNet, which follows the single-tower variant of Alex
Krizhevsky, "One weird trick for parallelizing convolutional neural networks",
arXiv:1404.5997, 2014, rather than the 2012 paper:

    layer   alexnet (torchvision)               alexnet_paper (NIPS 2012, bvlc_alexnet)
    conv1   64, 11x11/4, pad 2                  96, 11x11/4, no pad; ReLU, LRN
    pool1   3x3/2                               3x3/2
    conv2   192, 5x5, pad 2                     256, 5x5, pad 2, 2 groups; ReLU, LRN
    pool2   3x3/2                               3x3/2
    conv3   384, 3x3, pad 1                     384, 3x3, pad 1
    conv4   256, 3x3, pad 1                     384, 3x3, pad 1, 2 groups
    conv5   256, 3x3, pad 1                     256, 3x3, pad 1, 2 groups
    pool5   3x3/2, then AdaptiveAvgPool 6x6     3x3/2 (the input must be 227 x 227)
    fc6-8   dropout, 4096, dropout, 4096, C     4096, dropout, 4096, dropout, C
    params  61,100,840                          60,965,224

Where torchvision's `alexnet` departs from the paper:
- Channel widths 64-192-384-256-256 instead of 96-256-384-384-256, and no groups: the
  paper split conv2, conv4 and conv5 between two GPUs (each half sees only the previous
  layer's half on its own GPU); the "one weird trick" network is a single tower.
- No local response normalization (Simonyan & Zisserman, ICLR 2015, found that it does
  not improve ImageNet accuracy; see `vgg.py`).
- conv1 is padded by 2, so that a 224 input gives 55 x 55 (the paper's 224 does not: see
  `alexnet_paper`), and an AdaptiveAvgPool2d((6, 6)) before the classifier accepts any
  input of at least 63 x 63.
- Dropout sits before fc6 and fc7 (on their inputs) rather than after them.
- Initialization is torch's default for Conv2d and Linear (uniform, bound 1/sqrt(fan_in)),
  not the paper's zero-mean normal of std 0.01 with some biases of 1.
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights

__all__ = ["AlexNet", "AlexNetPaper", "alexnet", "alexnet_paper"]


class AlexNet(nn.Module):
    """torchvision's AlexNet (the "one weird trick" single tower; see the module docstring).

    Args:
        num_classes: the classifier's outputs. Default: 1000.
        dropout: the dropout probability before fc6 and fc7. Default: 0.5.

    Shape:
        - Input: (N, 3, H, W) with H, W >= 63 (224 x 224 in training).
        - Output: (N, num_classes).

    Example:
        >>> model = AlexNet(num_classes=10)
        >>> model(tinycnn.tensor(np.zeros((1, 3, 64, 64), np.float32))).shape
        (1, 10)
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        # Output shapes for a 224 x 224 input.
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2),  # 64 x 55 x 55
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 64 x 27 x 27
            nn.Conv2d(64, 192, kernel_size=5, padding=2),  # 192 x 27 x 27
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 192 x 13 x 13
            nn.Conv2d(192, 384, kernel_size=3, padding=1),  # 384 x 13 x 13
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),  # 256 x 13 x 13
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),  # 256 x 13 x 13
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 256 x 6 x 6
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )
        # Conv2d and Linear keep torch's default initialization, as in torchvision.

    def forward(self, x):
        x = self.features(x)  # N x 256 x 6 x 6
        x = self.avgpool(x)  # N x 256 x 6 x 6 (the identity at 224; resizes other inputs)
        x = F.flatten(x, 1)  # N x 9216
        return self.classifier(x)  # N x num_classes


def _paper_init(layer, bias):
    """The paper's initialization (section 5): weights normal, mean 0, std 0.01; biases `bias`."""
    nn.init.normal_(layer.weight, 0.0, 0.01)
    nn.init.constant_(layer.bias, bias)
    return layer


def _lrn():
    """Local response normalization with the paper's constants (section 3.3).

    The paper writes

        b[c] = a[c] / (k + alpha * sum_{c' in window of n channels} a[c']^2) ** beta

    with k = 2, n = 5, alpha = 1e-4, beta = 0.75: alpha multiplies each squared activation.
    `nn.LocalResponseNorm` (as torch's, and Caffe's) divides its alpha by n instead, so the
    paper's layer is `LocalResponseNorm(5, alpha=n * 1e-4 = 5e-4, beta=0.75, k=2.0)`.

    NOTE: Caffe's `bvlc_alexnet` prototxt differs from the paper here: it gives
    local_size 5, alpha 1e-4, beta 0.75 and leaves k at Caffe's default 1, i.e.
    `LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)` (2e-5 per squared activation).
    Use that to run weights trained with Caffe's constants.
    """
    return nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)


class AlexNetPaper(nn.Module):
    """The NIPS 2012 AlexNet as Caffe's `bvlc_alexnet` defines it (see the module docstring).

    conv2, conv4 and conv5 have `groups=2`: the paper's two GPU towers, each half of the
    layer seeing only the half of the previous layer on its own GPU. conv3 and the
    fully-connected layers see both halves. LRN follows the ReLU of conv1 and conv2, before
    their pooling, as in bvlc_alexnet, with the paper's constants (see `_lrn`, which also
    gives bvlc_alexnet's). Pooling is
    overlapping: 3x3 windows at stride 2.

    Weights are initialized as in the paper (section 5): every weight from a zero-mean
    normal of std 0.01; biases 1 in conv2, conv4, conv5, fc6 and fc7 (to give the ReLUs
    positive inputs early in training), 0 elsewhere. NOTE: bvlc_alexnet's prototxt uses
    biases of 0.1 instead of 1, and a std of 0.005 in fc6 and fc7.

    Args:
        num_classes: the classifier's outputs. Default: 1000.
        dropout: the dropout probability after fc6 and fc7. Default: 0.5.

    Shape:
        - Input: (N, 3, 227, 227); any size from 227 to 258 gives the same 6 x 6 features.
        - Output: (N, num_classes).

        conv1 gives floor((227 - 11) / 4) + 1 = 55, and each 3x3/2 pooling
        floor((H - 3) / 2) + 1: 55 -> 27, 27 -> 13 and 13 -> 6, so the classifier sees
        256 x 6 x 6 = 9216 features. NOTE: the paper says 224 x 224, but 224 gives
        floor(213 / 4) + 1 = 54, then 26, 12 and 5 (256 x 5 x 5 = 6400 features, which fc6
        cannot take); 227 is what the layer sizes imply and what Caffe crops. At 227 every
        pooling divides exactly, so Caffe's rounding up of pooled sizes and torch's
        rounding down agree.

    Example:
        >>> model = AlexNetPaper(num_classes=10)
        >>> model(tinycnn.tensor(np.zeros((1, 3, 227, 227), np.float32))).shape
        (1, 10)
    """

    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        # Output shapes for a 227 x 227 input.
        self.features = nn.Sequential(
            _paper_init(nn.Conv2d(3, 96, 11, stride=4), 0.0),  # 96 x 55 x 55
            nn.ReLU(inplace=True),
            _lrn(),  # 96 x 55 x 55
            nn.MaxPool2d(kernel_size=3, stride=2),  # 96 x 27 x 27
            _paper_init(nn.Conv2d(96, 256, 5, padding=2, groups=2), 1.0),  # 256 x 27 x 27
            nn.ReLU(inplace=True),
            _lrn(),  # 256 x 27 x 27
            nn.MaxPool2d(kernel_size=3, stride=2),  # 256 x 13 x 13
            _paper_init(nn.Conv2d(256, 384, 3, padding=1), 0.0),  # 384 x 13 x 13
            nn.ReLU(inplace=True),
            _paper_init(nn.Conv2d(384, 384, 3, padding=1, groups=2), 1.0),  # 384 x 13 x 13
            nn.ReLU(inplace=True),
            _paper_init(nn.Conv2d(384, 256, 3, padding=1, groups=2), 1.0),  # 256 x 13 x 13
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # 256 x 6 x 6
        )
        self.classifier = nn.Sequential(
            _paper_init(nn.Linear(256 * 6 * 6, 4096), 1.0),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            _paper_init(nn.Linear(4096, 4096), 1.0),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            _paper_init(nn.Linear(4096, num_classes), 0.0),
        )

    def forward(self, x):
        # NOTE: shapes for a 227 input; 224 is too small for this network (see Shape).
        x = self.features(x)  # N x 256 x 6 x 6
        if x.shape[1:] != (256, 6, 6):
            raise ValueError(
                "alexnet_paper: the features before the classifier must be 256 x 6 x 6 "
                f"(a 227 x 227 input), got {' x '.join(map(str, x.shape[1:]))}"
            )
        x = F.flatten(x, 1)  # N x 9216
        return self.classifier(x)  # N x num_classes


def alexnet(*, num_classes=1000, weights=None, dropout=0.5):
    """torchvision's AlexNet, 61,100,840 parameters; arguments as `AlexNet`.

    `weights` is a file to load (see `tinycnn.models.pretrained.load_weights`) or None
    for a fresh initialization.
    """
    return load_weights(AlexNet(num_classes, dropout), weights)


def alexnet_paper(*, num_classes=1000, weights=None, dropout=0.5):
    """The NIPS 2012 AlexNet (Caffe's bvlc_alexnet), 60,965,224 parameters, 227 x 227 input.

    Arguments as `AlexNetPaper`; `weights` as for `alexnet`.
    """
    return load_weights(AlexNetPaper(num_classes, dropout), weights)
