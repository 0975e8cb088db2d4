"""Kernel sets: the ops every set provides, and the switch between sets.

The engine above L0 (autograd, optimizers) never calls a kernel module directly: it asks
`active()` for the set in force and calls the op by name, e.g.
``active().conv2d_forward(x, w, b, stride, padding, dilation, groups)``. So the same model
runs on the fast kernels (the default), on the plain NumPy ones a textbook derives
(``"textbook"``), or on a learner's own functions:

    >>> from tinycnn import kernels
    >>> def my_relu(x):
    ...     return x * (x > 0)
    >>> with kernels.use({"relu_forward": my_relu}):
    ...     kernels.active().relu_forward(np.array([-1.0, 2.0]))
    array([-0.,  2.])

`OP_NAMES` lists the ops; each set's functions take the arguments the fast kernels take
(their docstrings give shapes and formulas; ``docs/`` walks through them).
"""

import contextlib
import contextvars
import types

from tinycnn.kernels import batch_norm, conv, dropout, lrn, pooling, relu, sgd, textbook

OP_NAMES = (
    "conv2d_forward",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "adaptive_avg_pool2d_backward",
    "local_response_norm_forward",
    "local_response_norm_backward",
    "batch_norm_train_forward",
    "batch_norm_train_backward",
    "batch_norm_eval_forward",
    "batch_norm_eval_backward",
    "relu_forward",
    "relu_backward",
    "dropout_forward",
    "dropout_backward",
    "sgd_update",
)


class KernelSet(types.SimpleNamespace):
    """One function per op of `OP_NAMES`, as attributes: ``kernel_set.relu_forward(x)``."""

    @classmethod
    def from_modules(cls, *modules):
        """The set of the ops found in ``modules`` (the first module that has an op wins)."""
        ops = {}
        for module in modules:
            for name in OP_NAMES:
                if name not in ops and hasattr(module, name):
                    ops[name] = getattr(module, name)
        missing = [name for name in OP_NAMES if name not in ops]
        if missing:
            raise ValueError(f"KernelSet: modules lack the ops {missing}")
        return cls(**ops)

    def replaced(self, ops):
        """A copy of this set with the functions in the dict ``ops`` in place of its own."""
        return KernelSet(**{**vars(self), **ops})


# The named sets `use` accepts.
SETS = {
    "fast": KernelSet.from_modules(conv, pooling, lrn, batch_norm, relu, dropout, sgd),
    "textbook": KernelSet.from_modules(textbook),
}

# Per thread, like `tinycnn.no_grad`: a new thread starts on the fast kernels.
_ACTIVE = contextvars.ContextVar("tinycnn_kernel_set", default=SETS["fast"])


def active():
    """The `KernelSet` in force in this thread."""
    return _ACTIVE.get()


def _ops_of(kernels):
    """The dict of ops that ``kernels`` (a dict, or a module or object with attributes) gives."""
    if isinstance(kernels, dict):
        unknown = sorted(str(name) for name in kernels if name not in OP_NAMES)
        if unknown:
            raise ValueError(
                f"use: kernels has unknown op names {unknown}; the ops are {list(OP_NAMES)}"
            )
        ops = dict(kernels)
    else:
        ops = {name: getattr(kernels, name) for name in OP_NAMES if hasattr(kernels, name)}
        if not ops:
            raise ValueError(f"use: {kernels!r} defines none of the ops; they are {list(OP_NAMES)}")
    for name, function in ops.items():
        if not callable(function):
            raise TypeError(f"use: kernels[{name!r}] must be callable, got {function!r}")
    return ops


@contextlib.contextmanager
def use(kernels):
    """Run the code inside on another set of kernels (in this thread).

    Args:
        kernels: ``"fast"`` or ``"textbook"``; or a dict of op name -> function, or a module
            (or any object) whose attributes named after ops are taken. Ops it does not give
            come from the set in force when the block starts, so ``use`` blocks nest.

    Example:
        >>> with use("fast"):
        ...     active() is SETS["fast"]
        True
    """
    if isinstance(kernels, str):
        if kernels not in SETS:
            raise ValueError(f"use: kernels must be one of {sorted(SETS)}, got {kernels!r}")
        chosen = SETS[kernels]
    else:
        chosen = active().replaced(_ops_of(kernels))
    token = _ACTIVE.set(chosen)
    try:
        yield chosen
    finally:
        _ACTIVE.reset(token)
