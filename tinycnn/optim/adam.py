"""`Adam` and `AdamW`: adaptive moment estimation, with L2 or decoupled weight decay."""

import numpy as np

from tinycnn.optim.optimizer import Optimizer, check_bool, check_number


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with torch's update rule and order of operations.

    For each parameter p with gradient g, with lr, betas (β1, β2), eps ε, weight decay λ,
    and t the number of steps this parameter has taken (counting this one):

        g = -g                         if maximize
        p = p·(1 - lr·λ)               if λ != 0 and decoupled_weight_decay  (AdamW)
        g = g + λ·p                    if λ != 0 otherwise                    (L2 penalty)
        m = m + (1 - β1)·(g - m)       first moment (torch's lerp_; see `_lerp_`)
        v = β2·v + (1 - β2)·g·g        second moment
        v̂ = max(v̂, v)                  if amsgrad
        denom = sqrt(v̂ if amsgrad else v) / sqrt(1 - β2^t) + ε
        p = p - (lr / (1 - β1^t))·m / denom

    m, v and v̂ start at zero. The bias corrections 1 - β^t are applied to scalars, not
    arrays, and ε is added after dividing by sqrt(1 - β2^t), exactly as torch does, so the
    results agree with torch to rounding.

    Args:
        params: Parameters, or dicts defining parameter groups (see `Optimizer`).
        lr: learning rate. Default: 1e-3.
        betas: (β1, β2), the decay rates of the two moving averages, each in [0, 1).
            Default: (0.9, 0.999).
        eps: ε, added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: λ. Default: 0.
        amsgrad: use the running maximum of v (AMSGrad, Reddi et al., 2018). Default: False.
        maximize: maximize the objective instead of minimizing it. Default: False.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding λ·p to
            the gradient. Default: False.

    State per parameter: `step` (an int), `exp_avg` (m), `exp_avg_sq` (v), and
    `max_exp_avg_sq` (v̂) with amsgrad.

    Example:
        >>> opt = Adam(model.parameters(), lr=3e-4)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_options(self, options):
        super()._check_options(options)
        op = type(self).__name__
        betas = options["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{op}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_number(op, "betas[0]", betas[0], 0, 1)
        check_number(op, "betas[1]", betas[1], 0, 1)
        check_number(op, "eps", options["eps"], 0)
        check_number(op, "weight_decay", options["weight_decay"], 0)
        for name in ("amsgrad", "maximize", "decoupled_weight_decay"):
            check_bool(op, name, options[name])

    def _update(self, param, grad, state, group):
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]

        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                param *= 1 - lr * weight_decay
            else:
                grad = grad + weight_decay * param
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        if group["amsgrad"]:
            second_moment = np.maximum(
                state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"]
            )
        else:
            second_moment = exp_avg_sq
        denom = np.sqrt(second_moment) / bias_correction2**0.5 + group["eps"]
        param += -step_size * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as torch's AdamW.

    Same as `Adam(..., decoupled_weight_decay=True)`: each step first shrinks the weights,
    p = p·(1 - lr·λ), instead of adding λ·p to the gradient, so the decay is not rescaled by
    the adaptive denominator. Note the larger default weight_decay.

    Args:
        params, lr, betas, eps, amsgrad, maximize: as for `Adam`.
        weight_decay: λ. Default: 1e-2.

    Example:
        >>> opt = AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )

    def _check_options(self, options):
        super()._check_options(options)
        if options["decoupled_weight_decay"] is not True:  # e.g. a loaded Adam state dict
            raise ValueError(
                "AdamW: decoupled_weight_decay must be True, "
                f"got {options['decoupled_weight_decay']}"
            )


def _lerp_(start, end, weight):
    """start += weight·(end - start), in place, computed as torch's `lerp_` computes it.

    torch picks the form by the weight so that the rounding stays small at both ends:
    start + weight·(end - start) below 0.5, end - (end - start)·(1 - weight) from 0.5 on.
    """
    if abs(weight) < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
