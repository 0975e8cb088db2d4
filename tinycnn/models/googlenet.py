"""GoogLeNet (Inception v1), as torchvision builds it: Christian Szegedy, Wei Liu, Yangqing Jia,
Pierre Sermanet, Scott Reed, Dragomir Anguelov, Dumitru Erhan, Vincent Vanhoucke and Andrew
Rabinovich, "Going Deeper with Convolutions", CVPR 2015 (arXiv:1409.4842).

An Inception block runs four branches side by side on the same input and concatenates their
outputs along the channels:

    branch1: 1x1 conv
    branch2: 1x1 conv (reduce) -> 3x3 conv
    branch3: 1x1 conv (reduce) -> 5x5 conv      (3x3 in torchvision, see below)
    branch4: 3x3 max pool, stride 1 -> 1x1 conv (pool proj)

so the network looks at several scales at once, while the cheap 1x1 "reduce" convolutions
keep the expensive 3x3 and 5x5 ones narrow. Nine such blocks (3a, 3b, 4a-4e, 5a, 5b; their
widths are the paper's Table 1, `INCEPTION_CHANNELS` below) follow a plain stem and end in a
global average pool and one linear classifier. While training, two auxiliary classifiers on
the outputs of 4a and 4d add their losses (weighted 0.3 in the paper) to push useful
gradient into the middle of the 22-layer network.

    stage              output (224 input)
    conv1              64 x 112 x 112     7x7, stride 2
    maxpool1           64 x 56 x 56       3x3, stride 2
    conv2, conv3       192 x 56 x 56      1x1, then 3x3
    maxpool2           192 x 28 x 28
    inception3a, 3b    480 x 28 x 28
    maxpool3           480 x 14 x 14
    inception4a-4e     832 x 14 x 14      aux1 after 4a, aux2 after 4d
    maxpool4           832 x 7 x 7
    inception5a, 5b    1024 x 7 x 7
    avgpool, fc        num_classes

Where torchvision (and so tinycnn) departs from the paper (`googlenet_paper` in
`tinycnn.models.googlenet_paper` builds the paper's network):
- Every convolution is followed by BatchNorm (eps=0.001) and has no bias (`BasicConv2d`);
  the paper predates BatchNorm and has no normalization but two LocalResponseNorm layers.
- branch3 uses a 3x3 convolution where the paper has a 5x5 (see the NOTE in `Inception`).
- maxpool4 is 2x2 (paper: 3x3), the final pool is adaptive (paper: a fixed 7x7 average),
  and the dropout before the classifier is 0.2 (paper: 0.4).
- The auxiliary heads pool adaptively to 4 x 4 (paper: 5x5 average pool, stride 3, which
  gives 4 x 4 on the 14 x 14 maps of a 224 input).
- `transform_input` re-normalizes ImageNet-normalized inputs to the (x - 0.5) / 0.5 scaling
  that the weights ported from the paper's model expect.
- Weights are initialized from a normal distribution with std 0.01 (the paper does not say).
"""

from collections import namedtuple

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.models.pretrained import load_weights

__all__ = [
    "INCEPTION_CHANNELS",
    "BasicConv2d",
    "GoogLeNet",
    "GoogLeNetOutputs",
    "Inception",
    "InceptionAux",
    "googlenet",
]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
GoogLeNetOutputs.__doc__ = """What GoogLeNet returns in training mode with auxiliary heads.

    logits: (N, num_classes), the main classifier.
    aux_logits2: (N, num_classes), the auxiliary classifier after inception4d.
    aux_logits1: (N, num_classes), the auxiliary classifier after inception4a.

In evaluation mode (or without auxiliary heads) the model returns the logits alone.
"""

