"""GoogLeNet as the paper describes it: Christian Szegedy, Wei Liu, Yangqing Jia, Pierre
Sermanet, Scott Reed, Dragomir Anguelov, Dumitru Erhan, Vincent Vanhoucke and Andrew
Rabinovich, "Going Deeper with Convolutions", CVPR 2015 (arXiv:1409.4842), Table 1 and
Figure 3.

The same nine Inception blocks as torchvision's `googlenet` (`tinycnn.models.googlenet`
explains the block and lists torchvision's departures), but built as in 2014:

    layer                    output (224 input)
    conv1    7x7/2           64 x 112 x 112
    maxpool1 3x3/2           64 x 56 x 56
    lrn1                     64 x 56 x 56
    conv2    1x1             64 x 56 x 56
    conv3    3x3             192 x 56 x 56
    lrn2                     192 x 56 x 56
    maxpool2 3x3/2           192 x 28 x 28
    inception 3a, 3b         480 x 28 x 28
    maxpool3 3x3/2           480 x 14 x 14
    inception 4a-4e          832 x 14 x 14     aux1 after 4a, aux2 after 4d
    maxpool4 3x3/2           832 x 7 x 7
    inception 5a, 5b         1024 x 7 x 7
    avgpool  7x7/1           1024 x 1 x 1
    dropout 0.4, fc          num_classes

- Every convolution has a bias and is followed by a ReLU; there is no BatchNorm (it came a
  year later), and the Inception blocks' branch3 has a real 5x5 convolution.
- The auxiliary classifiers: 5x5 average pool with stride 3 (4 x 4 output), 1x1 conv to
  128 + ReLU, fc 1024 + ReLU, dropout 0.7, fc; the paper adds their losses weighted 0.3.
- The final average pool is a fixed 7x7 window, so the input must be (about) 224 x 224.

Details the paper leaves open follow the BVLC GoogLeNet Caffe model (Caffe's model zoo,
`bvlc_googlenet`), which replicates it with the paper's authors: the LocalResponseNorm
constants, "same" padding (3 for 7x7, 1 for 3x3, 2 for 5x5), pooling that rounds its output
size up (`ceil_mode=True`), and the initialization (see `GoogLeNetPaper`).
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.googlenet import (
    INCEPTION_CHANNELS,
    Inception,
    InceptionAux,
    eager_outputs,
)
from tinycnn.models.pretrained import load_weights

__all__ = ["ConvReLU", "GoogLeNetPaper", "PaperInception", "PaperInceptionAux", "googlenet_paper"]


class ConvReLU(nn.Module):
    """Convolution with bias, then ReLU: the paper's unit (there is no BatchNorm).

    Args:
        in_channels, out_channels: C and OC.
        **kwargs: kernel_size, stride, padding, ... as for `nn.Conv2d`.
    """

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, **kwargs)

    def forward(self, x):
        x = self.conv(x)  # N x OC x OH x OW
        return F.relu(x, inplace=True)  # N x OC x OH x OW


class PaperInception(Inception):
    """The Inception block with `ConvReLU` units and a real 5x5 convolution in branch3.

    Args:
        in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj: as for `Inception`.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__(
            in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
            conv_block=ConvReLU, branch3_kernel_size=5,
        )  # fmt: skip


class PaperInceptionAux(InceptionAux):
    """The paper's auxiliary classifier: `InceptionAux` with `ConvReLU` and a fixed pool.

    Args:
        in_channels: C (512 for aux1, 528 for aux2).
        num_classes: number of classes.
        dropout: dropout probability before the last linear layer. Default: 0.7.
    """

    def __init__(self, in_channels, num_classes, dropout=0.7):
        super().__init__(in_channels, num_classes, conv_block=ConvReLU, dropout=dropout)

    def pool(self, x):
        """5x5 average pool, stride 3: 14 x 14 -> 4 x 4."""
        return F.avg_pool2d(x, 5, stride=3, ceil_mode=True)


