"""`Optimizer`: the base class that holds parameter groups and per-parameter state.

An optimizer owns `param_groups`, a list of dicts. Each dict holds `params` (a list of
Parameters) and every option of the algorithm (`lr`, `momentum`, ...), so different groups
can train at different rates; a learning-rate scheduler changes `group["lr"]` between steps.
`state` maps each Parameter to a dict of the arrays the algorithm keeps for it (SGD's
momentum buffer, Adam's moving averages).

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()                       # p.data -= ... for every p whose p.grad is set

Subclasses implement `_update(param, grad, state, group)` for one parameter and extend
`_check_options(options)`; the base class does the rest, as torch's `Optimizer` does.
"""

import copy
import numbers
from collections import defaultdict
from collections.abc import Mapping
from itertools import chain

import numpy as np

from tinycnn.nn.functional import _number
from tinycnn.tensor import Tensor


def check_number(op, name, value, low, high=None):
    """Raise unless `value` is a real number with low <= value (< high when high is given)."""
    number = _number(op, name, value)
    if high is None and not low <= number:  # written so that NaN fails too
        raise ValueError(f"{op}: {name} must be >= {low}, got {value}")
    if high is not None and not low <= number < high:
        raise ValueError(f"{op}: {name} must be in [{low}, {high}), got {value}")


