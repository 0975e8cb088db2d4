"""Softmax and log-softmax, computed the numerically stable way.

Both subtract the largest logit before exponentiating: softmax is unchanged by adding a
constant to every logit, and exp() of a number <= 0 cannot overflow, so logits of
magnitude 1e4 give finite, exact results. The losses built on them (cross-entropy,
negative log-likelihood) are compositions in `tinycnn.nn.functional`.
"""

import numpy as np

from tinycnn.autograd.function import Function


def _log_softmax(x, axis):
    if x.size == 0:  # nothing to normalize (and max() of nothing is undefined)
        return x.copy()
    shifted = x - x.max(axis=axis, keepdims=True)  # largest entry is now 0
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    """y = x - log(sum(exp(x))) along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        y = _log_softmax(x, dim)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        # dy_i/dx_j = [i == j] - softmax_j, so dx = grad - softmax * sum(grad)
        return (grad - np.exp(y) * grad.sum(axis=ctx.dim, keepdims=True),)


class Softmax(Function):
    """y = exp(x) / sum(exp(x)) along `dim`."""

    @staticmethod
    def forward(ctx, x, dim):
        y = np.exp(_log_softmax(x, dim))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        # dy_i/dx_j = y_i ([i == j] - y_j), so dx = y * (grad - sum(grad * y))
        return (y * (grad - (grad * y).sum(axis=ctx.dim, keepdims=True)),)
