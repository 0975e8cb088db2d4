"""Layer L2: `Tensor`, the define-by-run graph, and reverse-mode differentiation.

A Tensor wraps an ndarray (`.data`). When an operation runs on tensors that require
gradients, `apply` records a `Node` on the result: which Function made it, the inputs it
came from, and the context the Function saved. `Tensor.backward` then walks those nodes
from the output back to the leaves in reverse topological order, calling each Function's
backward once all the gradient flowing into its output has been summed.

    x = tinycnn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()          # y._node: Sum <- Mul <- (x, x)
    y.backward()               # x.grad == 2 * x
"""

import numpy as np

from tinycnn.autograd import arithmetic, elementwise, reduction
from tinycnn.autograd import loss as softmax_ops
from tinycnn.autograd import shape as shape_ops
from tinycnn.autograd.function import Context
from tinycnn.autograd.grad_mode import is_grad_enabled, no_grad
from tinycnn.autograd.promotion import result_dtype, true_division_dtype

# no_grad and is_grad_enabled live in autograd/grad_mode.py; they are part of this
# module's interface, as in torch (`tinycnn.no_grad`).
__all__ = [
    "GradArray", "Tensor", "apply", "float32", "float64", "int32", "int64", "is_grad_enabled",
    "no_grad", "tensor", "uint8",
]  # fmt: skip

# torch's dtype names, so that `x.to(tinycnn.float64)` reads like `x.to(torch.float64)`.
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)


_NOT_RECORDED = (
    "{op}: an in-place change of a tensor in the graph is not recorded for backward; "
    "compute a new tensor (x = x * y, cat), or change it under tinycnn.no_grad()"
)


class GradArray(np.ndarray):
    """The ndarray type of `Tensor.grad`: a plain ndarray plus torch's `zero_()`.

    Example:
        >>> w.grad.zero_()          # what a hand-written SGD loop does after each step
    """

    def zero_(self):
        self[...] = 0
        return self

    def __repr__(self):  # print as the plain ndarray it is
        return repr(self.view(np.ndarray))


class Node:
    """How a non-leaf tensor was made: `function` applied to `inputs`, with its `ctx`.

    `input_versions` pairs each input tensor with its version at the time. If an in-place
    update (an optimizer step, `load_state_dict`, `zero_`, `nn.init`) has since changed an
    array that the Function kept for backward, the gradient would be computed from the
    new values, so backward refuses instead.

    After backward has used a node, `release` drops the inputs and the saved arrays, so
    the activations of a training step are freed once its gradients are computed.
    """

    __slots__ = ("function", "ctx", "inputs", "input_versions", "released")

    def __init__(self, function, ctx, inputs):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs
        self.input_versions = [(t, t._version) for t in inputs if isinstance(t, Tensor)]
        self.released = False

    def check_saved_versions(self):
        for tensor, version in self.input_versions:
            if tensor._version != version and _is_saved(tensor.data, self.ctx):
                raise RuntimeError(
                    "backward: one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: a tensor of shape {tensor.shape} is at "
                    f"version {tensor._version}; expected version {version} instead. Hint: run "
                    "the forward pass again after the in-place update (an optimizer step, "
                    "load_state_dict, zero_ or nn.init)"
                )

    def release(self):
        self.ctx = None
        self.inputs = ()
        self.input_versions = ()
        self.released = True


def _is_saved(array, ctx):
    """Whether `ctx` keeps `array` (or a view of it) for backward."""
    kept = []
    for value in vars(ctx).values():  # ctx.saved and any array kept as an attribute
        kept.extend(value if isinstance(value, tuple) else (value,))
    return any(
        k is array or (isinstance(k, np.ndarray) and np.may_share_memory(k, array)) for k in kept
    )


