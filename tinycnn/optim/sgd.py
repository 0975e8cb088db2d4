"""`SGD`: stochastic gradient descent with optional momentum, Nesterov and weight decay."""

import numpy as np

from tinycnn.kernels.sets import active
from tinycnn.nn.functional import _number
from tinycnn.optim.optimizer import Optimizer, check_bool, check_number


class SGD(Optimizer):
    """Stochastic gradient descent, with torch's update rule and order of operations.

    For each parameter p with gradient g, with lr, momentum μ, dampening τ, weight decay λ:

        g = -g                         if maximize
        g = g + λ·p                    if λ != 0     (L2 penalty added to the gradient)
        if μ != 0:
            b = g (a copy)             on p's first step (no dampening then)
            b = μ·b + (1 - τ)·g        on later steps
            g = g + μ·b                if nesterov
            g = b                      otherwise
        p = p - lr·g

    Args:
        params: Parameters, or dicts defining parameter groups (see `Optimizer`).
        lr: learning rate. Default: 1e-3.
        momentum: momentum factor μ. Default: 0.
        dampening: dampening τ of the momentum. Default: 0.
        weight_decay: L2 penalty λ. Default: 0.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0). Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.

    State per parameter: `momentum_buffer` (only when momentum != 0).

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_options(self, options):
        super()._check_options(options)
        op = type(self).__name__
        check_number(op, "momentum", options["momentum"], 0)
        _number(op, "dampening", options["dampening"])
        check_number(op, "weight_decay", options["weight_decay"], 0)
        check_bool(op, "nesterov", options["nesterov"])
        check_bool(op, "maximize", options["maximize"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(
                f"{op}: nesterov=True needs momentum > 0 and dampening == 0, got "
                f"momentum={options['momentum']} and dampening={options['dampening']}"
            )

    def _update(self, param, grad, state, group):
        # The fast kernel makes one pass over the parameter's memory (`kernels.sgd`): on a
        # large model the update is bound by memory traffic, and NumPy operations make four.
        momentum = group["momentum"]
        first_step = momentum != 0 and "momentum_buffer" not in state
        if first_step:
            state["momentum_buffer"] = np.empty(param.shape, param.dtype)
        buffer = np.empty(0, param.dtype)  # not touched when momentum is 0
        if momentum != 0:  # the kernel walks flat arrays: a loaded buffer may not be one
            buffer = state["momentum_buffer"] = np.ascontiguousarray(state["momentum_buffer"])
        # A parameter that is not C-contiguous (a transposed array handed to Parameter) is
        # updated in a contiguous copy, which is then copied back.
        flat = np.ascontiguousarray(param)
        active().sgd_update(
            flat.reshape(-1), np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1),
            buffer.reshape(-1), group["lr"], momentum, group["dampening"],
            group["weight_decay"], group["nesterov"], group["maximize"], first_step,
        )  # fmt: skip
        if flat is not param:
            param[...] = flat
