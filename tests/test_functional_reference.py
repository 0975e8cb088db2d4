"""Every functional op against values that PyTorch computed for the same inputs.

The values live in tests/data/functional_reference.npz; tools/make_functional_reference.py
(run with torch installed) writes it and documents its keys. Each stored case is replayed
through `tinycnn.nn.functional` (or `tinycnn.cat`): forward, backward with the stored upstream
gradient, then the output, every input gradient and, for batch_norm in training, the updated
running statistics are compared. torch itself is not needed here.
"""

import json

import numpy as np
import pytest
from reference_data import load_arrays

import tinycnn
import tinycnn.nn.functional as F

OPS = (
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "local_response_norm",
    "batch_norm",
    "relu",
    "linear",
    "flatten",
    "log_softmax",
    "cross_entropy",
    "cat",
    "softmax",
    "sigmoid",
    "tanh",
    "leaky_relu",
    "mse_loss",
    "nll_loss",
    "max_unpool2d",
)
DTYPES = ("float32", "float64")
LOSSES_WITH_CLASS_WEIGHT = ("cross_entropy", "nll_loss")
RTOL = {"float32": 1e-4, "float64": 1e-10}


def load_reference():
    return load_arrays("functional_reference.npz", "make_functional_reference.py")


REF = load_reference()
# "<op>/<i>/<dtype>", in the order the script wrote them.
CASES = list(dict.fromkeys(key.rsplit("/", 1)[0] for key in REF if key.endswith("/output")))


def as_tuples(value):
    """JSON lists back to the tuples torch's signatures document (None stays None)."""
    return tuple(value) if isinstance(value, list) else value


def is_constant(op, name):
    """As in the script: batch_norm updates running stats in place; targets, indices and
    the losses' class weights carry no gradient (mse_loss's target does)."""
    if name in ("running_mean", "running_var"):
        return True
    if name == "target":
        return op != "mse_loss"
    return name == "weight" and op in LOSSES_WITH_CLASS_WEIGHT


def make_argument(op, name, array):
    if name == "indices":
        return tinycnn.tensor(array.copy())
    if is_constant(op, name):
        return array.copy()
    return tinycnn.tensor(array.copy(), requires_grad=True)


def assert_close(actual, expected, what):
    actual = np.asarray(actual)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    rtol = RTOL[expected.dtype.name]
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def test_every_op_has_cases_in_both_dtypes():
    stored = {(case.split("/")[0], case.split("/")[2]) for case in CASES}
    assert stored == {(op, dtype) for op in OPS for dtype in DTYPES}


@pytest.mark.parametrize("case", CASES)
def test_matches_torch(case):
    op, index, _ = case.split("/")
    names = json.loads(str(REF[f"{op}/{index}/args"]))
    kwargs = {k: as_tuples(v) for k, v in json.loads(str(REF[f"{op}/{index}/kwargs"])).items()}
    args = [make_argument(op, name, REF[f"{case}/arg/{name}"]) for name in names]

    output = tinycnn.cat(args, **kwargs) if op == "cat" else getattr(F, op)(*args, **kwargs)
    if f"{case}/indices" in REF:  # max_pool2d(..., return_indices=True)
        output, indices = output
        np.testing.assert_array_equal(indices.data, REF[f"{case}/indices"])
        assert indices.dtype == np.int64
    output.backward(REF[f"{case}/grad_output"].copy())

    assert_close(output.data, REF[f"{case}/output"], "output")
    for name, arg in zip(names, args, strict=True):
        if f"{case}/grad/{name}" in REF:
            assert arg.grad is not None, f"no gradient reached {name}"
            assert_close(arg.grad, REF[f"{case}/grad/{name}"], f"gradient of {name}")
        if f"{case}/after/{name}" in REF:
            assert_close(arg, REF[f"{case}/after/{name}"], f"{name} after the call")
