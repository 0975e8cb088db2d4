"""Dropout as a differentiable Function: the mask drawn in the forward pass scales the
gradient in the backward pass."""

from tinycnn import kernels
from tinycnn.autograd.function import Function


class Dropout(Function):
    """y = x * mask, mask = (u >= p) / (1 - p) with u uniform; dx = dy * mask.

    Options: p (0 < p < 1), generator (the `numpy.random.Generator` the mask is drawn from).
    """

    @staticmethod
    def forward(ctx, x, p, generator):
        y, mask = kernels.active().dropout_forward(x, p, generator)
        ctx.save_for_backward(mask)
        return y

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved
        return (kernels.active().dropout_backward(grad, mask),)
