"""The thread settings: serial twins of parallel loops, and one BLAS thread for small GEMMs."""

import os

import numpy as np
import pytest
from numba import prange

from tinycnn.kernels import openblas, threads


def _scale_into(x, y):
    for i in prange(x.size):  # each iteration writes only y[i]
        y[i] = 3 * x[i]


scale_into = threads.parallel_kernel(_scale_into)


def test_thread_variables_are_set_unless_the_user_set_them():
    # threads.py uses setdefault; whatever the value, it must be present before Numba runs.
    assert os.environ["OMP_WAIT_POLICY"]
    assert os.environ["OPENBLAS_THREAD_TIMEOUT"]


def test_parallel_kernel_builds_agree_and_have_their_own_cache_names():
    x = np.arange(10.0)
    y_parallel, y_serial = np.empty_like(x), np.empty_like(x)
    scale_into.parallel(x, y_parallel)
    scale_into.serial(x, y_serial)
    np.testing.assert_array_equal(y_parallel, 3 * x)
    np.testing.assert_array_equal(y_serial, 3 * x)
    # One on-disk cache entry per build: the names must differ. (Under NUMBA_DISABLE_JIT=1
    # the builds are the Python functions themselves, without py_func.)
    names = [
        getattr(b, "py_func", b).__qualname__ for b in (scale_into.parallel, scale_into.serial)
    ]
    assert names == ["_scale_into", "_scale_into_serial"]


@pytest.mark.parametrize("work, expected", [(0, "serial"), (threads.PARALLEL_MIN_WORK, "parallel")])
def test_parallel_kernel_picks_the_build_by_work(work, expected, monkeypatch):
    called = []
    monkeypatch.setattr(scale_into, "parallel", lambda *args: called.append("parallel"))
    monkeypatch.setattr(scale_into, "serial", lambda *args: called.append("serial"))
    scale_into(np.zeros(1), np.zeros(1), work=work)
    assert called == [expected]


@pytest.mark.skipif(openblas.get_num_threads is None, reason="NumPy's BLAS is not OpenBLAS")
def test_small_gemms_run_on_one_blas_thread_and_the_count_comes_back():
    get_num_threads = openblas.get_num_threads
    before = get_num_threads()
    with threads.blas_threads_for(threads.BLAS_PARALLEL_MIN_FLOP - 1):
        assert get_num_threads() == 1
    assert get_num_threads() == before
    with threads.blas_threads_for(threads.BLAS_PARALLEL_MIN_FLOP):
        assert get_num_threads() == before
