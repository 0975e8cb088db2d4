"""gemm through NumPy's OpenBLAS (and its NumPy fallback) against float64 matmul."""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinycnn.kernels.runtime import openblas

RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def operand(rng, rows, cols, dtype, layout):
    """A (rows, cols) view in one of the layouts gemm reads without a copy."""
    if layout == "row-major":
        return rng.standard_normal((rows, cols)).astype(dtype)
    if layout == "transposed":
        return rng.standard_normal((cols, rows)).astype(dtype).T
    # a window of a wider matrix, starting at a column offset: rows apart by more than cols
    wide = rng.standard_normal((rows, cols + 5)).astype(dtype)
    return wide[:, 2 : 2 + cols]


@st.composite
def gemm_cases(draw):
    M, K, N = (draw(st.integers(1, 6)) for _ in range(3))
    layouts = st.sampled_from(["row-major", "transposed", "window"])
    return (
        M, K, N, draw(st.sampled_from([np.float32, np.float64])), draw(layouts), draw(layouts),
        draw(st.sampled_from(["row-major", "window"])), draw(st.booleans()),
        draw(st.integers(0, 2**32 - 1)),
    )  # fmt: skip


def check_gemm(case):
    M, K, N, dtype, a_layout, b_layout, out_layout, accumulate, seed = case
    rng = np.random.default_rng(seed)
    a = operand(rng, M, K, dtype, a_layout)
    b = operand(rng, K, N, dtype, b_layout)
    out = operand(rng, M, N, dtype, out_layout)
    before = out.astype(np.float64)
    expected = a.astype(np.float64) @ b.astype(np.float64) + (before if accumulate else 0)
    openblas.gemm(a, b, out, accumulate=accumulate)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(out, expected, rtol=0, atol=RTOL[dtype] * scale * K)


@settings(max_examples=200, deadline=None)
@given(gemm_cases())
def test_gemm_matches_matmul(case):
    check_gemm(case)


@settings(max_examples=50, deadline=None)
@given(gemm_cases())
def test_gemm_without_cblas_falls_back_to_numpy(case):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(openblas, "_GEMMS", {})
        check_gemm(case)


def test_numpys_wheel_openblas_is_found():
    # The wheels CI installs bundle OpenBLAS; elsewhere the fallback above is what runs.
    if not openblas.HAS_CBLAS:
        pytest.skip("NumPy here is not built against a bundled OpenBLAS")
    assert set(openblas._GEMMS) == {np.dtype(np.float32), np.dtype(np.float64)}
    assert openblas.get_num_threads() >= 1


def test_kernel_name_is_the_kind_openblas_runs():
    if not openblas.HAS_CBLAS:
        pytest.skip("NumPy here is not built against a bundled OpenBLAS")
    name = openblas.kernel_name()
    assert isinstance(name, str) and name
    # Where the environment names a kind (some machines set it), OpenBLAS runs that kind.
    asked = os.environ.get("OPENBLAS_CORETYPE")
    if asked:
        assert name.lower() == asked.lower()


@pytest.mark.parametrize(
    "a, b, out, message",
    [
        (np.ones((2, 3)), np.ones((4, 5)), np.ones((2, 5)), r"shapes \(2, 3\) @ \(4, 5\)"),
        (np.ones((2, 3)), np.ones((3, 5)), np.ones((2, 4)), r"-> \(2, 4\) do not agree"),
        (np.ones((2, 3)), np.ones((3, 5), np.float32), np.ones((2, 5)), "dtypes differ"),
        (np.ones((4, 6))[::2, ::2], np.ones((3, 5)), np.ones((2, 5)), "unit stride"),
        (np.ones((2, 3)), np.ones((3, 5)), np.ones((5, 2)).T, "out needs unit stride"),
    ],
)
def test_gemm_refuses_what_blas_cannot_read(a, b, out, message):
    if not openblas.HAS_CBLAS and "stride" in message:
        pytest.skip("the NumPy fallback reads any layout")
    with pytest.raises(ValueError, match=message):
        openblas.gemm(a, b, out)
