"""Loss functions as modules: `CrossEntropyLoss`, `NLLLoss` and `MSELoss`.

As in torch, a loss module only stores its options; `forward(input, target)` calls the
function of the same name in `tinycnn.nn.functional`:

    criterion = nn.CrossEntropyLoss()
    loss = criterion(model(x), y)
"""

from tinycnn.nn import functional as F
from tinycnn.nn.module import Module


class _Loss(Module):
    """Stores `reduction` (torch's deprecated size_average and reduce must be None)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        F._check_reduction(type(self).__name__, reduction, size_average, reduce)
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """Cross-entropy between logits and class indices (or class probabilities).

    Args:
        weight: per-class weights (C,), or None. Stored as a buffer, as in torch.
        size_average, reduce: torch's deprecated arguments; must be None.
        ignore_index: a target value that contributes nothing. Default: -100.
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'.
        label_smoothing: in [0, 1]. Default: 0.0.

    Shape:
        - Input: (N, C), (N, C, d1, ...) or (C,) logits.
        - Target: class indices (N,), (N, d1, ...) or (); or probabilities shaped as the input.
        - Output: a scalar, or the target's per-element shape with reduction='none'.

    Example:
        >>> criterion = CrossEntropyLoss()
        >>> loss = criterion(tinycnn.tensor([[2.0, 0.0]]), tinycnn.tensor([0]))
        >>> round(loss.item(), 4)                    # -log(e^2 / (e^2 + e^0))
        0.1269
    """

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None,
        reduction="mean", label_smoothing=0.0,
    ):  # fmt: skip
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input, target, self.weight, ignore_index=self.ignore_index,
            reduction=self.reduction, label_smoothing=self.label_smoothing,
        )  # fmt: skip


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices, given log-probabilities.

    `NLLLoss()(LogSoftmax(dim=1)(x), y)` equals `CrossEntropyLoss()(x, y)`.

    Args:
        weight: per-class weights (C,), or None. Stored as a buffer, as in torch.
        size_average, reduce: torch's deprecated arguments; must be None.
        ignore_index: a target value that contributes nothing. Default: -100.
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'.

    Shape:
        - Input: (N, C), (N, C, d1, ...) or (C,) log-probabilities.
        - Target: class indices (N,), (N, d1, ...) or ().
        - Output: a scalar, or the target's shape with reduction='none'.
    """

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class MSELoss(_Loss):
    """Mean squared error between input and target.

    Args:
        size_average, reduce: torch's deprecated arguments; must be None.
        reduction: 'mean', 'sum' or 'none'. Default: 'mean'.

    Shape:
        - Input, Target: the same shape.
        - Output: a scalar, or that shape with reduction='none'.
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)
