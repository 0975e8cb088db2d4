"""The base class of every differentiable operation, and the context it saves into."""


class Context:
    """What one call of a Function's forward leaves for its backward.

    Attributes:
        needs_input_grad: one bool per input, True where that input needs a gradient;
            backward may return None for the others and skip their work.
        saved: the arrays stored by `save_for_backward`.
    """

    def __init__(self, needs_input_grad):
        self.needs_input_grad = tuple(needs_input_grad)
        self.saved = ()

    def save_for_backward(self, *arrays):
        self.saved = arrays


class Function:
    """A differentiable operation on ndarrays.

    Subclasses define two static methods:

    - `forward(ctx, *inputs, **options) -> ndarray`: the inputs are ndarrays (or None for
      an absent optional input such as a bias); the options are plain Python values
      (stride, padding, ...).
    - `backward(ctx, grad) -> tuple`: given dL/d(output), with the output's shape, return
      dL/d(input) for every input, in order, each with that input's shape (None where
      `ctx.needs_input_grad` is False or the input was None).

    A subclass whose backward returns only new arrays, none of them a view of ``grad`` or
    of each other, sets ``returns_new_arrays = True``; a leaf then keeps such a gradient as
    its ``.grad`` without copying it. The default, False, is always safe.
    """

    returns_new_arrays = False

    @staticmethod
    def forward(ctx, *inputs, **options):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError
