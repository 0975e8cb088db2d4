"""Max, average and adaptive average pooling as differentiable Functions."""

from tinycnn.autograd.function import Function
from tinycnn.kernels.sets import active


class MaxPool2d(Function):
    """Each output is the largest input in its window; the gradient goes to that input.

    `indices_out`, if given, is an int64 array of the output's shape that forward fills
    with where each maximum came from (like NumPy's `out=`), for `return_indices=True`.
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, ceil_mode, indices_out=None):
        geometry = (kernel_size, stride, padding, dilation, ceil_mode)
        if not ctx.needs_input_grad[0] and indices_out is None:
            # No backward will run (no_grad, or x needs no gradient): skip the indices,
            # which cost more to find and store than the maxima themselves.
            return active().max_pool2d_forward(x, *geometry, return_indices=False)
        y, indices = active().max_pool2d_forward(x, *geometry)
        ctx.save_for_backward(indices)
        ctx.input_shape = x.shape
        if indices_out is not None:
            indices_out[...] = indices
        return y

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved
        return (active().max_pool2d_backward(grad, indices, ctx.input_shape),)


class AvgPool2d(Function):
    """Each output is the mean of its window; the gradient is shared out evenly."""

    @staticmethod
    def forward(
        ctx, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None
    ):
        ctx.input_shape = x.shape
        ctx.geometry = (
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        )
        return active().avg_pool2d_forward(x, *ctx.geometry)

    @staticmethod
    def backward(ctx, grad):
        return (active().avg_pool2d_backward(grad, ctx.input_shape, *ctx.geometry),)


class AdaptiveAvgPool2d(Function):
    """Average pooling whose windows are chosen to give a fixed output size."""

    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_shape = x.shape
        return active().adaptive_avg_pool2d_forward(x, output_size)

    @staticmethod
    def backward(ctx, grad):
        return (active().adaptive_avg_pool2d_backward(grad, ctx.input_shape),)