def apply(function, *inputs, **options):
    """Run `function.forward` on the arrays of `inputs` and record it in the graph.

    Args:
        function: a `tinycnn.autograd.function.Function` subclass.
        inputs: Tensors, ndarrays (constants: no gradient flows to them) or None.
        options: non-differentiable arguments passed on to forward (stride, axis, ...).

    Returns:
        a Tensor that requires grad when grad mode is on and any input requires grad.
    """
    needs_input_grad = [isinstance(t, Tensor) and t.requires_grad for t in inputs]
    arrays = [t.data if isinstance(t, Tensor) else t for t in inputs]
    record = is_grad_enabled() and any(needs_input_grad)
    ctx = Context(needs_input_grad if record else [False] * len(inputs))
    out = Tensor(function.forward(ctx, *arrays, **options))
    if out.data.base is not None:  # a view (reshape, transpose, ...): share the version
        for t in inputs:
            if isinstance(t, Tensor) and np.may_share_memory(out.data, t.data):
                out._versions = t._versions
                break
    if record:
        out.requires_grad = True
        out._node = Node(function, ctx, inputs)
    return out


def _topological_order(root):
    """Tensors reachable from `root` through nodes, each after every tensor it feeds.

    Iterative depth-first search: a recursive one would overflow Python's stack on
    networks with thousands of operations (DenseNet-201).
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        tensor, children_done = stack.pop()
        if children_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        if tensor._node is not None:
            for parent in tensor._node.inputs:
                if isinstance(parent, Tensor) and parent.requires_grad:
                    stack.append((parent, False))
    order.reverse()  # output first: each tensor now comes before the tensors it was made from
    return order


class _PendingGradients:
    """The gradient flowing into each tensor, summed over the paths that reach it.

    The walk of `Tensor.backward` adds each input gradient here as a Function returns it
    and takes a tensor's sum once the walk reaches that tensor. A gradient as it arrives
    may be shared (Add hands the same array to both inputs, Cat hands out views of its
    gradient), so the first sum for a tensor must be a new array; later arrivals are then
    added into that array in place. A gradient that arrives ``owned`` (a new array nothing
    else holds, see `Function.returns_new_arrays`) is summed into in place from the start.
    """

    def __init__(self, root, grad):
        self._sums = {id(root): grad}
        self._owned = set()  # keys whose sum is a new array only this object holds

    def add(self, tensor, grad, owned=False):
        key = id(tensor)
        if key not in self._sums:
            self._sums[key] = grad
            if owned:
                self._owned.add(key)
        elif key in self._owned:
            self._sums[key] += grad
        else:
            self._sums[key] = self._sums[key] + grad
            self._owned.add(key)

    def pop(self, tensor):
        """(the tensor's summed gradient or None, whether that array is held by nothing else)."""
        key = id(tensor)
        owned = key in self._owned
        self._owned.discard(key)
        return self._sums.pop(key, None), owned


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like; stored as `np.asarray(data)` (no copy, no dtype change).
        requires_grad: whether backward should compute a gradient for this tensor.
            Only floating-point tensors can require gradients.

    Attributes:
        data: the ndarray.
        grad: after `backward`, dL/d(self) as an ndarray (a `GradArray`, which adds
            torch's `zero_()`) of the same shape, else None. Gradients accumulate over
            several backward calls, as in torch.
    """

    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__
    __hash__ = object.__hash__  # `==` is elementwise, so hash by identity, as torch

    def __init__(self, data, requires_grad=False):
        self.data = np.asarray(data)
        self.grad = None
        self._node = None
        # How many in-place updates .data has had (see Node). One counter in a list, so that
        # a view (reshape, transpose, indexing) can share its base's, as in torch: an
        # update through either one changes the memory that both read.
        self._versions = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def dim(self):
        return self.data.ndim

    @property
    def is_leaf(self):
        return self._node is None

    @property
    def grad_fn(self):
        """The Function that made this tensor (None for a leaf), as torch's grad_fn."""
        return None if self._node is None else self._node.function

    def size(self, dim=None):
        """The shape, or the size of axis `dim`."""
        if dim is None:
            return self.shape
        return self.shape[_dim("size", dim, self.ndim)]

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self):
        """As torch prints tensors, so a REPL session reads the same:

        tensor([0.5000, 1.2500])                 floats: 4 decimals, aligned
        tensor([1., 2.])                         floats that are all whole numbers
        tensor([1.0000e-05, 1.0000e+03])         scientific when magnitudes are far apart
        tensor([1, 2])                           int64 (the default integer dtype)
        tensor([1., 2.], dtype=tinycnn.float64)  any other dtype is named
        tensor([], size=(0, 3))                  empty tensors give their size
        """
        if self._node is not None:
            extras = [f"grad_fn=<{self._node.function.__name__}Backward>"]
        else:
            extras = ["requires_grad=True"] if self.requires_grad else []
        return _format_tensor(self.data, extras)

    # ----------------------------------------------------------------- conversions
    def numpy(self):
        """The underlying ndarray (shared, not copied), as torch's `.numpy()`."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is None and not copy:
            return self.data
        return np.array(self.data, dtype=dtype, copy=True)

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item: only a tensor with one element can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """A new leaf tensor sharing this one's data (and version), cut off from the graph."""
        detached = Tensor(self.data)
        detached._versions = self._versions
        return detached

    def clone(self):
        """A copy with its own memory; gradients flow back through it, as torch's clone."""
        return apply(shape_ops.Copy, self)

    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording operations on this leaf tensor; returns self."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_: requires_grad must be a bool, got {requires_grad!r}")
        if not self.is_leaf:
            raise RuntimeError(
                "requires_grad_: only a leaf tensor can change requires_grad; use .detach() first"
            )
        if requires_grad and not np.issubdtype(self.data.dtype, np.floating):
            raise TypeError(
                "Tensor: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def to(self, *args, dtype=None, device=None):
        """This tensor in another dtype (a new tensor; self when nothing changes).

        Args:
            args: a dtype, a Tensor (take its dtype), or a device; only "cpu" exists.
            dtype, device: the same by keyword.

        Casting between float dtypes keeps the graph: the gradient is cast back.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None and str(device) != "cpu":
            raise NotImplementedError(f"to: tinycnn runs on the CPU only, got device={device!r}")
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        dtype = np.dtype(dtype)
        if np.issubdtype(dtype, np.floating) and np.issubdtype(self.dtype, np.floating):
            return apply(elementwise.Cast, self, dtype=dtype)
        return Tensor(self.data.astype(dtype))  # integers and bools carry no gradient

    def float(self):
        return self.to(float32)

    def double(self):
        return self.to(float64)

    def long(self):
        return self.to(int64)

    def int(self):
        return self.to(int32)

    def cpu(self):
        return self

    # ----------------------------------------------------------------- in place
    @property
    def _version(self):
        return self._versions[0]

    def _bump_version(self):
        """Record that `.data` was changed in place (see Node.check_saved_versions)."""
        self._versions[0] += 1

    # In-place updates change .data itself, so every other holder of this tensor (a model
    # holding a parameter, an optimizer) sees the change: `p -= lr * p.grad` in a
    # hand-written SGD loop under no_grad must update the model's parameter, not rebind
    # the name p. While recording, as torch, a leaf that requires grad refuses them; a
    # tensor computed in the graph (`out += identity` in a ResNet block) gets the result
    # recorded out of place instead, which is what the code that follows reads.
    def _update_in_place(self, op, ufunc, other, out_of_place=None):
        if self._check_in_place(op, other):
            if out_of_place is None:
                raise NotImplementedError(_NOT_RECORDED.format(op=op))
            return out_of_place(self, other)
        value = other.data if isinstance(other, Tensor) else np.asarray(other)
        rule = true_division_dtype if ufunc is np.true_divide else result_dtype
        dtype = rule(self.data, _promotion_operand(other))
        if not np.can_cast(dtype, self.dtype, casting="same_kind"):
            raise TypeError(
                f"{op}: the result type must be castable to the tensor's dtype {self.dtype}, "
                f"got {dtype}"
            )
        ufunc(self.data, value, out=self.data, casting="same_kind")
        self._bump_version()
        return self

    def _check_in_place(self, op, other=None):
        """Whether the update involves the graph while recording; refuse it on a leaf that
        requires grad, as torch does."""
        recording = is_grad_enabled() and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        )
        if recording and self.requires_grad and self.is_leaf:
            raise RuntimeError(
                f"{op}: a leaf tensor that requires grad cannot be changed in place while "
                "recording (torch: 'a leaf Variable that requires grad is being used in an "
                "in-place operation'); wrap the update in `with tinycnn.no_grad():`"
            )
        return recording

    def __iadd__(self, other):
        return self._update_in_place("+=", np.add, other, Tensor.__add__)

    def __isub__(self, other):
        return self._update_in_place("-=", np.subtract, other, Tensor.__sub__)

    def __imul__(self, other):
        return self._update_in_place("*=", np.multiply, other, Tensor.__mul__)

    def __itruediv__(self, other):
        return self._update_in_place("/=", np.true_divide, other, Tensor.__truediv__)

    def add_(self, other, alpha=1):
        """self += alpha * other, in place; returns self."""
        return self._update_in_place("add_", np.add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        """self -= alpha * other, in place; returns self."""
        return self._update_in_place("sub_", np.subtract, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._update_in_place("mul_", np.multiply, other)

    def div_(self, other):
        return self._update_in_place("div_", np.true_divide, other)

    def zero_(self):
        """Fill with zeros in place; returns self."""
        return self.fill_(0)

    def fill_(self, value):
        """Set every element to `value`, in place; returns self."""
        return self._update_in_place("fill_", _assign, value)

    def copy_(self, src):
        """Copy src's values (broadcast to this shape) into this tensor; returns self."""
        return self._update_in_place("copy_", _assign, src)

    def __setitem__(self, key, value):
        if self._check_in_place("setitem", value):
            raise NotImplementedError(_NOT_RECORDED.format(op="setitem"))
        if isinstance(key, Tensor):
            key = key.data
        elif isinstance(key, tuple):
            key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
        self.data[key] = value.data if isinstance(value, Tensor) else value
        self._bump_version()

    # ----------------------------------------------------------------- backward
    def backward(self, grad=None):
        """Compute dself/dx for every leaf x that requires grad, accumulating into x.grad.

        Args:
            grad: dL/d(self), an ndarray or Tensor of self's shape; may be omitted only
                when self holds a single element (then it is 1).
        """
        grad = self._initial_gradient(grad)
        order = _topological_order(self)
        for tensor in order:
            if tensor._node is not None:
                _check_node_usable(tensor._node)
        pending = _PendingGradients(self, grad)
        for tensor in order:
            g, owned = pending.pop(tensor)
            node = tensor._node
            if node is None:  # a leaf
                if g is not None:
                    tensor._accumulate_grad(g, owned)
                continue
            if g is not None:
                _backpropagate(node, g, pending)
            node.release()

    def _initial_gradient(self, grad):
        """dL/d(self) as an array of self's shape and dtype, checked."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph; "
                "create the inputs with requires_grad=True"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "backward: grad can be omitted only for a tensor with one element, "
                    f"got shape {self.shape}; pass grad=<array of that shape>"
                )
            return np.ones_like(self.data)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward: grad must have the tensor's shape {self.shape}, got {grad.shape}"
            )
        return grad

    def _accumulate_grad(self, g, owned=False):
        """A leaf keeps its gradient, summed over backward calls as in torch.

        A gradient array that something else may hold (another leaf, the caller) is copied;
        an ``owned`` one, held by nothing else, is kept as it is: for VGG's 411 MB classifier
        weight, that copy was the largest temporary array of a training step.
        """
        if self.grad is None:
            self.grad = (g if owned else np.array(g, copy=True)).view(GradArray)
        else:
            self.grad = self.grad + g

    # ----------------------------------------------------------------- arithmetic
    def _binary(self, function, a, b, dtype_rule=result_dtype):
        """Apply `function` to a and b (one of them self) in the dtype torch promotes to."""
        if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype == b.dtype:
            if a.dtype.kind == "f":  # the common case: nothing to promote
                return apply(function, a, b)
        dtype = dtype_rule(_promotion_operand(a), _promotion_operand(b))
        return apply(function, _in_dtype(a, dtype), _in_dtype(b, dtype))

    def __add__(self, other):
        return self._binary(arithmetic.Add, self, other)

    def __radd__(self, other):
        return self._binary(arithmetic.Add, other, self)

    def __sub__(self, other):
        return self._binary(arithmetic.Sub, self, other)

    def __rsub__(self, other):
        return self._binary(arithmetic.Sub, other, self)

    def __mul__(self, other):
        return self._binary(arithmetic.Mul, self, other)

    def __rmul__(self, other):
        return self._binary(arithmetic.Mul, other, self)

    def __truediv__(self, other):
        return self._binary(arithmetic.Div, self, other, true_division_dtype)

    def __rtruediv__(self, other):
        return self._binary(arithmetic.Div, other, self, true_division_dtype)

    def __neg__(self):
        return apply(arithmetic.Neg, self)

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
            raise TypeError(
                f"pow: exponent must be a Python int or float, got {type(exponent).__name__}"
            )
        base = _in_dtype(self, result_dtype(self.data, exponent))
        return apply(arithmetic.Pow, base, exponent=exponent)

    def pow(self, exponent):
        return self**exponent

    def __matmul__(self, other):
        return apply(arithmetic.MatMul, self, _constant(other))

    def __rmatmul__(self, other):
        return apply(arithmetic.MatMul, _constant(other), self)

    # ----------------------------------------------------------------- comparisons
    # Comparisons give bool tensors and carry no gradient.
    def __eq__(self, other):
        return Tensor(self.data == _compared(other))

    def __ne__(self, other):
        return Tensor(self.data != _compared(other))

    def __lt__(self, other):
        return Tensor(self.data < _compared(other))

    def __le__(self, other):
        return Tensor(self.data <= _compared(other))

    def __gt__(self, other):
        return Tensor(self.data > _compared(other))

    def __ge__(self, other):
        return Tensor(self.data >= _compared(other))

    def any(self):
        return Tensor(np.any(self.data))

    def all(self):
        return Tensor(np.all(self.data))

    # ----------------------------------------------------------------- elementwise maths
    def exp(self):
        return apply(arithmetic.Exp, self._as_float())

    def log(self):
        return apply(arithmetic.Log, self._as_float())

    def sqrt(self):
        return apply(elementwise.Sqrt, self._as_float())

    def abs(self):
        return apply(elementwise.Abs, self)

    def clamp(self, min=None, max=None):  # noqa: A002  (torch's argument names)
        """Limit every element to [min, max]; either bound may be None."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given, got None")
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and (
                isinstance(bound, bool) or not isinstance(bound, (int, float))
            ):
                raise TypeError(f"clamp: {name} must be a number or None, got {bound!r}")
        return apply(elementwise.Clamp, self, low=min, high=max)

    clip = clamp

    def sigmoid(self):
        return apply(elementwise.Sigmoid, self._as_float())

    def tanh(self):
        return apply(elementwise.Tanh, self._as_float())

    def relu(self):
        # LeakyReLU with slope 0, not clamp(min=0): at x = 0 the gradient is 0, as torch's.
        return apply(elementwise.LeakyReLU, self, negative_slope=0.0)

    def softmax(self, dim):
        return apply(softmax_ops.Softmax, self._as_float(), dim=_dim("softmax", dim, self.ndim))

    def log_softmax(self, dim):
        return apply(
            softmax_ops.LogSoftmax, self._as_float(), dim=_dim("log_softmax", dim, self.ndim)
        )

    def _as_float(self):
        """Integer and bool tensors become float32 first, as torch's maths functions do."""
        return self if np.issubdtype(self.dtype, np.floating) else self.to(float32)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False):
        return apply(reduction.Sum, self, axis=_axes("sum", dim, self.ndim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False):
        if not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"mean: input must be a floating-point tensor, got {self.dtype}")
        return apply(reduction.Mean, self, axis=_axes("mean", dim, self.ndim), keepdims=keepdim)

    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Variance over `dim`, dividing by n - correction (default 1, unbiased, as torch).

        Args:
            dim: an int, a sequence of ints, or None for all elements.
            unbiased: False divides by n instead (correction=0).
            keepdim: keep the reduced axes with size 1.
            correction: overrides `unbiased` when given.
        """
        if correction is None:
            correction = 1 if unbiased else 0
        axis = _axes("var", dim, self.ndim)
        return apply(
            reduction.Variance, self._as_float(), axis=axis, keepdims=keepdim, correction=correction
        )

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Square root of `var` (same arguments)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def max(self, dim=None, keepdim=False):
        """The largest element; or, with `dim`, (values, indices) along that axis.

        Example:
            >>> values, indices = logits.max(1)      # per row: best score and its class
        """
        return self._extreme("max", dim, keepdim, largest=True)

    def min(self, dim=None, keepdim=False):
        """The smallest element; or, with `dim`, (values, indices) along that axis."""
        return self._extreme("min", dim, keepdim, largest=False)

    def argmax(self, dim=None, keepdim=False):
        """Index of the largest element (of the flattened tensor when dim is None)."""
        return self._arg_extreme("argmax", np.argmax, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest element (of the flattened tensor when dim is None)."""
        return self._arg_extreme("argmin", np.argmin, dim, keepdim)

    def _extreme(self, op, dim, keepdim, largest):
        if self.data.size == 0:
            raise ValueError(f"{op}: input must not be empty, got shape {self.shape}")
        if dim is None:
            return apply(reduction.ExtremeOfAll, self, largest=largest)
        indices = self._arg_extreme(op, np.argmax if largest else np.argmin, dim, keepdim=True)
        axis = _dim(op, dim, self.ndim)
        if self.ndim == 0:  # torch treats a 0-d tensor as one element along dim 0
            return MaxMinResult(self.clone(), indices)
        values = apply(shape_ops.Gather, self, indices.data, axis=axis)
        if not keepdim and self.ndim > 0:
            values, indices = values.squeeze(axis), indices.squeeze(axis)
        return MaxMinResult(values, indices)

    def _arg_extreme(self, op, find, dim, keepdim):
        if dim is None:
            return Tensor(np.asarray(find(self.data), dtype=np.int64))
        axis = _dim(op, dim, self.ndim)
        if self.ndim == 0:
            return Tensor(np.zeros((), dtype=np.int64))
        if self.shape[axis] == 0:
            raise ValueError(f"{op}: dim {dim} must not be empty, got shape {self.shape}")
        return Tensor(find(self.data, axis=axis, keepdims=keepdim).astype(np.int64))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        return apply(shape_ops.Reshape, self, shape=_shape_arguments(shape))

    def view(self, *shape):
        """As reshape. NOTE: torch's view refuses non-contiguous tensors and shares memory;
        here it is reshape, which copies only when it must."""
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one, as torch.flatten."""
        start = _dim("flatten", start_dim, self.ndim)
        end = _dim("flatten", end_dim, self.ndim)
        if start > end:
            raise ValueError(
                f"flatten: start_dim must not come after end_dim, got {start_dim} and {end_dim}"
            )
        dims = self.shape or (1,)
        merged = int(np.prod(dims[start : end + 1]))
        return self.reshape(dims[:start] + (merged,) + dims[end + 1 :])

    def transpose(self, dim0, dim1):
        dim0, dim1 = (_dim("transpose", d, self.ndim) for d in (dim0, dim1))
        return apply(shape_ops.Transpose, self, dim0=dim0, dim1=dim1)

    def permute(self, *dims):
        """Reorder the axes: output axis i is input axis dims[i]."""
        dims = tuple(_dim("permute", d, self.ndim) for d in _shape_arguments(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims must list each of the {self.ndim} axes once, got {dims}"
            )
        return apply(shape_ops.Permute, self, dims=dims)

    @property
    def T(self):  # noqa: N802  (torch's name)
        """The axes in reverse order (the transpose of a matrix)."""
        return self.permute(*reversed(range(self.ndim)))

    def unsqueeze(self, dim):
        """Insert an axis of size 1 at position `dim` (in [-ndim - 1, ndim])."""
        axis = _dim("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, dim=None):
        """Remove axes of size 1: all of them, or those among `dim` (an int or a tuple)."""
        if dim is None:
            axes = range(self.ndim)
        else:
            axes = [_dim("squeeze", d, self.ndim) for d in np.atleast_1d(dim).tolist()]
        drop = {a for a in axes if self.ndim > 0 and self.shape[a] == 1}
        return self.reshape(tuple(s for a, s in enumerate(self.shape) if a not in drop))

    def __getitem__(self, key):
        if isinstance(key, Tensor):
            key = key.data
        elif isinstance(key, tuple):
            key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
        return apply(shape_ops.Index, self, key=key)


class MaxMinResult(tuple):
    """(values, indices), as torch's torch.return_types.max; also by name."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"return_types(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _check_node_usable(node):
    """A node can run its backward once, and only on the arrays it saw in forward."""
    if node.released:
        raise RuntimeError(
            "backward: the graph behind this tensor was freed by an earlier "
            "backward(); run the forward pass again"
        )
    node.check_saved_versions()


