"""`Conv2d`: a 2-D convolution layer holding its weight and bias."""

import numpy as np

from tinycnn.nn import functional as F
from tinycnn.nn import fusion, init
from tinycnn.nn.functional import _pair, _positive_int
from tinycnn.nn.module import Module
from tinycnn.nn.parameter import Parameter


class Conv2d(Module):
    r"""Applies a 2-D convolution (cross-correlation) over an (N, C, H, W) input.

    out[n, oc] = bias[oc] + sum over the C/groups channels c of oc's group of
    weight[oc, c] (*) input[n, c], where (*) is 2-D cross-correlation.

    Args:
        in_channels: C, channels of the input.
        out_channels: OC, channels of the output (number of filters).
        kernel_size: an int or a (KH, KW) pair.
        stride: an int or a (SH, SW) pair. Default: 1.
        padding: an int or a (PH, PW) pair of zeros added on both sides, or 'valid'
            (none) or 'same' (output size = input size; stride 1 only). Default: 0.
        dilation: an int or a (DH, DW) pair, the spacing between kernel taps. Default: 1.
        groups: split the channels into this many independent convolutions; must divide
            in_channels and out_channels. Default: 1.
        bias: whether to add a learnable bias. Default: True.

    Attributes:
        weight: Parameter (OC, C // groups, KH, KW), initialized as torch does:
            U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C // groups * KH * KW.
        bias: Parameter (OC,) with the same distribution, or None.
        kernel_size, stride, dilation: (height, width) tuples; padding: a tuple or the
            string given.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, OC, OH, OW) or (OC, OH, OW), where

          OH = floor((H + 2 * PH - DH * (KH - 1) - 1) / SH) + 1
          OW = floor((W + 2 * PW - DW * (KW - 1) - 1) / SW) + 1

    Example:
        >>> conv = Conv2d(3, 64, kernel_size=11, stride=4, padding=2)   # AlexNet's first
        >>> conv(tinycnn.tensor(np.zeros((1, 3, 224, 224), np.float32))).shape
        (1, 64, 55, 55)
    """

    def __init__(
        self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
        groups=1, bias=True,
    ):  # fmt: skip
        super().__init__()
        op = "Conv2d"
        self.in_channels = _positive_int(op, "in_channels", in_channels)
        self.out_channels = _positive_int(op, "out_channels", out_channels)
        self.groups = _positive_int(op, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{op}: groups must divide in_channels={in_channels} and "
                f"out_channels={out_channels}, got groups={groups}"
            )
        self.kernel_size = _pair(op, "kernel_size", kernel_size, 1)
        self.stride = _pair(op, "stride", stride, 1)
        self.padding = padding if isinstance(padding, str) else _pair(op, "padding", padding, 0)
        self.dilation = _pair(op, "dilation", dilation, 1)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw weight and bias from torch's default distribution (see Attributes)."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        arguments = (self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        if not self.training and fusion.fusing(input, self.weight, self.bias):
            # Inference: the output is computed when first read, so that a BatchNorm2d
            # that follows can fold into this convolution (tinycnn/nn/fusion.py).
            x, options, crop, unbatched = F._checked_conv2d(input, *arguments)
            if crop == (0, 0) and not unbatched:
                return fusion.conv2d(x, self.weight, self.bias, options)
        return F.conv2d(input, *arguments)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