class GoogLeNetPaper(nn.Module):
    """GoogLeNet as in the paper's Table 1; see the module docstring for the layers.

    Initialization, as the BVLC Caffe model's: every weight from Caffe's "xavier" filler,
    U(-sqrt(3 / fan_in), sqrt(3 / fan_in)); the biases of the layers that a ReLU follows
    start at 0.2, so that the units start active, and the classifiers' at 0.

    Args:
        num_classes: number of classes. Default: 1000.
        aux_logits: build the two auxiliary classifiers. Default: True.

    Shape:
        - Input: (N, 3, 224, 224).
        - Output: (N, num_classes), or `GoogLeNetOutputs` of three such tensors in training
          mode with auxiliary heads.
    """

    def __init__(self, num_classes=1000, aux_logits=True):
        super().__init__()
        self.aux_logits = aux_logits

        self.conv1 = ConvReLU(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        # NOTE: the paper gives no constants for its LocalResponseNorm; these are the Caffe
        # model's (local_size 5, alpha 1e-4, beta 0.75, k 1). Caffe divides alpha by the size,
        # as torch does (the AlexNet paper does not), so they carry over unchanged.
        self.lrn1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)
        self.conv2 = ConvReLU(64, 64, kernel_size=1)
        self.conv3 = ConvReLU(64, 192, kernel_size=3, padding=1)
        self.lrn2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)  # as lrn1
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = PaperInception(*INCEPTION_CHANNELS["3a"])
        self.inception3b = PaperInception(*INCEPTION_CHANNELS["3b"])
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = PaperInception(*INCEPTION_CHANNELS["4a"])
        self.inception4b = PaperInception(*INCEPTION_CHANNELS["4b"])
        self.inception4c = PaperInception(*INCEPTION_CHANNELS["4c"])
        self.inception4d = PaperInception(*INCEPTION_CHANNELS["4d"])
        self.inception4e = PaperInception(*INCEPTION_CHANNELS["4e"])
        self.maxpool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception5a = PaperInception(*INCEPTION_CHANNELS["5a"])
        self.inception5b = PaperInception(*INCEPTION_CHANNELS["5b"])

        if aux_logits:
            self.aux1 = PaperInceptionAux(512, num_classes)
            self.aux2 = PaperInceptionAux(528, num_classes)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AvgPool2d(7, stride=1)
        self.dropout = nn.Dropout(p=0.4)
        self.fc = nn.Linear(1024, num_classes)

        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_uniform_(m.weight, nonlinearity="linear")  # Caffe's "xavier"
                nn.init.constant_(m.bias, 0.2)
        classifiers = [self.fc] + [aux.fc2 for aux in (self.aux1, self.aux2) if aux is not None]
        for classifier in classifiers:
            nn.init.zeros_(classifier.bias)

    def forward(self, x):
        # N x 3 x 224 x 224
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.maxpool1(x)  # N x 64 x 56 x 56
        x = self.lrn1(x)  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
        x = self.lrn2(x)  # N x 192 x 56 x 56
        x = self.maxpool2(x)  # N x 192 x 28 x 28

        x = self.inception3a(x)  # N x 256 x 28 x 28
        x = self.inception3b(x)  # N x 480 x 28 x 28
        x = self.maxpool3(x)  # N x 480 x 14 x 14

        x = self.inception4a(x)  # N x 512 x 14 x 14
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None  # N x classes
        x = self.inception4b(x)  # N x 512 x 14 x 14
        x = self.inception4c(x)  # N x 512 x 14 x 14
        x = self.inception4d(x)  # N x 528 x 14 x 14
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None  # N x classes
        x = self.inception4e(x)  # N x 832 x 14 x 14
        x = self.maxpool4(x)  # N x 832 x 7 x 7 (3x3/2: the paper's, not torchvision's 2x2)

        x = self.inception5a(x)  # N x 832 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7

        x = self.avgpool(x)  # N x 1024 x 1 x 1 (a fixed 7x7 window)
        x = F.flatten(x, 1)  # N x 1024
        x = self.dropout(x)  # N x 1024
        x = self.fc(x)  # N x num_classes
        return eager_outputs(self, x, aux2, aux1)


def googlenet_paper(num_classes=1000, weights=None, aux_logits=True):
    """GoogLeNet (Inception v1) exactly as the paper's Table 1 and Figure 3 build it.

    Args:
        num_classes: number of classes. Default: 1000.
        weights: a weights file to load, or None. Default: None.
        aux_logits: build the two auxiliary classifiers. Default: True.

    Example:
        >>> model = googlenet_paper(num_classes=10).eval()
        >>> model(tinycnn.tensor(np.zeros((1, 3, 224, 224), np.float32))).shape
        (1, 10)
    """
    model = GoogLeNetPaper(num_classes=num_classes, aux_logits=aux_logits)
    return load_weights(model, weights)
