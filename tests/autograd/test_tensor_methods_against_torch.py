"""Tensor methods against values that PyTorch computed for the same inputs.

tests/data/tensor_reference.npz is written by tools/make_tensor_reference.py (run with
torch installed), which documents its keys. Each case calls the same method with the same
arguments on a tinycnn Tensor, backpropagates the stored upstream gradient, and compares
every output and the input's gradient. torch itself is not needed here.
"""

import json

import numpy as np
import pytest
from reference_data import load_arrays

import tinycnn

RTOL = {"float32": 1e-5, "float64": 1e-12}
REF = load_arrays("tensor_reference.npz", "make_tensor_reference.py")
CASES = sorted(
    {key.rsplit("/", 1)[0] for key in REF if key.endswith("/input")},
    key=lambda c: (int(c.split("/")[0]), c),
)


def as_arguments(value):
    """JSON lists back to tuples (torch's dims), recursively."""
    return tuple(as_arguments(v) for v in value) if isinstance(value, list) else value


def assert_close(actual, expected, what):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    rtol = RTOL.get(expected.dtype.name, 0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol, err_msg=what)


@pytest.mark.parametrize("case", CASES)
def test_method_matches_torch(case):
    index, dtype = case.split("/")
    method = str(REF[f"{index}/method"])
    args = as_arguments(json.loads(str(REF[f"{index}/args"])))
    kwargs = json.loads(str(REF[f"{index}/kwargs"]))
    x = tinycnn.tensor(REF[f"{case}/input"].copy(), requires_grad=True)

    out = getattr(x, method)(*args, **kwargs)
    outputs = tuple(out) if isinstance(out, tuple) else (out,)
    expected = [REF[key] for key in sorted(k for k in REF if k.startswith(f"{case}/output/"))]
    assert len(outputs) == len(expected), (
        f"{method}: {len(outputs)} outputs, torch gives {len(expected)}"
    )
    for k, (o, e) in enumerate(zip(outputs, expected, strict=True)):
        assert_close(o.data, e, f"{method} output {k}")

    if f"{case}/grad" in REF:
        outputs[0].backward(REF[f"{case}/grad_output"].copy())
        assert_close(x.grad, REF[f"{case}/grad"], f"{method} gradient")
    else:  # torch's result carries no gradient (argmax, argmin): neither may ours
        assert not outputs[0].requires_grad


def test_every_method_is_stored_in_both_dtypes():
    methods = {str(REF[f"{c.split('/')[0]}/method"]) for c in CASES}
    assert {"max", "min", "argmax", "var", "std", "softmax", "permute", "squeeze"} <= methods
    assert len(CASES) == 2 * len({c.split("/")[0] for c in CASES})
