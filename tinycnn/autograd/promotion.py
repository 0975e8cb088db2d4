"""torch's type promotion: the dtype of `a + b` when a and b differ in kind.

NumPy and torch agree on two arrays of the same kind (float32 + float64 -> float64), but
not across kinds, nor on Python numbers or 0-d arrays. torch's rule ranks the kinds
bool < integer < floating point and lets the highest kind decide, and within that kind
the operands in this order of priority: arrays with dimensions, then 0-d arrays, then
Python numbers:

- an array with dimensions of that kind: the widest dtype among such arrays, whatever
  else takes part: int64 array + float32 array -> float32 (NumPy would say float64),
  float32 array * float64 0-d array -> float32;
- else a 0-d array of that kind: the widest among those: int32 array * float64 0-d
  array -> float64;
- else only a Python number has that kind: that kind's default dtype, int array * 0.5
  -> float32, bool array + 1 -> int64 (NumPy would keep int, or fail);
- a Python number of a lower kind never widens an array: float32 array * 2 -> float32.
"""

import numpy as np

_DEFAULT_DTYPE = {0: np.dtype(np.bool_), 1: np.dtype(np.int64), 2: np.dtype(np.float32)}


_KINDS = {"b": 0, "f": 2}  # NumPy's dtype.kind letters; every other kind counts as integer


def _kind(dtype):
    """0 for bool, 1 for integers, 2 for floating point."""
    return _KINDS.get(dtype.kind, 1)


def _python_kind(number):
    if isinstance(number, bool):
        return 0
    return 1 if isinstance(number, int) else 2


def result_dtype(*operands):
    """The dtype torch gives an elementwise op on `operands` (ndarrays or Python numbers).

    Example:
        >>> result_dtype(np.array([1, 2]), 0.5)
        dtype('float32')
    """
    first = operands[0]
    if all(isinstance(op, np.ndarray) and op.dtype == first.dtype for op in operands):
        return first.dtype  # the common case (float32 with float32), answered at once
    arrays = [op for op in operands if isinstance(op, np.ndarray)]
    number_kinds = [_python_kind(op) for op in operands if not isinstance(op, np.ndarray)]
    top = max([_kind(a.dtype) for a in arrays] + number_kinds)
    for dimensioned in (True, False):
        tier = [a.dtype for a in arrays if _kind(a.dtype) == top and (a.ndim > 0) == dimensioned]
        if tier:
            return np.result_type(*tier)
    return _DEFAULT_DTYPE[top]


def true_division_dtype(*operands):
    """`/` always gives floating point, as in torch: int / int -> float32."""
    dtype = result_dtype(*operands)
    return dtype if _kind(dtype) == 2 else _DEFAULT_DTYPE[2]