def _backpropagate(node, grad, pending):
    """Run `node`'s backward on `grad` and add each input's gradient to `pending`."""
    # Kernels are compiled per memory layout; a contiguous gradient (not, say, the
    # zero-stride broadcast of a sum's gradient) reuses the compiled one.
    # (np.require, not np.ascontiguousarray, which turns a 0-d array 1-d.)
    input_grads = node.function.backward(node.ctx, np.require(grad, requirements="C"))
    for parent, parent_grad in zip(node.inputs, input_grads, strict=True):
        if parent_grad is not None and isinstance(parent, Tensor) and parent.requires_grad:
            owned = node.function.returns_new_arrays
            pending.add(parent, np.asarray(parent_grad, dtype=parent.dtype), owned)


# ------------------------------------------------------------------------ printing
_SILENT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def _float_format(data):
    """A function formatting one float as torch does for this whole array."""
    finite = np.abs(data[np.isfinite(data)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)):
        if nonzero.size and nonzero.max() > 1e8:
            return "{:.4e}".format
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    if nonzero.size and (
        nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8 or nonzero.min() < 1e-4
    ):
        return "{:.4e}".format
    return "{:.4f}".format


def _finite_extremes(data):
    """The values whose printed form is the longest; nan and inf do not set the width."""
    finite = data[np.isfinite(data)]
    return [finite.max(), finite.min()] if finite.size else []


