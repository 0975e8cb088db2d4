"""SmallCNN: a small VGG-style network for 32 x 32 images, the default of `tinycnn train`.

Not from a paper: the classic networks are built for 224 x 224 ImageNet images and take
minutes per epoch on two cores, so `tinycnn train` needs something a learner can train
in a minute or two and still read at a glance. It keeps VGG's recipe (Simonyan &
Zisserman, 2015: 3x3 convolutions that keep the size, a 2x2 max pool halving it after
each stage, channels doubling as the size halves) with BatchNorm after each convolution
(Ioffe & Szegedy, 2015), which lets it train fast at a high learning rate, and ends as
ResNet and SqueezeNet do: a global average pool and one linear layer, so any input of at
least 8 x 8 works (MNIST's 28 x 28 too) and the classifier has few weights.

    stage     output (32 input)   layers
    stage 1   w x 16 x 16         3x3 conv, BN, ReLU; 2x2 max pool
    stage 2   2w x 8 x 8          3x3 conv, BN, ReLU; 2x2 max pool
    stage 3   4w x 4 x 4          3x3 conv, BN, ReLU; 2x2 max pool
    avgpool   4w x 1 x 1          global average pool
    fc        num_classes         linear

With width w = 16, one input channel and 10 classes it has 24,058 parameters and
needs about 2.5 million multiply-adds per 32 x 32 image.
"""

import tinycnn.nn as nn
from tinycnn.models.pretrained import load_weights

__all__ = ["SmallCNN", "small_cnn"]


def _stage(in_channels, out_channels):
    """3x3 convolution (no bias: the BatchNorm's shift replaces it), BatchNorm, ReLU, pool.

    Shape: (N, in_channels, H, W) -> (N, out_channels, H // 2, W // 2).
    """
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=2, stride=2),
    ]


class SmallCNN(nn.Module):
    """Three convolution stages of widths w, 2w, 4w, a global average pool and a linear layer.

    Args:
        num_classes: the number of output scores. Default: 10.
        in_channels: C, the channels of the input images (1 for grayscale). Default: 1.
        width: w, the channels of the first stage. Default: 16.

    Shape:
        - Input: (N, C, H, W) with H, W >= 8.
        - Output: (N, num_classes).

    Example:
        >>> net = SmallCNN(num_classes=10, in_channels=1)
        >>> net(tinycnn.tensor(np.zeros((2, 1, 32, 32), np.float32))).shape
        (2, 10)
    """

    def __init__(self, num_classes=10, in_channels=1, width=16):
        super().__init__()
        self.features = nn.Sequential(
            *_stage(in_channels, width),
            *_stage(width, 2 * width),
            *_stage(2 * width, 4 * width),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        # N x C x 32 x 32
        x = self.features(x)  # N x 4w x 4 x 4
        x = self.avgpool(x)  # N x 4w x 1 x 1
        x = x.flatten(1)  # N x 4w
        return self.fc(x)  # N x num_classes


def small_cnn(*, num_classes=10, in_channels=1, width=16, weights=None):
    """SmallCNN; arguments as `SmallCNN`, `weights` as for the other builders.

    Example:
        >>> net = small_cnn(num_classes=10, in_channels=3)   # for CIFAR-10
    """
    return load_weights(SmallCNN(num_classes, in_channels, width), weights)
