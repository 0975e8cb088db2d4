"""Rectified linear unit as a differentiable Function."""

from tinycnn.autograd.function import Function
from tinycnn.kernels.sets import active


class ReLU(Function):
    """y = max(x, 0); the gradient passes where y > 0."""

    @staticmethod
    def forward(ctx, x):
        y = active().relu_forward(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (active().relu_backward(grad, y),)
