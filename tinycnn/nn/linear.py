"""`Linear` (a fully connected layer) and `Identity` (a placeholder that does nothing)."""

import numpy as np

from tinycnn.nn import functional as F
from tinycnn.nn import init
from tinycnn.nn.functional import _positive_int
from tinycnn.nn.module import Module
from tinycnn.nn.parameter import Parameter


class Identity(Module):
    """Returns its input unchanged; a stand-in for a layer that is switched off.

    Args:
        *args, **kwargs: ignored, as in torch, so it can replace any layer's constructor.

    Shape:
        - Input: any.
        - Output: the same tensor.

    Example:
        >>> model.fc = Identity()          # use a classifier as a feature extractor
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Applies y = x @ weightᵀ + bias.

    Args:
        in_features: size of each input sample's last axis.
        out_features: size of each output sample's last axis.
        bias: whether to add a learnable bias. Default: True.

    Attributes:
        weight: Parameter (out_features, in_features), initialized as torch does:
            U(-1/sqrt(in_features), 1/sqrt(in_features)).
        bias: Parameter (out_features,) with the same distribution, or None.

    Shape:
        - Input: (*, in_features), any number of leading axes.
        - Output: (*, out_features).

    Example:
        >>> fc = Linear(512, 1000)                 # ResNet-18's classifier
        >>> fc(tinycnn.tensor(np.zeros((8, 512), np.float32))).shape
        (8, 1000)
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Redraw weight and bias from torch's default distribution (see Attributes)."""
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
