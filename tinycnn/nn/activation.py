"""Activation layers: `ReLU` (every architecture in tinycnn), `LeakyReLU`, `Sigmoid`, `Tanh`,
`Softmax` and `LogSoftmax`, each a thin module over the function in `nn.functional`."""

from tinycnn.nn import functional as F
from tinycnn.nn.module import Module


class ReLU(Module):
    """Applies max(x, 0) elementwise.

    Args:
        inplace: accepted so torchvision-style code builds unchanged; as
            `tinycnn.nn.functional.relu` explains, the result is always a new tensor.
            Default: False.

    Shape:
        - Input: any.
        - Output: same shape as the input.

    Example:
        >>> ReLU()(tinycnn.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """Applies x where x > 0, else negative_slope * x, elementwise.

    Args:
        negative_slope: the slope for negative inputs. Default: 0.01.
        inplace: accepted for torch compatibility; the result is a new tensor. Default: False.

    Shape:
        - Input: any.
        - Output: same shape as the input.

    Example:
        >>> LeakyReLU(0.1)(tinycnn.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


class Sigmoid(Module):
    """Applies 1 / (1 + exp(-x)) elementwise.

    Shape:
        - Input: any.
        - Output: same shape as the input.
    """

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """Applies tanh(x) elementwise.

    Shape:
        - Input: any.
        - Output: same shape as the input.
    """

    def forward(self, input):
        return F.tanh(input)


class _AlongDim(Module):
    """An activation that works along one axis, `dim`, shown in its repr."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """Rescales each slice along `dim` into probabilities: exp(x) / sum(exp(x)).

    Args:
        dim: the axis along which the outputs sum to 1. Default: None (torch's legacy
            choice, see `F.softmax`; pass it).

    Shape:
        - Input: any.
        - Output: same shape as the input.
    """

    def forward(self, input):
        return F.softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    """Applies log(softmax(x)) along `dim`, computed stably.

    Args:
        dim: the axis of the classes. Default: None (see `F.log_softmax`; pass it).

    Shape:
        - Input: any.
        - Output: same shape as the input.
    """

    def forward(self, input):
        return F.log_softmax(input, self.dim)
