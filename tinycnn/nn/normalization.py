"""`LocalResponseNorm`: AlexNet's and GoogLeNet's normalization across channels."""

from tinycnn.nn import functional as F
from tinycnn.nn.module import Module


class LocalResponseNorm(Module):
    """Divides each activation by a power of the energy of its neighbouring channels:

        b[c] = a[c] / (k + alpha / size * sum_{c'} a[c']^2) ** beta

    with c' over [c - size // 2, c + (size - 1) // 2] (channels outside [0, C) count as
    zero). NOTE: as in torch, alpha is divided by `size`; see
    `tinycnn.nn.functional.local_response_norm` for AlexNet's constants.

    Args:
        size: number of neighbouring channels in the window.
        alpha: multiplicative factor. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive factor. Default: 1.0.

    Shape:
        - Input: (N, C, *).
        - Output: same shape as the input.

    Example:
        >>> lrn = LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)   # the AlexNet paper's
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
