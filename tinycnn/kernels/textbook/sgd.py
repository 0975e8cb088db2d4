"""The SGD update of one parameter, with torch's rule and order of operations.

    g = -grad if maximize else grad
    g = g + weight_decay * param                 if weight_decay != 0
    if momentum != 0:
        buffer = g                               on the first step
        buffer = momentum * buffer + (1 - dampening) * g     on later steps
        g = g + momentum * buffer if nesterov else buffer
    param = param - lr * g

Everything is computed in the parameter's dtype, as the fast kernel does.
"""


def sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
               first_step):  # fmt: skip
    """Update param (and the momentum buffer) in place.

    Args:
        param, grad, buffer: 1-D arrays of one size and dtype (buffer unused when momentum
            is 0).
        lr, momentum, dampening, weight_decay: numbers.
        nesterov, maximize, first_step: booleans; on the first step the buffer starts at g.
    """
    scalar = param.dtype.type  # compute in the parameter's dtype
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = scalar(weight_decay) * param + g
    if momentum != 0:
        if first_step:
            buffer[...] = g
        else:
            buffer[...] = scalar(momentum) * buffer + scalar(1 - dampening) * g
        g = scalar(momentum) * buffer + g if nesterov else buffer
    param += scalar(-lr) * g
