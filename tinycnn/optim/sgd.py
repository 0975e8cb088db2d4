"""`SGD`: stochastic gradient descent with optional momentum, Nesterov and weight decay."""

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
        # In-place NumPy operations where the array is ours to change (never p.grad): each
        # `a = a + b * c` would allocate fresh arrays, and on a large model the update is
        # bound by memory traffic, not arithmetic. The rounding is the same as the formulas'.
        momentum = group["momentum"]
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            decayed = group["weight_decay"] * param
            decayed += grad
            grad = decayed
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                if group["dampening"] == 0:
                    buffer += grad  # (1 - 0) * grad is grad: skip a pass and a temporary
                else:
                    buffer += (1 - group["dampening"]) * grad
            if group["nesterov"]:
                ahead = momentum * buffer
                ahead += grad
                grad = ahead
            else:
                grad = buffer
        param += -group["lr"] * grad
