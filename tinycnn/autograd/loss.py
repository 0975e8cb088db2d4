"""Log-softmax and cross-entropy, computed the numerically stable way.

Both subtract the largest logit before exponentiating: softmax is unchanged by adding a
constant to every logit, and exp() of a number <= 0 cannot overflow, so logits of
magnitude 1e4 give finite, exact results.
"""

import numpy as np

from tinycnn.autograd.function import Function


def _log_softmax(x, axis):
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


class CrossEntropy(Function):
    """Cross-entropy of logits (N, C) against class indices (N,), with label smoothing.

    With smoothing eps the target distribution is q = (1 - eps) * onehot(target) + eps / C,
    and the loss of sample n is -sum_c q[n, c] * log_softmax(x)[n, c] (torch's definition).
    Its gradient with respect to the logits is softmax(x) - q.
    """

    @staticmethod
    def forward(ctx, logits, target, reduction, label_smoothing):
        N, C = logits.shape
        log_p = _log_softmax(logits, axis=1)  # N x C
        q = np.full((N, C), label_smoothing / C, dtype=logits.dtype)
        q[np.arange(N), target] += 1 - label_smoothing
        losses = -(q * log_p).sum(axis=1)  # N
        ctx.save_for_backward(log_p, q)
        ctx.reduction = reduction
        if reduction == "mean":
            return losses.mean()
        if reduction == "sum":
            return losses.sum()
        return losses

    @staticmethod
    def backward(ctx, grad):
        log_p, q = ctx.saved
        N = log_p.shape[0]
        if ctx.reduction == "none":
            per_sample = grad[:, np.newaxis]  # N x 1
        elif ctx.reduction == "mean":
            per_sample = grad / N
        else:
            per_sample = grad
        return (np.exp(log_p) - q) * per_sample, None
