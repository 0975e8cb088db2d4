"""Batch normalization and local response normalization as differentiable Functions."""

from tinycnn.autograd.function import Function
from tinycnn.kernels.sets import active


class BatchNormTraining(Function):
    """Normalize each channel with the batch's own mean and variance.

    When running statistics are given (ndarrays of shape (C,)), they are updated in
    place, with the unbiased variance, as torch does:
        running = (1 - momentum) * running + momentum * batch_statistic
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, momentum, eps):
        y, mean, var, invstd = active().batch_norm_train_forward(x, weight, bias, eps)
        ctx.save_for_backward(x, mean, invstd, weight)
        if running_mean is not None:
            count = x.size // x.shape[1]  # values per channel: N * H * W
            unbiased_var = var * (count / (count - 1))
            for running, batch_value in ((running_mean, mean), (running_var, unbiased_var)):
                running *= 1 - momentum
                running += momentum * batch_value.astype(running.dtype, copy=False)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, mean, invstd, weight = ctx.saved
        return active().batch_norm_train_backward(grad, x, mean, invstd, weight)


class BatchNormEvaluation(Function):
    """Normalize each channel with fixed (running) statistics: an affine map per channel."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps):
        ctx.save_for_backward(x, weight, running_mean, running_var)
        ctx.eps = eps
        return active().batch_norm_eval_forward(x, running_mean, running_var, weight, bias, eps)

    @staticmethod
    def backward(ctx, grad):
        x, weight, running_mean, running_var = ctx.saved
        grad_x, grad_weight, grad_bias = active().batch_norm_eval_backward(
            grad, x, running_mean, running_var, weight, ctx.eps
        )
        return grad_x, grad_weight, grad_bias, None, None


class LocalResponseNorm(Function):
    """Divide each activation by a power of the energy of its neighbouring channels."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        y, scale = active().local_response_norm_forward(x, size, alpha, beta, k)
        ctx.save_for_backward(x, y, scale)
        ctx.params = (size, alpha, beta)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, y, scale = ctx.saved
        return (active().local_response_norm_backward(grad, x, y, scale, *ctx.params),)
