"""Elementwise maths beyond + - * /: sqrt, abs, clamp, sigmoid, tanh, leaky ReLU, casts.

Each output element depends on one input element only, so each backward is the upstream
gradient times the derivative at that element.
"""

import numpy as np

from tinycnn.autograd.function import Function


class Sqrt(Function):
    """y = sqrt(x); dy/dx = 1 / (2 y)."""

    @staticmethod
    def forward(ctx, a):
        y = np.sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad / (2 * y),)


class Abs(Function):
    """y = |x|; dy/dx = sign(x), which is 0 at x = 0 (torch's choice)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return (grad * np.sign(a),)


class Clamp(Function):
    """y = min(max(x, low), high); the gradient passes where low <= x <= high (torch's rule).

    `low` or `high` may be None (no bound on that side).
    """

    @staticmethod
    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.bounds = (low, high)
        y = a if low is None else np.maximum(a, np.asarray(low, dtype=a.dtype))
        return y if high is None else np.minimum(y, np.asarray(high, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        low, high = ctx.bounds
        inside = np.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return (grad * inside,)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)); dy/dx = y (1 - y).

    exp is only ever taken of -|x| <= 0, so no overflow for logits of any magnitude:
    for x >= 0 y = 1 / (1 + e), for x < 0 y = e / (1 + e), with e = exp(-|x|).
    """

    @staticmethod
    def forward(ctx, a):
        e = np.exp(-np.abs(a))
        y = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad * y * (1 - y),)


class Tanh(Function):
    """y = tanh(x); dy/dx = 1 - y^2."""

    @staticmethod
    def forward(ctx, a):
        y = np.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved
        return (grad * (1 - y * y),)


class LeakyReLU(Function):
    """y = x where x > 0, else negative_slope * x; the derivative is 1 or negative_slope."""

    @staticmethod
    def forward(ctx, a, negative_slope):
        ctx.save_for_backward(a)
        ctx.slope = np.asarray(negative_slope, dtype=a.dtype)
        return np.where(a > 0, a, a * ctx.slope)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return (np.where(a > 0, grad, grad * ctx.slope),)


class Cast(Function):
    """The same values in another floating-point dtype; the gradient is cast back."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.input_dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return (grad.astype(ctx.input_dtype),)
