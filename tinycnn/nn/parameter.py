"""`Parameter`: a Tensor that a Module registers as one of its learnable weights."""

import numpy as np

from tinycnn.tensor import Tensor, tensor


class Parameter(Tensor):
    """A Tensor that, assigned as an attribute of a `Module`, becomes one of its parameters.

    Assigning a Parameter to a module attribute (`self.weight = Parameter(...)`) registers
    it: it then appears in `parameters()`, `named_parameters()` and `state_dict()`. A plain
    Tensor assigned the same way is just an attribute.

    Args:
        data: a Tensor or an ndarray, whose array the Parameter shares (no copy, no dtype
            change, as torch's Parameter shares its tensor's storage); any other array-like
            is converted as `tinycnn.tensor.tensor` does (Python floats become float32).
            None gives an empty float32 parameter.
        requires_grad: whether the parameter needs a gradient. Default: True.

    Example:
        >>> w = Parameter(np.zeros((2, 3), dtype=np.float32))
        >>> w.requires_grad, w.shape
        (True, (2, 3))
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            array = data.data
        elif isinstance(data, np.ndarray):
            array = data
        else:
            array = tensor(data).data
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