# The paper's Table 1, one row per Inception block: in_channels, #1x1, #3x3 reduce, #3x3,
# #5x5 reduce, #5x5, pool proj. A block's output width is #1x1 + #3x3 + #5x5 + pool proj.
INCEPTION_CHANNELS = {
    "3a": (192, 64, 96, 128, 16, 32, 32),
    "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64),
    "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64),
    "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128),
    "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}

# ImageNet's per-channel (R, G, B) mean and std, with which torchvision normalizes inputs.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class BasicConv2d(nn.Module):
    """Convolution without bias, BatchNorm (eps=0.001), ReLU: torchvision's GoogLeNet unit.

    The bias would be cancelled by BatchNorm's mean subtraction; BatchNorm's own shift
    (bn.bias) takes its place.

    Args:
        in_channels, out_channels: C and OC.
        **kwargs: kernel_size, stride, padding, ... as for `nn.Conv2d`.
    """

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        x = self.conv(x)  # N x OC x OH x OW
        x = self.bn(x)  # N x OC x OH x OW
        return F.relu(x, inplace=True)  # N x OC x OH x OW


class Inception(nn.Module):
    """Four parallel branches concatenated along the channels (see the module docstring).

    Every branch keeps H and W, so the output has ch1x1 + ch3x3 + ch5x5 + pool_proj
    channels at the input's resolution.

    Args:
        in_channels: C.
        ch1x1: width of branch1's 1x1 convolution.
        ch3x3red, ch3x3: widths of branch2's 1x1 reduction and its 3x3 convolution.
        ch5x5red, ch5x5: widths of branch3's 1x1 reduction and its "5x5" convolution.
        pool_proj: width of the 1x1 convolution after branch4's max pool.
        conv_block: the convolution unit. Default: `BasicConv2d`.
        branch3_kernel_size: the kernel of branch3's wide convolution. Default: 3 (torchvision).

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).

    Example:
        >>> block = Inception(*INCEPTION_CHANNELS["3a"])
        >>> block(tinycnn.tensor(np.zeros((1, 192, 28, 28), np.float32))).shape
        (1, 256, 28, 28)
    """

    def __init__(
        self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, conv_block=None,
        branch3_kernel_size=3,
    ):  # fmt: skip
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(
            conv_block(in_channels, ch3x3red, kernel_size=1),
            conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1),
        )
        # NOTE: torchvision builds branch3 with a 3x3 kernel where the paper has a 5x5: a known
        # torchvision bug (pytorch/vision#906), kept because its ported ImageNet weights have
        # 3x3 kernels there. `googlenet_paper` passes branch3_kernel_size=5.
        self.branch3 = nn.Sequential(
            conv_block(in_channels, ch5x5red, kernel_size=1),
            conv_block(
                ch5x5red, ch5x5, kernel_size=branch3_kernel_size, padding=branch3_kernel_size // 2
            ),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            conv_block(in_channels, pool_proj, kernel_size=1),
        )

    def forward(self, x):
        # N x C x H x W
        branch1 = self.branch1(x)  # N x ch1x1 x H x W
        branch2 = self.branch2(x)  # N x ch3x3 x H x W
        branch3 = self.branch3(x)  # N x ch5x5 x H x W
        branch4 = self.branch4(x)  # N x pool_proj x H x W
        return F.cat([branch1, branch2, branch3, branch4], 1)  # N x (sum of the four) x H x W


class InceptionAux(nn.Module):
    """An auxiliary classifier: pool to 4 x 4, 1x1 conv to 128, fc 1024 + ReLU, dropout, fc.

    Used only in training, on the outputs of inception4a (aux1) and inception4d (aux2).

    Args:
        in_channels: C (512 for aux1, 528 for aux2).
        num_classes: number of classes.
        conv_block: the convolution unit. Default: `BasicConv2d`.
        dropout: dropout probability before the last linear layer. Default: 0.7.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, num_classes).
    """

    def __init__(self, in_channels, num_classes, conv_block=None, dropout=0.7):
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def pool(self, x):
        """Average to 4 x 4 whatever the input size (torchvision's choice)."""
        return F.adaptive_avg_pool2d(x, (4, 4))

    def forward(self, x):
        # aux1: N x 512 x 14 x 14, aux2: N x 528 x 14 x 14
        x = self.pool(x)  # aux1: N x 512 x 4 x 4, aux2: N x 528 x 4 x 4
        x = self.conv(x)  # N x 128 x 4 x 4
        x = F.flatten(x, 1)  # N x 2048
        x = F.relu(self.fc1(x), inplace=True)  # N x 1024
        x = self.dropout(x)  # N x 1024
        return self.fc2(x)  # N x num_classes


def eager_outputs(model, logits, aux2, aux1):
    """torchvision's output convention: the named tuple while training with auxiliary
    heads, the logits alone otherwise (in evaluation mode the heads are not even run)."""
    if model.training and model.aux_logits:
        return GoogLeNetOutputs(logits, aux2, aux1)
    return logits


class GoogLeNet(nn.Module):
    """torchvision's GoogLeNet; see the module docstring for the layers.

    Args:
        num_classes: number of classes. Default: 1000.
        aux_logits: build the two auxiliary classifiers. Default: True.
        transform_input: re-normalize the input first (see `_transform_input`).
            Default: False.
        init_weights: initialize conv and linear weights from N(0, 0.01**2) truncated to
            [-2, 2] and BatchNorm to weight 1, bias 0; if False, keep the layers' default
            initialization. None (the default) means True, as in torchvision (which also
            warns that this default may change).
        blocks: the three block types [conv, inception, inception_aux]. Default:
            [BasicConv2d, Inception, InceptionAux].
        dropout: dropout probability before the classifier. Default: 0.2.
        dropout_aux: dropout probability in the auxiliary classifiers. Default: 0.7.

    Shape:
        - Input: (N, 3, H, W) with H, W >= 15.
        - Output: (N, num_classes), or `GoogLeNetOutputs` of three such tensors in training
          mode with auxiliary heads.
    """

    def __init__(
        self, num_classes=1000, aux_logits=True, transform_input=False, init_weights=None,
        blocks=None, dropout=0.2, dropout_aux=0.7,
    ):  # fmt: skip
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if len(blocks) != 3:
            raise ValueError(
                "GoogLeNet: blocks must hold 3 block types [conv, inception, inception_aux], "
                f"got {len(blocks)}"
            )
        conv_block, inception_block, inception_aux_block = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input

        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = inception_block(*INCEPTION_CHANNELS["3a"])
        self.inception3b = inception_block(*INCEPTION_CHANNELS["3b"])
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = inception_block(*INCEPTION_CHANNELS["4a"])
        self.inception4b = inception_block(*INCEPTION_CHANNELS["4b"])
        self.inception4c = inception_block(*INCEPTION_CHANNELS["4c"])
        self.inception4d = inception_block(*INCEPTION_CHANNELS["4d"])
        self.inception4e = inception_block(*INCEPTION_CHANNELS["4e"])
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)

        self.inception5a = inception_block(*INCEPTION_CHANNELS["5a"])
        self.inception5b = inception_block(*INCEPTION_CHANNELS["5b"])

        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

        # NOTE: trunc_normal_'s bounds are absolute: [-2, 2] is 200 std, so nothing is cut in
        # practice. (torchvision's earlier scipy version cut at 2 std, scipy's truncnorm
        # taking its bounds in std units; the numbers are kept as torchvision has them.)
        if init_weights is None or init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):  # Linear biases keep their default
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x):
        """If transform_input: turn x = (p - mean) / std, ImageNet's normalization of pixels
        p in [0, 1], into (p - 0.5) / 0.5, the input of the weights ported from the paper's
        model: x * std / 0.5 + (mean - 0.5) / 0.5, channel by channel."""
        if not self.transform_input:
            return x
        channels = [
            x[:, c : c + 1] * (std / 0.5) + (mean - 0.5) / 0.5  # N x 1 x H x W
            for c, (mean, std) in enumerate(zip(IMAGENET_MEAN, IMAGENET_STD, strict=True))
        ]
        return F.cat(channels, 1)  # N x 3 x H x W

    def forward(self, x):
        x = self._transform_input(x)  # N x 3 x 224 x 224
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.maxpool1(x)  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
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
        x = self.maxpool4(x)  # N x 832 x 7 x 7

        x = self.inception5a(x)  # N x 832 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7

        x = self.avgpool(x)  # N x 1024 x 1 x 1
        x = F.flatten(x, 1)  # N x 1024
        x = self.dropout(x)  # N x 1024
        x = self.fc(x)  # N x num_classes
        return eager_outputs(self, x, aux2, aux1)


def googlenet(
    num_classes=1000, weights=None, aux_logits=None, transform_input=None, init_weights=None,
    blocks=None, dropout=0.2, dropout_aux=0.7,
):  # fmt: skip
    """GoogLeNet (Inception v1) as torchvision builds it: 6,624,904 parameters without the
    auxiliary heads, 13,004,888 with them.

    Args:
        num_classes: number of classes. Default: 1000.
        weights: a weights file to load (see `tinycnn.models.pretrained.load_weights`), or
            None. Default: None.
        aux_logits: build the auxiliary heads. None (the default) means True without
            weights and False with them: as torchvision, the heads are loaded from the file
            (which holds them) and then removed, unless aux_logits=True is passed.
        transform_input: as for `GoogLeNet`. None (the default) means False without weights
            and True with them, as torchvision: its published weights expect the input
            re-normalized (see `GoogLeNet._transform_input`).
        init_weights: as for `GoogLeNet`; None (the default) means True when no weights are
            given and False when they are (they overwrite the initialization anyway).
        blocks, dropout, dropout_aux: as for `GoogLeNet`.

    Example:
        >>> model = googlenet(num_classes=10, aux_logits=False)
        >>> model.eval()(tinycnn.tensor(np.zeros((1, 3, 224, 224), np.float32))).shape
        (1, 10)
    """
    pretrained = weights is not None
    keep_aux = aux_logits if aux_logits is not None else not pretrained
    model = GoogLeNet(
        num_classes=num_classes,
        aux_logits=keep_aux or pretrained,  # a weights file holds the heads: load them too
        transform_input=transform_input if transform_input is not None else pretrained,
        init_weights=init_weights if init_weights is not None else not pretrained,
        blocks=blocks, dropout=dropout, dropout_aux=dropout_aux,
    )  # fmt: skip
    model = load_weights(model, weights)
    if not keep_aux:
        model.aux_logits = False
        model.aux1 = model.aux2 = None
    return model
