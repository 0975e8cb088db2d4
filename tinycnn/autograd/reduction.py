"""Sum and mean over some or all axes; their gradients spread back over those axes."""

import numpy as np

from tinycnn.autograd.function import Function


def _restore_reduced_axes(grad, input_shape, axis, keepdims):
    """Give `grad` back the reduced axes (as size 1) so it broadcasts over the input."""
    if axis is None:
        return np.reshape(grad, (1,) * len(input_shape))
    if not keepdims:
        grad = np.expand_dims(grad, axis)
    return grad


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.args = (a.shape, axis, keepdims)
        return np.sum(a, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        input_shape, axis, keepdims = ctx.args
        grad = _restore_reduced_axes(grad, input_shape, axis, keepdims)
        return (np.broadcast_to(grad, input_shape).copy(),)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.args = (a.shape, axis, keepdims)
        out = np.mean(a, axis=axis, keepdims=keepdims)
        ctx.count = a.size // max(np.size(out), 1) if a.size else 0
        return out

    @staticmethod
    def backward(ctx, grad):
        input_shape, axis, keepdims = ctx.args
        grad = _restore_reduced_axes(grad, input_shape, axis, keepdims) / ctx.count
        return (np.broadcast_to(grad, input_shape).copy(),)
