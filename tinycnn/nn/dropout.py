"""`Dropout` and `Dropout2d`: randomly zero activations (or whole channels) while training."""

from tinycnn.nn import functional as F
from tinycnn.nn.module import Module


class Dropout(Module):
    """Randomly zeroes elements in training mode; returns the input in eval mode.

    In training mode each element is zeroed with probability p and the others are scaled
    by 1 / (1 - p), so the expected value is unchanged.

    The mask is drawn from `tinycnn.rng.generator()` (seed it with `tinycnn.manual_seed`).

    Args:
        p: probability of zeroing an element, in [0, 1]. Default: 0.5.
        inplace: accepted for torch compatibility; the result is always a new tensor.
            Default: False.

    Shape:
        - Input: any.
        - Output: same shape as the input.

    Example:
        >>> drop = Dropout(p=0.5)
        >>> drop.eval()(x) is x          # identity in evaluation mode
        True
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Module):
    """Randomly zeroes whole channels in training mode; returns the input in eval mode.

    Each (n, c) feature map is zeroed with probability p and the others are scaled by
    1 / (1 - p). See `tinycnn.nn.functional.dropout2d` for why channels, not elements.

    Args:
        p: probability of zeroing a channel, in [0, 1]. Default: 0.5.
        inplace: accepted for torch compatibility; the result is always a new tensor.
            Default: False.

    Shape:
        - Input: (N, C, H, W) or (C, H, W).
        - Output: same shape as the input.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
