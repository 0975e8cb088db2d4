"""NumPy's own OpenBLAS, called directly: its thread count, and GEMM with strides and beta.

``numpy.matmul`` covers most GEMMs, but two things it cannot do are what the
window convolutions (``conv/via_windows.py``: taps and rows) are built on:

- accumulate: ``C += A @ B`` in place (BLAS's ``beta = 1``); matmul always overwrites, so
  a sum of nine products would need nine temporaries and nine additions;
- read an operand at any offset of a larger buffer with its own row stride (BLAS's
  ``lda``): a shifted window ``grid[:, s:s + L]`` of a wide matrix is one operand, no copy.

So this module calls ``cblas_sgemm``/``cblas_dgemm`` of the OpenBLAS that NumPy's wheels
bundle (``numpy.libs`` on Linux, ``numpy/.dylibs`` on macOS) through ctypes: the same
library and the same thread pool NumPy uses, so nothing is loaded twice and no second pool
competes for the cores. Where NumPy was built against another BLAS, `gemm` falls back to
``numpy.matmul`` plus an addition: correct, only slower, and `HAS_CBLAS` says so.

The wheels' OpenBLAS uses 64-bit integers (ILP64) and prefixes its symbols ``scipy_``
and suffixes them ``64_``; a plain OpenBLAS uses C ints and no affixes. Both are handled.
"""

import ctypes
import glob
import os

import numpy as np

# CBLAS's enumerations (cblas.h).
_ROW_MAJOR = 101
_NO_TRANSPOSE = 111
_TRANSPOSE = 112


def _find_library():
    """(library, prefix, suffix, integer type) of NumPy's OpenBLAS, or None for another BLAS.

    Loading the library again returns the copy NumPy already loaded.
    """
    site = os.path.dirname(os.path.dirname(np.__file__))
    candidates = glob.glob(os.path.join(site, "numpy.libs", "*openblas*"))
    candidates += glob.glob(os.path.join(np.__path__[0], ".dylibs", "*openblas*"))
    for path in candidates:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, integer in (
            ("scipy_", "64_", ctypes.c_int64),
            ("", "", ctypes.c_int),
        ):
            if hasattr(library, f"{prefix}openblas_get_num_threads{suffix}"):
                return library, prefix, suffix, integer
    return None


def _bind():
    """ctypes functions: thread count getter and setter, kernel name, sgemm/dgemm by dtype."""
    found = _find_library()
    if found is None:
        return None, None, None, {}
    library, prefix, suffix, integer = found
    get_num_threads = getattr(library, f"{prefix}openblas_get_num_threads{suffix}")
    get_num_threads.restype = ctypes.c_int
    set_num_threads = getattr(library, f"{prefix}openblas_set_num_threads{suffix}")
    set_num_threads.argtypes = [ctypes.c_int]
    get_corename = getattr(library, f"{prefix}openblas_get_corename{suffix}", None)
    if get_corename is not None:
        get_corename.restype = ctypes.c_char_p
    gemms = {}
    precisions = ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double))
    for dtype, letter, scalar in precisions:
        function = getattr(library, f"{prefix}cblas_{letter}gemm{suffix}", None)
        if function is None:
            continue
        enum, pointer = ctypes.c_int, ctypes.c_void_p
        # order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc
        function.argtypes = [enum, enum, enum, integer, integer, integer, scalar]
        function.argtypes += [pointer, integer, pointer, integer, scalar, pointer, integer]
        function.restype = None
        gemms[np.dtype(dtype)] = function
    return get_num_threads, set_num_threads, get_corename, gemms


get_num_threads, set_num_threads, _get_corename, _GEMMS = _bind()
HAS_CBLAS = bool(_GEMMS)


def kernel_name():
    """The CPU kind whose GEMM kernels OpenBLAS runs ("Haswell", "SkylakeX", ...), or None.

    OpenBLAS picks them from the CPU it finds, unless the environment variable
    ``OPENBLAS_CORETYPE`` names a kind; Haswell's kernels use 256-bit vectors, SkylakeX's
    512-bit ones, so on an AVX-512 CPU the choice can halve GEMM speed. Benchmarks record it
    beside their figures; tinycnn never changes it (the variable is the user's setting).
    """
    if _get_corename is None:
        return None
    return _get_corename().decode(errors="replace")


def _operand(matrix):
    """(transpose flag, leading dimension) of a 2-D view BLAS can read without a copy.

    A row-major matrix has unit stride along its rows; a transposed view (``m.T``) has unit
    stride down its columns and is passed as the original with the transpose flag. A
    stride along an axis of length 1 never matters.
    """
    rows, cols = matrix.shape
    row_step, col_step = (stride // matrix.itemsize for stride in matrix.strides)
    if (cols == 1 or col_step == 1) and (rows == 1 or row_step >= max(cols, 1)):
        return _NO_TRANSPOSE, row_step if rows > 1 else max(cols, 1)
    if (rows == 1 or row_step == 1) and (cols == 1 or col_step >= max(rows, 1)):
        return _TRANSPOSE, col_step if cols > 1 else max(rows, 1)
    raise ValueError(f"gemm: operand needs unit stride along one axis, got {matrix.strides}")


def gemm(a, b, out, *, accumulate=False):
    """``out = a @ b``, or ``out += a @ b`` with ``accumulate=True``, in one BLAS call.

    Args:
        a, b: 2-D float32 or float64 views; each needs unit stride along one axis (a
            row-major matrix, a window of one, or a transposed view). Not copied.
        out: 2-D view with unit stride along its rows, same dtype; written in place.
        accumulate: add the product to ``out`` instead of overwriting it.

    Shape:
        - a: (M, K), b: (K, N), out: (M, N)

    Example:
        >>> grid = np.arange(12.0).reshape(2, 6)
        >>> out = np.ones((2, 4))
        >>> gemm(np.eye(2), grid[:, 1:5], out, accumulate=True)  # a shifted window
        >>> out
        array([[ 2.,  3.,  4.,  5.],
               [ 8.,  9., 10., 11.]])
    """
    (M, K), (K_b, N) = a.shape, b.shape
    if K != K_b or out.shape != (M, N):
        raise ValueError(f"gemm: shapes {a.shape} @ {b.shape} -> {out.shape} do not agree")
    if not a.dtype == b.dtype == out.dtype:
        raise ValueError(f"gemm: dtypes differ: {a.dtype}, {b.dtype}, {out.dtype}")
    if M == 0 or N == 0:
        return
    function = _GEMMS.get(out.dtype)
    if function is None:
        if accumulate:
            out += a @ b
        else:
            np.matmul(a, b, out=out)
        return
    trans_a, lda = _operand(a)
    trans_b, ldb = _operand(b)
    trans_out, ldc = _operand(out)
    if trans_out != _NO_TRANSPOSE:
        raise ValueError(f"gemm: out needs unit stride along its rows, got {out.strides}")
    beta = 1.0 if accumulate else 0.0
    function(
        _ROW_MAJOR, trans_a, trans_b, M, N, K, 1.0,
        a.ctypes.data, lda, b.ctypes.data, ldb, beta, out.ctypes.data, ldc,
    )  # fmt: skip
