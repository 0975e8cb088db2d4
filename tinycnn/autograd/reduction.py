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


def _reduced_count(shape, axis):
    """How many input elements each output of a reduction over `axis` combines."""
    if axis is None:
        return int(np.prod(shape))
    return int(np.prod([shape[i] for i in np.atleast_1d(axis)]))


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


class Variance(Function):
    """sum((x - mean)^2) / (n - correction) over `axis`; correction=1 is torch's default.

    d var / d x_i = 2 (x_i - mean) / (n - correction): the mean's own dependence on x_i
    drops out because the deviations sum to zero.
    """

    @staticmethod
    def forward(ctx, a, axis, keepdims, correction):
        deviation = a - a.mean(axis=axis, keepdims=True)
        count = _reduced_count(a.shape, axis)
        # torch divides by max(0, n - correction): too few elements give inf or nan.
        with np.errstate(divide="ignore"):
            ctx.scale = np.divide(1.0, max(0, count - correction), dtype=a.dtype)
        with np.errstate(invalid="ignore"):
            out = (deviation * deviation).sum(axis=axis, keepdims=keepdims) * ctx.scale
        ctx.save_for_backward(deviation)
        ctx.args = (a.shape, axis, keepdims)
        return out

    @staticmethod
    def backward(ctx, grad):
        (deviation,) = ctx.saved
        input_shape, axis, keepdims = ctx.args
        grad = _restore_reduced_axes(grad, input_shape, axis, keepdims)
        with np.errstate(invalid="ignore"):
            return (grad * deviation * (2 * ctx.scale),)


class ExtremeOfAll(Function):
    """The max (or min) of every element; the gradient is shared evenly among the elements
    that reach it (torch's rule for `x.max()`), NaN counting as reaching a NaN result."""

    @staticmethod
    def forward(ctx, a, largest):
        out = np.max(a) if largest else np.min(a)
        winners = (a == out) | (np.isnan(a) & np.isnan(out))
        ctx.save_for_backward(winners)
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        (winners,) = ctx.saved
        return (winners * (grad / winners.sum()).astype(grad.dtype),)
