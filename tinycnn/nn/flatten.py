"""`Flatten`: merges a range of axes into one, typically before a classifier."""

from tinycnn.nn import functional as F
from tinycnn.nn.module import Module


class Flatten(Module):
    """Flattens axes start_dim..end_dim into one axis.

    Args:
        start_dim: first axis to flatten. Default: 1 (keep the batch axis).
        end_dim: last axis to flatten. Default: -1.

    Shape:
        - Input: (*, S_start, ..., S_end, *).
        - Output: (*, S_start * ... * S_end, *).

    Example:
        >>> Flatten()(tinycnn.tensor(np.zeros((32, 512, 7, 7), np.float32))).shape
        (32, 25088)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