def check_bool(op, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")


class Optimizer:
    """Base class of the optimizers: parameter groups, state, `step`, `zero_grad`, state dicts.

    Args:
        params: an iterable of Parameters, or of dicts that each hold `params` (an iterable
            of Parameters) and any options that should differ from `defaults` for that group.
        defaults: the options every group starts from (must include `lr`).

    Attributes:
        defaults: the options given to the constructor.
        param_groups: list of dicts, each holding `params` and every option.
        state: Parameter -> dict of that parameter's algorithm state (empty until its first
            step).

    Example:
        >>> opt = SGD([{"params": net.features.parameters()},
        ...            {"params": net.classifier.parameters(), "lr": 1e-2}], lr=1e-3)
        >>> [group["lr"] for group in opt.param_groups]
        [0.001, 0.01]
    """

    def __init__(self, params, defaults):
        name = type(self).__name__
        self.defaults = dict(defaults)
        self._check_options(self.defaults)
        if isinstance(params, (Tensor, Mapping)):
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts, "
                f"got a single {type(params).__name__} (wrap it in a list)"
            )
        try:
            params = list(params)
        except TypeError:
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts, "
                f"got {type(params).__name__}"
            ) from None
        if not params:
            raise ValueError(f"{name}: params must not be empty, got an empty parameter list")
        self.param_groups = []
        self.state = defaultdict(dict)
        groups = params if isinstance(params[0], Mapping) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def _check_options(self, options):
        """Raise if an option of a group (or of `defaults`) is invalid; subclasses extend."""
        check_number(type(self).__name__, "lr", options["lr"], 0)

    def add_param_group(self, param_group):
        """Add a group of parameters, with its own options, e.g. layers unfrozen mid-training.

        Args:
            param_group: a dict holding `params` (a Parameter or an iterable of them) and
                optionally options; options it leaves out are taken from `defaults`.
        """
        op = f"{type(self).__name__}.add_param_group"
        if not isinstance(param_group, Mapping):
            raise TypeError(f"{op}: param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{op}: param_group must hold 'params', got keys {list(param_group)}")
        params = param_group["params"]
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                f"{op}: params must be an ordered collection (a set's order changes between "
                "runs), got set"
            )
        params = [params] if isinstance(params, Tensor) else list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(f"{op}: params must be Parameters, got {type(param).__name__}")
            if not param.is_leaf:
                raise ValueError(f"{op}: params must be leaf tensors, got a non-leaf tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{op}: params must not repeat a parameter within a group")
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{op}: params must not already belong to another parameter group")
        group = {**self.defaults, **param_group, "params": params}
        self._check_options(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradient of every parameter.

        Args:
            set_to_none: set `.grad` to None (torch's default), which frees the arrays and
                makes `step` skip the parameter until it gets a new gradient; if False, fill
                the existing gradients with zeros instead.
        """
        for group in self.param_groups:
            for param in group["params"]:
                if set_to_none:
                    param.grad = None
                elif param.grad is not None:
                    param.grad[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place (`p.data` stays the same array).

        Parameters whose `.grad` is None are skipped: their state does not advance.

        Args:
            closure: optional function that recomputes the loss (zero_grad, forward,
                backward) and returns it; it is called first.

        Returns:
            the closure's loss, or None.
        """
        loss = None if closure is None else closure()
        work = [
            (p, group) for group in self.param_groups for p in group["params"] if p.grad is not None
        ]
        for param, _ in work:  # check them all first so that a bad gradient changes nothing
            if np.shape(param.grad) != param.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: grad must have its parameter's shape "
                    f"{param.shape}, got {np.shape(param.grad)}"
                )
        for param, group in work:
            self._update(param.data, np.asarray(param.grad), self.state[param], group)
            param._bump_version()  # a graph that saved the old values can no longer backward
        return loss

    def _update(self, param, grad, state, group):
        """Update the ndarray `param` in place from `grad`, its `state` dict and `group`."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update")

    # ----------------------------------------------------------------- state dict
    def state_dict(self):
        """The optimizer's state as plain data, in torch's layout.

        Parameters are replaced by their position, counted across the groups in order:

            {"state": {0: {"momentum_buffer": array}, ...},
             "param_groups": [{"lr": 0.1, "momentum": 0.9, ..., "params": [0, 1, 2]}, ...]}

        Parameters that have no state yet (never stepped, or SGD without momentum) have no
        entry. Arrays are copies: later steps do not change a saved state dict.
        """
        index = {}
        param_groups = []
        for group in self.param_groups:
            packed = {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            param_groups.append(packed)
        state = {index[id(p)]: copy.deepcopy(s) for p, s in self.state.items() if s}
        return {"state": dict(sorted(state.items())), "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Restore a state saved by `state_dict()` into an optimizer over matching parameters.

        The groups' options (lr, momentum, ...) are taken from the saved dict; parameters are
        matched by position, so the optimizer must have been built over the same parameters
        in the same order. All or nothing: group counts, group sizes, option names and values,
        and array shapes are checked first, and on any mismatch a ValueError (TypeError for a
        wrong type) is raised with the optimizer unchanged. Arrays are copied and cast to
        their parameter's dtype; `step` counters become ints.
        """
        op = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            raise TypeError(
                f"{op}: state_dict must be a dict with keys 'state' and 'param_groups', "
                f"got {state_dict!r:.80}"
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{op}: the number of parameter groups must be {len(self.param_groups)}, "
                f"got {len(saved_groups)}"
            )
        options = [self._loaded_options(op, i, saved) for i, saved in enumerate(saved_groups)]
        params_by_index = dict(
            zip(
                chain.from_iterable(saved["params"] for saved in saved_groups),
                chain.from_iterable(group["params"] for group in self.param_groups),
                strict=True,  # sizes were checked by _loaded_options
            )
        )
        if not isinstance(state_dict["state"], Mapping):
            raise TypeError(f"{op}: state must be a dict, got {type(state_dict['state']).__name__}")
        state = defaultdict(dict)
        for index, saved_state in state_dict["state"].items():
            if index not in params_by_index:
                raise ValueError(
                    f"{op}: state keys must be parameter indices listed in param_groups, "
                    f"got {index!r}"
                )
            if not isinstance(saved_state, Mapping):
                raise TypeError(
                    f"{op}: state[{index}] must be a dict, got {type(saved_state).__name__}"
                )
            param = params_by_index[index]
            state[param] = {
                key: _loaded_state_value(op, f"state[{index}][{key!r}]", param, key, value)
                for key, value in saved_state.items()
            }
        # Nothing below can fail: everything has been checked and copied.
        for group, group_options in zip(self.param_groups, options, strict=True):
            params = group["params"]
            group.clear()
            group.update(group_options, params=params)
        self.state = state

    def _loaded_options(self, op, i, saved):
        """The options of saved group i (a copy), after checking its size, names and values."""
        group = self.param_groups[i]
        if not isinstance(saved, Mapping) or "params" not in saved:
            raise TypeError(f"{op}: param_groups[{i}] must be a dict holding 'params'")
        if len(saved["params"]) != len(group["params"]):
            raise ValueError(
                f"{op}: param_groups[{i}] must hold {len(group['params'])} parameters "
                f"(as this optimizer's group does), got {len(saved['params'])}"
            )
        missing = [key for key in self.defaults if key not in saved]
        if missing:
            raise ValueError(
                f"{op}: param_groups[{i}] must hold every option of {type(self).__name__}, "
                f"got no {', '.join(missing)} (is it another optimizer's state?)"
            )
        options = {key: copy.deepcopy(value) for key, value in saved.items() if key != "params"}
        self._check_options(options)
        return options

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines + [")"])


def _loaded_state_value(op, what, param, key, value):
    """A copy of one saved state entry: `step` as an int, arrays checked and cast to param's."""
    if key == "step":
        scalar = isinstance(value, (numbers.Real, np.ndarray)) and np.ndim(value) == 0
        number = float(value) if scalar else -1.0
        if not (number >= 0 and number.is_integer()):
            raise ValueError(f"{op}: {what} must be a whole number >= 0, got {value!r}")
        return int(number)
    if isinstance(value, np.ndarray):
        if value.shape != param.shape:
            raise ValueError(
                f"{op}: {what} must have its parameter's shape {param.shape}, got {value.shape}"
            )
        return value.astype(param.dtype, copy=True)
    return copy.deepcopy(value)
