"""Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`, and `MaxUnpool2d`.

As in torch, the window arguments are stored as given (an int stays an int) and checked
by `tinycnn.nn.functional` when the layer runs.
"""

from tinycnn.nn import functional as F
from tinycnn.nn.functional import _pair
from tinycnn.nn.module import Module


class MaxPool2d(Module):
    """Takes the maximum over each kernel_size window of each channel.

    Args:
        kernel_size: an int or a (KH, KW) pair.
        stride: an int or a (SH, SW) pair. Default: kernel_size.
        padding: an int or a (PH, PW) pair of -inf added on both sides, at most half the
            kernel. Default: 0.
        dilation: an int or a (DH, DW) pair, the spacing between window taps. Default: 1.
        ceil_mode: round the output size up instead of down. Default: False.
        return_indices: also return where each maximum came from (for `MaxUnpool2d`, or
            to see which input won). Default: False.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW), where (floor, or ceil if ceil_mode)

          OH = floor((H + 2 * PH - DH * (KH - 1) - 1) / SH) + 1
          OW = floor((W + 2 * PW - DW * (KW - 1) - 1) / SW) + 1

    Example:
        >>> pool = MaxPool2d(kernel_size=3, stride=2)            # AlexNet: 55 -> 27
        >>> pool(tinycnn.tensor(np.zeros((1, 64, 55, 55), np.float32))).shape
        (1, 64, 27, 27)
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
        ceil_mode=False,
    ):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return F.max_pool2d(
            input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
            self.return_indices,
        )  # fmt: skip

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """Takes the mean over each kernel_size window of each channel.

    Args:
        kernel_size: an int or a (KH, KW) pair.
        stride: an int or a (SH, SW) pair. Default: kernel_size.
        padding: an int or a (PH, PW) pair of zeros added on both sides, at most half the
            kernel. Default: 0.
        ceil_mode: round the output size up instead of down. Default: False.
        count_include_pad: divide by the full window size, padding included (True), or
            by the number of input elements in the window (False). Default: True.
        divisor_override: an int that divides every window's sum instead. Default: None.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW), where (floor, or ceil if ceil_mode)

          OH = floor((H + 2 * PH - KH) / SH) + 1
          OW = floor((W + 2 * PW - KW) / SW) + 1

    Example:
        >>> pool = AvgPool2d(kernel_size=2, stride=2)            # DenseNet's transition
        >>> pool(tinycnn.tensor(np.zeros((1, 128, 56, 56), np.float32))).shape
        (1, 128, 28, 28)
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
        divisor_override=None,
    ):  # fmt: skip
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
            self.count_include_pad, self.divisor_override,
        )  # fmt: skip

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Averages each channel down to a fixed (OH, OW), whatever the input's size.

    Output row i averages input rows floor(i * H / OH) to ceil((i + 1) * H / OH) - 1
    (columns likewise), so the windows cover the input exactly when OH divides H.

    Args:
        output_size: an int, or an (OH, OW) pair where None keeps that input size.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: (N, C, OH, OW) or (C, OH, OW).

    Example:
        >>> pool = AdaptiveAvgPool2d((1, 1))                     # ResNet's global pool
        >>> pool(tinycnn.tensor(np.zeros((1, 512, 7, 7), np.float32))).shape
        (1, 512, 1, 1)
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """Undoes a MaxPool2d: each value returns to where its maximum was; the rest is zero.

    Args:
        kernel_size, stride (default: kernel_size), padding: the pooling's, an int or a
            (height, width) pair.

    Shape:
        - Input: (N, C, OH, OW) or (C, OH, OW), with the indices of the same shape.
        - Output: (N, C, H, W) or (C, H, W), where H = (OH - 1) * SH - 2 * PH + KH (W
          likewise), or `output_size` given to forward.

    Example:
        >>> pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
        >>> y, indices = pool(x)
        >>> unpool(y, indices).shape == x.shape          # for even H and W
        True
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _pair("MaxUnpool2d", "kernel_size", kernel_size, 1)
        self.stride = _pair(
            "MaxUnpool2d", "stride", stride if stride is not None else kernel_size, 1
        )
        self.padding = _pair("MaxUnpool2d", "padding", padding, 0)

    def forward(self, input, indices, output_size=None):
        return F.max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
