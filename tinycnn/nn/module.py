"""`Module`: the base class of every layer and model, as torch.nn.Module.

A Module keeps three ordered registries, filled by plain attribute assignment:

    _parameters   name -> Parameter   (self.weight = Parameter(...))
    _buffers      name -> Tensor      (self.register_buffer("running_mean", ...))
    _modules      name -> Module      (self.conv1 = Conv2d(...))

Everything else (`parameters()`, `state_dict()`, `train()`, the nested repr, ...) walks
these registries, submodules in the order they were assigned. That order is what makes the
state-dict keys come out as torch's: a module's parameters, then its persistent buffers,
then each child's entries under `<child name>.`.

A fourth registry, `_forward_hooks`, holds the functions `register_forward_hook` adds: they
see every call's inputs and output, which is how `tinycnn.summary` watches a model run.
"""

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from tinycnn.nn.load_errors import load_failure_message
from tinycnn.nn.parameter import Parameter
from tinycnn.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
IncompatibleKeys.__doc__ = """What `load_state_dict` did not match, as torch's namedtuple.

    missing_keys: the model's keys absent from the state dict.
    unexpected_keys: the state dict's keys the model does not have.
"""


class Module:
    """Base class for all layers and models.

    Subclasses call `super().__init__()` first, then assign their Parameters and
    submodules as attributes, and define `forward`. Calling the module runs `forward`.

    Attributes:
        training: True in training mode (the default), False after `eval()`. Dropout and
            BatchNorm2d behave differently in the two modes.

    Example:
        >>> class TwoLayer(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = Linear(4, 8)
        ...         self.fc2 = Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(F.relu(self.fc1(x)))
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these registries to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__}: forward must be defined by the Module subclass"
        )

    def __call__(self, *args, **kwargs):
        output = self.forward(*args, **kwargs)
        # A copy of the hooks: a hook may remove itself (or another) while they run.
        for hook in tuple(self._registry("_forward_hooks").values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(self, hook):
        """Call `hook(module, inputs, output)` after every forward of this module, as torch's.

        `inputs` is the tuple of positional arguments the module was called with. A hook
        that returns something other than None replaces the output: the next hook and the
        caller see the new value. Hooks run in the order they were registered.

        Args:
            hook: a callable taking (module, inputs, output).

        Returns:
            A `RemovableHandle`: `handle.remove()` unregisters the hook.

        Example:
            >>> shapes = []
            >>> conv = Conv2d(3, 8, 3)
            >>> handle = conv.register_forward_hook(lambda m, inputs, y: shapes.append(y.shape))
            >>> _ = conv(tinycnn.tensor(np.zeros((1, 3, 5, 5), np.float32)))
            >>> handle.remove()
            >>> shapes
            [(1, 8, 3, 3)]
        """
        if not callable(hook):
            raise TypeError(
                f"register_forward_hook: hook must be callable, got {type(hook).__name__}"
            )
        return RemovableHandle(self._registry("_forward_hooks"), hook)

    # ----------------------------------------------------------------- registration
    def _registry(self, name):
        """The registry `name` (e.g. '_parameters'), or an error if __init__ has not run."""
        registry = self.__dict__.get(name)
        if registry is None:
            raise AttributeError(
                f"{type(self).__name__}: call Module.__init__() (super().__init__()) before "
                "assigning parameters, buffers or submodules"
            )
        return registry

    def _check_new_name(self, op, registry, name):
        if not isinstance(name, str):
            raise TypeError(f"{op}: name must be a str, got {type(name).__name__}")
        if name == "" or "." in name:
            raise ValueError(f"{op}: name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise ValueError(f"{op}: name must not be an existing attribute, got {name!r}")

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an absent one such as a bias) as `name`.

        `self.name = Parameter(...)` does the same; use this form to register None.
        """
        self._registry("_parameters")
        self._check_new_name("register_parameter", "_parameters", name)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: param must be a Parameter or None, got {type(param).__name__}"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Register a buffer: state that is not learned but is saved, e.g. running statistics.

        Args:
            name: the attribute name.
            tensor: a Tensor (stored as is), an array-like (stored as a Tensor that does not
                require grad), or None (the slot exists but holds nothing, and is skipped by
                `buffers()` and `state_dict()`).
            persistent: whether the buffer is part of `state_dict()`. Default: True.
        """
        self._registry("_buffers")
        self._check_new_name("register_buffer", "_buffers", name)
        self._buffers[name] = _as_buffer(tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Register `module` (a Module or None) as the child `name`; same as assignment."""
        self._registry("_modules")
        self._check_new_name("add_module", "_modules", name)
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"add_module: module must be a Module or None, got {type(module).__name__}"
            )
        self._modules[name] = module

    def _forget(self, name, keep=None):
        """Drop `name` from the plain attributes and every registry but `keep`.

        Like torch, a name reassigned within its own registry keeps its position there, so
        `self.weight = Parameter(...)` does not move `weight` behind `bias` in state_dict.
        """
        self.__dict__.pop(name, None)
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __setattr__(self, name, value):
        parameters = self.__dict__.get("_parameters")
        buffers = self.__dict__.get("_buffers")
        modules = self.__dict__.get("_modules")
        if isinstance(value, (Parameter, Module)):
            registry = "_parameters" if isinstance(value, Parameter) else "_modules"
            self._registry(registry)[name] = value
            self._forget(name, keep=registry)
        elif parameters is not None and name in parameters:
            _check_slot_value(self, name, value, "parameter", "Parameter")
            parameters[name] = None
        elif modules is not None and name in modules:
            _check_slot_value(self, name, value, "submodule", "Module")
            modules[name] = None
        elif buffers is not None and name in buffers:
            buffers[name] = _as_buffer(value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails, i.e. for registered names.
        for registry in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(registry)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if any(name in self.__dict__.get(r, ()) for r in ("_parameters", "_buffers", "_modules")):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    # ----------------------------------------------------------------- traversal
    def named_modules(self, memo=None, prefix=""):
        """Yield (name, module) for this module and every submodule, depth first.

        This module comes first with name `prefix`; a module reachable twice is yielded
        once, under its first name.
        """
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

    def modules(self):
        """Yield this module and every submodule (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """Yield (name, module) for each direct child (each once)."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        """Yield each direct child module (each once)."""
        for _, child in self.named_children():
            yield child

    def _named_members(self, registry, prefix, recurse):
        """(name, tensor) over `registry` of this module (and its submodules), each once."""
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, member in module.__dict__[registry].items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_prefix}.{name}" if module_prefix else name), member

    def named_parameters(self, prefix="", recurse=True):
        """Yield (name, Parameter), e.g. ('features.0.weight', ...).

        A parameter shared by several modules is yielded once, under its first name, so an
        optimizer built from `parameters()` updates it once per step.

        Args:
            prefix: prepended to every name.
            recurse: include the parameters of submodules. Default: True.
        """
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """Yield every Parameter (each once); see `named_parameters`."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        """Yield (name, Tensor) for every buffer (each once), persistent or not."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        """Yield every buffer Tensor (each once)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call `fn(module)` on every submodule (children first), then on self; returns self.

        Example:
            >>> def init_weights(m):
            ...     if isinstance(m, Linear):
            ...         init.zeros_(m.bias)
            >>> net = Sequential(Linear(2, 2), Linear(2, 2)).apply(init_weights)
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode=True):
        """Set training mode (`mode=True`) or evaluation mode on self and every submodule.

        Returns:
            self, so that `model = Net().train()` works.
        """
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Set evaluation mode; same as `train(False)`. Returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the gradient of every parameter.

        Args:
            set_to_none: set `.grad` to None (torch's default), which frees the arrays;
                if False, fill existing gradients with zeros instead.
        """
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad[...] = 0

    # ----------------------------------------------------------------- dtype
    def to(self, dtype):
        """Convert every parameter (and its gradient) and every floating buffer to `dtype`.

        Integer buffers such as `num_batches_tracked` keep their dtype. Parameters stay the
        same objects (only their `.data` is replaced), so an optimizer built before the
        call still updates them.

        Args:
            dtype: a floating NumPy dtype, e.g. `np.float64`.

        Returns:
            self.
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"to: dtype must be a NumPy dtype, got {dtype!r}") from None
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"to: dtype must be a floating-point dtype, got {dtype}")
        for param in self.parameters():
            param.data = param.data.astype(dtype, copy=False)
            if param.grad is not None:
                param.grad = param.grad.astype(dtype, copy=False)
        for buffer in self.buffers():
            if np.issubdtype(buffer.dtype, np.floating):
                buffer.data = buffer.data.astype(dtype, copy=False)
        return self

    def double(self):
        """Convert floating parameters and buffers to float64 (for gradchecks). Returns self."""
        return self.to(np.float64)

    def float(self):
        """Convert floating parameters and buffers to float32. Returns self."""
        return self.to(np.float32)

    # ----------------------------------------------------------------- state dict
    def _state_tensors(self, prefix=""):
        """Yield (key, Tensor) in state-dict order; a shared tensor appears under each key."""
        for name, param in self._parameters.items():
            if param is not None:
                yield prefix + name, param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                yield prefix + name, buffer
        for name, child in self._modules.items():
            if child is not None:
                yield from child._state_tensors(f"{prefix}{name}.")

    def state_dict(self):
        """An OrderedDict of name -> ndarray with every parameter and persistent buffer.

        Keys and their order are torch's: for each module, its parameters, then its
        persistent buffers, then each child's entries prefixed with `<child name>.`; e.g.
        `features.0.weight`, `features.0.bias`, ..., `bn.running_mean`, `bn.running_var`,
        `bn.num_batches_tracked`. A tensor shared by two modules appears under both keys.

        The arrays are the model's live arrays, not copies (torch's state_dict shares
        storage the same way): later training changes them. Copy them (`{k: v.copy() for
        k, v in sd.items()}`) to keep a snapshot.
        """
        return OrderedDict((key, tensor.data) for key, tensor in self._state_tensors())

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays from `state_dict` into this module's parameters and buffers, in place.

        All or nothing: every key, shape and value is checked first; if anything is wrong,
        one RuntimeError lists every problem and the model is left untouched. Values are
        ndarrays or Tensors of the target's shape, cast to the target's dtype.

        Args:
            state_dict: a mapping of name -> array, as `state_dict()` returns.
            strict: if True, missing and unexpected keys are errors; if False they are
                only returned. Shape mismatches are errors either way.

        Returns:
            `IncompatibleKeys(missing_keys, unexpected_keys)`, two lists of names.

        Example:
            >>> net2.load_state_dict(net1.state_dict())
            IncompatibleKeys(missing_keys=[], unexpected_keys=[])
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                "load_state_dict: state_dict must be a mapping of name -> array, "
                f"got {type(state_dict).__name__}"
            )
        for key in state_dict:
            if not isinstance(key, str):
                raise TypeError(
                    f"load_state_dict: state_dict keys must be str names, got "
                    f"{type(key).__name__} {key!r}"
                )
        targets = OrderedDict(self._state_tensors())
        missing = [key for key in targets if key not in state_dict]
        unexpected = [key for key in state_dict if key not in targets]
        problems = []
        converted = {}
        for key, target in targets.items():
            if key in state_dict:
                array, problem = _loadable_array(key, state_dict[key], target)
                if problem:
                    problems.append(problem)
                else:
                    converted[key] = array
        if problems or strict and (missing or unexpected):
            raise RuntimeError(
                load_failure_message(
                    missing if strict else [],
                    unexpected if strict else [],
                    problems,
                    {
                        key: value.shape
                        for key, value in state_dict.items()
                        if hasattr(value, "shape")
                    },
                    {key: target.shape for key, target in targets.items()},
                )
            )
        # Nothing below can fail: shapes, dtypes and values already fit. A read-only target
        # array (e.g. memory-mapped from a file) gets a fresh array rather than a failed copy.
        for key, array in converted.items():
            target = targets[key]
            if target.data.flags.writeable:
                np.copyto(target.data, array)
            else:
                target.data = array.copy()
            target._bump_version()
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- repr
    def extra_repr(self):
        """The text inside `ClassName(...)` in the repr; layers override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {child_text}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class RemovableHandle:
    """What `register_forward_hook` returns, as torch.utils.hooks.RemovableHandle.

    `remove()` unregisters the hook (calling it twice is harmless). Used as a context
    manager, the handle removes the hook on leaving the block:

        >>> with model.register_forward_hook(record):
        ...     model(x)            # record sees every call; afterwards it is gone
    """

    _ids = itertools.count()  # one id per hook ever registered, so no two handles clash

    def __init__(self, hooks, hook):
        self.id = next(RemovableHandle._ids)
        self._hooks = hooks
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def _loadable_array(key, value, target):
    """`value` as an array of the target's shape and dtype, or None and what is wrong."""
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except ValueError:  # e.g. a ragged nested list
        array = np.asarray(None)
    if array.dtype.kind not in "biuf":  # None, strings, dicts: not numbers
        return None, f"bad value for {key}: expected a numeric array, got {type(value).__name__}"
    if array.shape != target.shape:
        return None, f"size mismatch for {key}: expected {target.shape}, got {array.shape}"
    if target.dtype.kind in "iu" and array.dtype.kind == "f":
        # Casting NaN, inf or 2.5 to an integer (num_batches_tracked) gives garbage silently.
        limit = np.iinfo(target.dtype)
        with np.errstate(invalid="ignore"):
            wrong = ~np.isfinite(array) | (array != np.round(array))
            wrong |= (array < limit.min) | (array > limit.max)
        if wrong.any():
            bad = array[wrong].flat[0]
            return None, f"bad value for {key}: expected whole numbers ({target.dtype}), got {bad}"
    return array.astype(target.dtype, copy=False), None


def _as_buffer(value):
    """A buffer as stored: None, the Tensor itself, or an array-like wrapped in a Tensor."""
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value))


def _check_slot_value(module, name, value, kind, expected):
    """Only None (or a new `expected`) may replace a registered parameter or submodule."""
    if value is not None:
        raise TypeError(
            f"{type(module).__name__}: {kind} '{name}' must be assigned a {expected} or None, "
            f"got {type(value).__name__}"
        )
