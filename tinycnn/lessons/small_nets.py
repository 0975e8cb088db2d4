"""`LessonCNN`: tinycnn's SmallCNN with the switches the lessons that train compare.

    LessonCNN()                          # SmallCNN's layers: conv-BN-ReLU-pool x 3, pool, fc
    LessonCNN(batch_norm=False)          # no BatchNorm (the convolutions get biases)
    LessonCNN(batch_norm=False, lrn=True)   # AlexNet's LRN after the first two ReLUs
    LessonCNN(pool=(3, 2, 1))            # overlapping 3x3 max pooling at stride 2
    LessonCNN(dropout=0.5)               # dropout before the classifier

One switch at a time differs between the conditions of a lesson; everything else is
SmallCNN's (tinycnn.models.small_cnn): widths w, 2w, 4w, 3x3 convolutions that keep the
size, a max pool halving it after each stage, a global average pool and one linear layer.
"""

import tinycnn.nn as nn

# AlexNet's LRN (section 3.3): k = 2, n = 5, alpha = 1e-4, beta = 0.75. NOTE: torch's (and
# tinycnn's) formula divides alpha by n, the paper's does not, so the paper's alpha is
# alpha * n here.
LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K = 5, 5e-4, 0.75, 2.0


class LessonCNN(nn.Module):
    """Three convolution stages, a global average pool and a linear layer, with switches.

    Args:
        batch_norm: BatchNorm after each convolution (True: SmallCNN's own layers).
        lrn: LocalResponseNorm (AlexNet's constants) after the ReLU of the first two stages.
        pool: (kernel, stride, padding) of each stage's max pool; (2, 2, 0) halves the size
            without overlap, (3, 2, 1) halves it with windows that overlap by one pixel.
        dropout: p of a dropout before the classifier (0: none).
        width: w, the first stage's channels.
        in_channels, num_classes: C of the input and the number of scores.

    Shape:
        - Input: (N, C, H, W) with H, W >= 8.
        - Output: (N, num_classes).

    Example:
        >>> net = LessonCNN(batch_norm=False, lrn=True)
        >>> net(tinycnn.tensor(np.zeros((2, 1, 16, 16), np.float32))).shape
        (2, 10)
    """

    def __init__(
        self, batch_norm=True, lrn=False, pool=(2, 2, 0), dropout=0.0, width=16,
        in_channels=1, num_classes=10,
    ):  # fmt: skip
        super().__init__()
        kernel, stride, padding = pool
        layers, channels = [], in_channels
        for stage, out_channels in enumerate((width, 2 * width, 4 * width)):
            layers.append(nn.Conv2d(channels, out_channels, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU())
            if lrn and stage < 2:  # AlexNet normalizes after its first two convolutions
                layers.append(nn.LocalResponseNorm(LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K))
            layers.append(nn.MaxPool2d(kernel, stride=stride, padding=padding))
            channels = out_channels
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x):
        # N x C x H x W
        x = self.features(x)  # N x 4w x H/8 x W/8
        x = self.avgpool(x).flatten(1)  # N x 4w
        x = self.dropout(x)  # N x 4w, a share p zeroed in training
        return self.fc(x)  # N x num_classes
