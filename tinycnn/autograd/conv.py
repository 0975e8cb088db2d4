"""2-D convolution as a differentiable Function over the active kernels' three passes."""

from tinycnn.autograd.function import Function
from tinycnn.kernels.sets import active


class Conv2d(Function):
    """y = conv2d(x, w) + b, with x (N, C, H, W), w (OC, C/groups, KH, KW), b (OC,) or None."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)
        ctx.geometry = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        return active().conv2d_forward(x, w, b, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved
        needs_x, needs_w, needs_b = ctx.needs_input_grad
        grad_x = grad_w = grad_b = None
        if needs_x:
            grad_x = active().conv2d_backward_input(grad, w, x.shape, *ctx.geometry)
        if needs_w:
            grad_w = active().conv2d_backward_weight(grad, x, w.shape, *ctx.geometry)
        if needs_b and ctx.has_bias:
            grad_b = grad.sum(axis=(0, 2, 3))  # b[oc] is added to every (n, oh, ow)
        return grad_x, grad_w, grad_b
