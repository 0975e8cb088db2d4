"""The SGD update of one parameter, in one pass over its memory.

On a large model the update is bound by memory traffic, not arithmetic: AlexNet's 61
million parameters are 244 MB, and written as NumPy operations (``b *= momentum``,
``b += g``, ``p += -lr * b``) the update reads and writes them four times. This loop
reads each parameter, gradient and momentum value once and writes each once, with the
same float operations in the same order, so the result is the same to the last bit.
"""

from numba import prange

from tinycnn.kernels.runtime.threads import parallel_kernel


def sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
               first_step):  # fmt: skip
    """Update ``param`` (and the momentum ``buffer``) in place, as `tinycnn.optim.SGD` does.

    Args:
        param, grad: the parameter and its gradient, 1-D C-contiguous arrays of one size.
        buffer: the momentum buffer, 1-D, same size (not read or written when momentum is 0).
        lr, momentum, dampening, weight_decay: numbers.
        nesterov, maximize, first_step: booleans; first_step: the buffer starts at g.
    """
    scalar = param.dtype.type  # the loop computes in the arrays' dtype, as NumPy would
    sgd_update_loop(
        param, grad, buffer, scalar(lr), scalar(momentum), scalar(1 - dampening),
        scalar(weight_decay), nesterov, maximize, first_step, work=param.size,
    )  # fmt: skip


@parallel_kernel
def sgd_update_loop(param, grad, buffer, lr, momentum, undamped, weight_decay, nesterov,
                    maximize, first_step):  # fmt: skip
    """The loop of `sgd_update`.

    Loop (each element alone, in parallel; the scalars have the arrays' dtype)::

        g = -grad[i] if maximize else grad[i]
        g = weight_decay * param[i] + g                     if weight_decay != 0
        if momentum != 0:
            b = g if first_step else momentum * buffer[i] + undamped * g
            buffer[i] = b
            g = momentum * b + g if nesterov else b
        param[i] = param[i] + (-lr) * g

    Args:
        param, grad: the parameter and its gradient, 1-D views of the same size.
        buffer: the momentum buffer, 1-D, same size (not read or written when momentum is 0).
        lr, momentum, weight_decay: scalars of the arrays' dtype.
        undamped: ``1 - dampening``, a scalar of the arrays' dtype (with dampening 0 it is
            1, and ``1 * g`` is ``g`` exactly).
        nesterov, maximize, first_step: booleans; first_step: the buffer starts at g.
    """
    # Race-free: iteration i reads and writes element i only.
    for i in prange(param.size):
        g = -grad[i] if maximize else grad[i]
        if weight_decay != 0:
            g = weight_decay * param[i] + g
        if momentum != 0:
            b = g if first_step else momentum * buffer[i] + undamped * g
            buffer[i] = b
            g = momentum * b + g if nesterov else b
        param[i] = param[i] + -lr * g