def _format_tensor(data, extras):
    """`tensor(<values>, <extras>)`; `extras` are strings such as "requires_grad=True"."""
    if data.dtype not in _SILENT_DTYPES:
        extras = [f"dtype=tinycnn.{data.dtype}", *extras]
    if data.size == 0:
        body = "[]"
        if data.shape != (0,):
            extras = [f"size={data.shape}", *extras]
    elif np.issubdtype(data.dtype, np.floating):
        format_one = _float_format(data)
        width = max((len(format_one(v)) for v in _finite_extremes(data)), default=0)
        body = np.array2string(
            data,
            separator=", ",
            prefix="tensor(",
            formatter={"float_kind": lambda v: format_one(v).rjust(width)},
        )
    else:
        body = np.array2string(data, separator=", ", prefix="tensor(")
    return "tensor(" + ", ".join([body, *extras]) + ")"


# ------------------------------------------------------------------------ arguments
def _assign(target, value, out, casting):
    """A ufunc-like `out[...] = value` (fill_, copy_), so _update_in_place covers it too."""
    np.copyto(out, np.broadcast_to(value, target.shape), casting=casting)


def _promotion_operand(value):
    """What `result_dtype` looks at: an array for tensors and arrays, else the number."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, (bool, int, float)):
        return value
    return np.asarray(value)


def _in_dtype(value, dtype):
    """`value` converted to `dtype`, as something `apply` takes (Tensors keep the graph)."""
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else value.to(dtype)
    return np.asarray(value, dtype=dtype)


def _constant(value):
    return value if isinstance(value, Tensor) else np.asarray(value)


def _compared(other):
    return other.data if isinstance(other, Tensor) else other


def _dim(op, dim, ndim):
    """torch's `dim` (negative counts from the end) as an axis in [0, ndim); 0-d counts as 1-d."""
    size = max(ndim, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {dim!r}")
    if not -size <= dim < size:
        raise ValueError(f"{op}: dim must be in [{-size}, {size - 1}], got {dim}")
    return int(dim) % size


def _axes(op, dim, ndim):
    """torch's `dim` (None, int, or a sequence of ints) as NumPy's `axis`."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(_dim(op, d, ndim) for d in dim) if ndim else None
    return _dim(op, dim, ndim) if ndim else None


def _shape_arguments(args):
    """`reshape(2, 3)` and `reshape((2, 3))` both mean the shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def tensor(data, requires_grad=False, dtype=None):
    """A new leaf Tensor holding a copy of `data`, as torch.tensor.

    Python floats become float32 (torch's default dtype); ndarrays and tensors keep
    their dtype unless `dtype` is given.

    Example:
        >>> tensor([[1.0, 2.0]]).dtype
        dtype('float32')
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is None and not isinstance(data, np.ndarray):
        array = np.array(data)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
    else:
        array = np.array(data, dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)
