"""Learning-rate schedulers: `StepLR`, `MultiStepLR`, `CosineAnnealingLR`, as torch's.

A scheduler rewrites `group["lr"]` in its optimizer's `param_groups`. Call its `step()`
once per epoch (or per iteration), after the optimizer's `step()`:

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = StepLR(opt, step_size=30, gamma=0.1)    # lr 0.1 for epochs 0-29, 0.01 for 30-59, ...
    for epoch in range(90):
        train_one_epoch(model, opt)
        sched.step()

As in torch, constructing a scheduler stores each group's starting lr as
`group["initial_lr"]` (kept if already there, e.g. by an earlier scheduler), copies those
into `base_lrs`, and takes the first step: `last_epoch` becomes 0 and the lrs are those of
epoch 0. Each later `step()` adds one to `last_epoch` and sets the lrs that `get_lr`
computes for it. Like torch's, StepLR, MultiStepLR and CosineAnnealingLR compute the new lr
from the current `group["lr"]` (multiplicatively), so changes made to it by hand or by
another scheduler carry over.

NOTE: torch's `last_epoch=` constructor argument and its deprecated `step(epoch)` are not
provided; to resume, build the scheduler and call `load_state_dict`.
"""

import copy
import math
from collections import Counter
from collections.abc import Mapping

from tinycnn.nn.functional import _is_int, _positive_int
from tinycnn.optim.optimizer import Optimizer, check_number


class LRScheduler:
    """Base class of the schedulers; subclasses implement `get_lr`.

    Args:
        optimizer: the Optimizer whose `param_groups` lrs it sets.

    Attributes:
        optimizer: that optimizer.
        base_lrs: each group's `initial_lr`.
        last_epoch: the number of `step()` calls since construction (0 right after it).
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__}: optimizer must be a tinycnn.optim.Optimizer, "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def get_lr(self):
        """The lr of every group for epoch `last_epoch`; called by `step()`, which has just
        advanced `last_epoch`. To read the current lrs use `get_last_lr()`."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr")

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance one epoch and write that epoch's lr into every group."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def get_last_lr(self):
        """The lrs the last `step()` (or the construction) set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Every attribute but the optimizer (`last_epoch`, `base_lrs`, the options...), copied."""
        return {
            key: copy.deepcopy(value) for key, value in vars(self).items() if key != "optimizer"
        }

    def load_state_dict(self, state_dict):
        """Restore a state from `state_dict()` of the same kind of scheduler.

        Refuses (ValueError, scheduler unchanged) a dict with other keys, e.g. another
        scheduler's, or one saved for a different number of parameter groups.
        """
        op = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{op}: state_dict must be a dict, got {type(state_dict).__name__}")
        expected = set(vars(self)) - {"optimizer"}
        if set(state_dict) != expected:
            raise ValueError(
                f"{op}: state_dict must have the keys {sorted(expected)}, got {sorted(state_dict)}"
            )
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            if len(state_dict[key]) != groups:
                raise ValueError(
                    f"{op}: {key} must hold one lr per parameter group ({groups}), "
                    f"got {len(state_dict[key])}"
                )
        self.__dict__.update(copy.deepcopy(dict(state_dict)))


class StepLR(LRScheduler):
    """Multiplies every group's lr by gamma every `step_size` epochs.

    lr(epoch) = initial_lr · gamma^(epoch // step_size), while nothing else changes the lr.

    Args:
        optimizer: the Optimizer.
        step_size: the period of the decay, in epochs (an int >= 1).
        gamma: the factor. Default: 0.1.

    Example:
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)   # opt's lr 0.05
        >>> # epochs 0-29: 0.05, 30-59: 0.005, 60-89: 0.0005, ...
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        check_number("StepLR", "gamma", gamma, 0)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]


class MultiStepLR(LRScheduler):
    """Multiplies every group's lr by gamma when the epoch reaches one of the milestones.

    lr(epoch) = initial_lr · gamma^(number of milestones <= epoch), while nothing else
    changes the lr. As in torch, a milestone listed twice applies gamma twice, the order of
    the milestones does not matter, and a milestone 0 applies at construction.

    Args:
        optimizer: the Optimizer.
        milestones: epoch indices (ints >= 0).
        gamma: the factor. Default: 0.1.

    Example:
        >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)   # opt's lr 0.05
        >>> # epochs 0-29: 0.05, 30-79: 0.005, 80 on: 0.0005
    """

    def __init__(self, optimizer, milestones, gamma=0.1):
        try:
            milestones = list(milestones)
        except TypeError:
            raise TypeError(
                f"MultiStepLR: milestones must be an iterable of ints, got {milestones!r}"
            ) from None
        for milestone in milestones:
            if not _is_int(milestone):
                raise TypeError(f"MultiStepLR: milestones must be ints, got {milestone!r}")
            if milestone < 0:
                raise ValueError(f"MultiStepLR: milestones must be >= 0, got {milestone}")
        check_number("MultiStepLR", "gamma", gamma, 0)
        self.milestones = Counter(int(milestone) for milestone in milestones)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Anneals every group's lr from its initial_lr to eta_min along half a cosine.

    The schedule it follows (SGDR, Loshchilov & Hutter, 2017, without restarts) is

        lr(t) = eta_min + (initial_lr - eta_min) · (1 + cos(π·t / T_max)) / 2,

    reaching eta_min at t = T_max. Past T_max the cosine continues: the lr climbs back to
    initial_lr at t = 2·T_max, and so on with period 2·T_max (as in torch).

    NOTE: like torch's, `get_lr` computes each lr from the previous one instead of from the
    formula above:

        lr(t) = eta_min + (lr(t-1) - eta_min) · (1 + cos(π·t / T_max)) / (1 + cos(π·(t-1) / T_max))

    except on the step after each minimum (t - 1 = T_max, 3·T_max, ...), where that ratio
    would be 0/0 and the lr is raised by (initial_lr - eta_min)·(1 - cos(π / T_max)) / 2
    instead. Both agree with the formula above up to rounding as long as nothing else
    touches the lr; the recursion is kept because it is what torch computes, so the lrs
    match torch's to the last bit, and an lr changed by hand (or by another scheduler)
    carries over to later steps as it does in torch.

    Args:
        optimizer: the Optimizer.
        T_max: the number of epochs from initial_lr down to eta_min (an int >= 1).
        eta_min: the minimum lr. Default: 0.

    Example:
        >>> sched = CosineAnnealingLR(opt, T_max=100)   # opt's lr 0.1
        >>> # epoch 0: 0.1, 50: 0.05, 100: 0.0
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        check_number("CosineAnnealingLR", "eta_min", eta_min, 0)
        self.eta_min = eta_min
        super().__init__(optimizer)

    def get_lr(self):
        epoch, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if epoch == 0:
            return self._current_lrs()
        if (epoch - 1 - T_max) % (2 * T_max) == 0:
            rise = (1 - math.cos(math.pi / T_max)) / 2
            return [
                group["lr"] + (base_lr - eta_min) * rise
                for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / T_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / T_max)
        )
        return [ratio * (group["lr"] - eta_min) + eta_min for group in self.optimizer.param_groups]
