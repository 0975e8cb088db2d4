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

from tinycnn.autograd import arithmetic, reduction
from tinycnn.autograd import shape as shape_ops
from tinycnn.autograd.function import Context

_grad_enabled = True


class no_grad:  # noqa: N801  (torch's name)
    """Context manager (and decorator) that stops recording the graph, as torch.no_grad.

    Example:
        >>> with no_grad():
        ...     y = model(x)        # y.requires_grad is False; nothing is kept for backward
    """

    def __enter__(self):
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = False

    def __exit__(self, *exc_info):
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function):
        def without_grad(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        without_grad.__name__ = function.__name__
        without_grad.__doc__ = function.__doc__
        return without_grad


def is_grad_enabled():
    return _grad_enabled


class Node:
    """How a non-leaf tensor was made: `function` applied to `inputs`, with its `ctx`.

    After backward has used a node, `release` drops the inputs and the saved arrays, so
    the activations of a training step are freed once its gradients are computed.
    """

    __slots__ = ("function", "ctx", "inputs", "released")

    def __init__(self, function, ctx, inputs):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs
        self.released = False

    def release(self):
        self.ctx = None
        self.inputs = ()
        self.released = True


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
    record = _grad_enabled and any(needs_input_grad)
    ctx = Context(needs_input_grad if record else [False] * len(inputs))
    out = Tensor(function.forward(ctx, *arrays, **options))
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


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Args:
        data: array-like; stored as `np.asarray(data)` (no copy, no dtype change).
        requires_grad: whether backward should compute a gradient for this tensor.
            Only floating-point tensors can require gradients.

    Attributes:
        data: the ndarray.
        grad: after `backward`, dL/d(self) as an ndarray of the same shape, else None.
            Gradients accumulate over several backward calls, as in torch.
    """

    __array_priority__ = 1000  # make `ndarray + Tensor` call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        self.data = np.asarray(data)
        self.grad = None
        self._node = None
        self.requires_grad = False
        if requires_grad:
            if not np.issubdtype(self.data.dtype, np.floating):
                raise TypeError(
                    "Tensor: only floating-point tensors can require gradients, "
                    f"got dtype {self.data.dtype}"
                )
            self.requires_grad = True

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

    @property
    def is_leaf(self):
        return self._node is None

    def numel(self):
        return self.data.size

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != np.float32:
            extra = f", dtype={self.data.dtype}" + extra
        return f"tensor({body}{extra})"

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

    def detach(self):
        """A new leaf tensor sharing this one's data, cut off from the graph."""
        return Tensor(self.data)

    # ----------------------------------------------------------------- backward
    def backward(self, grad=None):
        """Compute dself/dx for every leaf x that requires grad, accumulating into x.grad.

        Args:
            grad: dL/d(self), an ndarray or Tensor of self's shape; may be omitted only
                when self holds a single element (then it is 1).
        """
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
            grad = np.ones_like(self.data)
        grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(
                f"backward: grad must have the tensor's shape {self.shape}, got {grad.shape}"
            )

        order = _topological_order(self)
        for tensor in order:
            if tensor._node is not None and tensor._node.released:
                raise RuntimeError(
                    "backward: the graph behind this tensor was freed by an earlier "
                    "backward(); run the forward pass again"
                )
        pending = {id(self): grad}  # id(tensor) -> summed gradient flowing into it
        # Keys whose pending sum this loop allocated, so later arrivals add into it in place.
        # A gradient as it arrives may be shared (Add hands the same array to both inputs,
        # Cat hands out views of its gradient), so the first sum must be a new array.
        owned = set()
        for tensor in order:
            g = pending.pop(id(tensor), None)
            node = tensor._node
            if node is None:  # a leaf: keep its gradient
                if g is not None:
                    tensor.grad = g.copy() if tensor.grad is None else tensor.grad + g
                continue
            if g is not None:
                # Kernels are compiled per memory layout; a contiguous gradient (not, say,
                # the zero-stride broadcast of a sum's gradient) reuses the compiled one.
                input_grads = node.function.backward(node.ctx, np.ascontiguousarray(g))
                for parent, parent_grad in zip(node.inputs, input_grads, strict=True):
                    if parent_grad is None or not isinstance(parent, Tensor):
                        continue
                    if not parent.requires_grad:
                        continue
                    parent_grad = np.asarray(parent_grad, dtype=parent.dtype)
                    key = id(parent)
                    if key not in pending:
                        pending[key] = parent_grad
                    elif key in owned:
                        pending[key] += parent_grad
                    else:
                        pending[key] = pending[key] + parent_grad
                        owned.add(key)
            node.release()

    # ----------------------------------------------------------------- arithmetic
    def _operand(self, other):
        """`other` as something `apply` takes; Python numbers take this tensor's dtype."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (int, float)):
            return np.asarray(other, dtype=self.dtype)
        return np.asarray(other)

    def __add__(self, other):
        return apply(arithmetic.Add, self, self._operand(other))

    def __radd__(self, other):
        return apply(arithmetic.Add, self._operand(other), self)

    def __sub__(self, other):
        return apply(arithmetic.Sub, self, self._operand(other))

    def __rsub__(self, other):
        return apply(arithmetic.Sub, self._operand(other), self)

    def __mul__(self, other):
        return apply(arithmetic.Mul, self, self._operand(other))

    def __rmul__(self, other):
        return apply(arithmetic.Mul, self._operand(other), self)

    def __truediv__(self, other):
        return apply(arithmetic.Div, self, self._operand(other))

    def __rtruediv__(self, other):
        return apply(arithmetic.Div, self._operand(other), self)

    def __neg__(self):
        return apply(arithmetic.Neg, self)

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError(
                f"pow: exponent must be a Python int or float, got {type(exponent).__name__}"
            )
        return apply(arithmetic.Pow, self, exponent=exponent)

    def __matmul__(self, other):
        return apply(arithmetic.MatMul, self, self._operand(other))

    def __rmatmul__(self, other):
        return apply(arithmetic.MatMul, self._operand(other), self)

    def exp(self):
        return apply(arithmetic.Exp, self)

    def log(self):
        return apply(arithmetic.Log, self)

    # ----------------------------------------------------------------- reductions
    def sum(self, dim=None, keepdim=False):
        return apply(reduction.Sum, self, axis=_axes(dim), keepdims=keepdim)

    def mean(self, dim=None, keepdim=False):
        return apply(reduction.Mean, self, axis=_axes(dim), keepdims=keepdim)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return apply(shape_ops.Reshape, self, shape=shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes start_dim..end_dim into one, as torch.flatten."""
        ndim = max(self.ndim, 1)
        start, end = start_dim % ndim, end_dim % ndim
        if start > end:
            raise ValueError(
                f"flatten: start_dim must not come after end_dim, got {start_dim} and {end_dim}"
            )
        dims = self.shape or (1,)
        merged = int(np.prod(dims[start : end + 1]))
        return self.reshape(dims[:start] + (merged,) + dims[end + 1 :])

    def transpose(self, dim0, dim1):
        return apply(shape_ops.Transpose, self, dim0=dim0, dim1=dim1)

    def __getitem__(self, key):
        if isinstance(key, Tensor):
            key = key.data
        elif isinstance(key, tuple):
            key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
        return apply(shape_ops.Index, self, key=key)


def _axes(dim):
    """torch's `dim` (None, int, or a sequence of ints) as NumPy's `axis`."""
    if dim is None or isinstance(dim, int):
        return dim
    return tuple(dim)


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
