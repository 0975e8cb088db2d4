"""The fully connected layer's affine map as one differentiable Function."""

from math import prod

from tinycnn.autograd.function import Function
from tinycnn.kernels.runtime.threads import blas_threads_for


def _flop(x, weight):
    """Floating-point operations of x @ Wᵀ; each of the backward's two products has as many."""
    return 2 * x.size * weight.shape[0]


class Linear(Function):
    """y = x @ Wᵀ + b, x (*, in_features), W (out_features, in_features), b (out_features,)."""

    returns_new_arrays = True  # two matmuls and a sum: each gradient is a new array

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        with blas_threads_for(_flop(x, weight)):  # small products: one thread
            y = x @ weight.T  # * x out_features
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        rows = prod(x.shape[:-1])  # N*...; given, not -1, which is ambiguous for empty arrays
        grad_2d = grad.reshape(rows, grad.shape[-1])  # (N*...) x out_features
        x_2d = x.reshape(rows, x.shape[-1])  # (N*...) x in_features
        with blas_threads_for(_flop(x, weight)):
            grad_x = (grad @ weight) if needs_x else None
            grad_weight = (grad_2d.T @ x_2d) if needs_weight else None
        grad_bias = grad_2d.sum(axis=0) if (needs_bias and ctx.has_bias) else None
        return grad_x, grad_weight, grad_bias
