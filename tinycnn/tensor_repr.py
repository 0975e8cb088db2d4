"""How a Tensor prints: the way torch prints it, so a REPL session reads the same.

tensor([0.5000, 1.2500])                 floats: 4 decimals, aligned
tensor([1., 2.])                         floats that are all whole numbers
tensor([1.0000e-05, 1.0000e+03])         scientific when the magnitudes are far apart
tensor([1, 2])                           int64 (the default integer dtype) says nothing
tensor([1., 2.], dtype=tinycnn.float64)  any other dtype is named
tensor([], size=(0, 3))                  empty tensors give their size
"""

import numpy as np

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


def format_tensor(data, extras):
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
