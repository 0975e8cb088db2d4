"""Operations that move elements around without arithmetic: reshape, transpose, index, cat.

Their backward passes move the gradient back to where each element came from.
"""

import numpy as np

from tinycnn.autograd.function import Function


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.input_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return (grad.reshape(ctx.input_shape),)


class Transpose(Function):
    """Swap two axes."""

    @staticmethod
    def forward(ctx, a, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return np.swapaxes(a, dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return (np.swapaxes(grad, *ctx.dims),)


class Index(Function):
    """a[key] for any NumPy key: ints, slices, None, Ellipsis, integer or boolean arrays."""

    @staticmethod
    def forward(ctx, a, key):
        ctx.input_shape = a.shape
        ctx.input_dtype = a.dtype
        ctx.key = key
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        grad_a = np.zeros(ctx.input_shape, dtype=ctx.input_dtype)
        # add.at, not `grad_a[key] += grad`: an integer-array key may pick one element
        # twice, and each pick must add its own gradient.
        np.add.at(grad_a, ctx.key, grad)
        return (grad_a,)


class Cat(Function):
    """Concatenate along `dim`; the gradient is split back at the same boundaries."""

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        ctx.boundaries = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.boundaries, axis=ctx.dim))


class Permute(Function):
    """Reorder the axes: output axis i is input axis dims[i]."""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return (np.transpose(grad, np.argsort(ctx.dims)),)


class Copy(Function):
    """A copy that owns its memory (torch's clone); the gradient passes unchanged."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return (grad,)


class Gather(Function):
    """out[..., j, ...] = a[..., index[..., j, ...], ...] along `axis` (torch.gather).

    The gradient goes back to the picked positions; np.add.at sums it where one position
    was picked more than once.
    """

    @staticmethod
    def forward(ctx, a, index, axis):
        ctx.args = (a.shape, a.dtype, index, axis)
        return np.take_along_axis(a, index, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        shape, dtype, index, axis = ctx.args
        positions = list(np.indices(index.shape, sparse=True))
        positions[axis] = index
        grad_a = np.zeros(shape, dtype=dtype)
        np.add.at(grad_a, tuple(positions), grad)
        return (grad_a, None)
