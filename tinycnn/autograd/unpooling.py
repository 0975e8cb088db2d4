"""Max unpooling: put each pooled maximum back where it came from, as a Function."""

import numpy as np

from tinycnn.autograd.function import Function


class MaxUnpool2d(Function):
    """y[n, c].flat[indices[n, c, o]] = x[n, c, o]; every other element of y is zero.

    The flat index i = ih * W + iw counts inside one (n, c) plane, as max pooling's
    `return_indices` gives it. The gradient reads dy back at the same places.
    """

    @staticmethod
    def forward(ctx, x, indices, output_size):
        N, C = x.shape[:2]
        H, W = output_size
        ctx.input_shape = x.shape
        ctx.planes = indices.reshape(N, C, -1)  # N x C x (OH*OW)
        y = np.zeros((N, C, H * W), dtype=x.dtype)
        np.put_along_axis(y, ctx.planes, x.reshape(N, C, -1), axis=2)
        return y.reshape(N, C, H, W)

    @staticmethod
    def backward(ctx, grad):
        N, C, H, W = grad.shape
        picked = np.take_along_axis(grad.reshape(N, C, H * W), ctx.planes, axis=2)
        return picked.reshape(ctx.input_shape), None
