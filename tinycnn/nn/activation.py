"""`ReLU`, the activation of every architecture in tinycnn."""

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
