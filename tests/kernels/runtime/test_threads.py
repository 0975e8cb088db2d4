"""The thread settings: serial twins of parallel loops, one BLAS thread for small GEMMs, and
the parts of a call run at once."""

import os
import threading

import numpy as np
import pytest
from numba import prange

from tinycnn.kernels.runtime import openblas, threads


def _scale_into(x, y):
    for i in prange(x.size):  # each iteration writes only y[i]
        y[i] = 3 * x[i]


scale_into = threads.parallel_kernel(_scale_into)


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


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_over_parts_returns_every_result_in_order(count, monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    parts = [slice(start, start + 1) for start in range(count)]
    assert threads.over_parts(parts, lambda part: part.start) == list(range(count))


def test_a_single_part_runs_in_this_thread_and_may_use_every_core(monkeypatch):
    called = []
    monkeypatch.setattr(scale_into, "parallel", lambda *args: called.append("parallel"))
    work = threads.PARALLEL_MIN_WORK
    results = threads.over_parts(["only"], lambda part: (threading.get_ident(),
                                 scale_into(np.zeros(1), np.zeros(1), work=work)))  # fmt: skip
    assert results == [(threading.get_ident(), None)]
    assert called == ["parallel"]


def test_parts_run_on_their_own_threads_serially_on_one_blas_thread(monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    seen = []

    def part(name):
        called = []
        kernel = threads.parallel_kernel(_scale_into)
        kernel.parallel = lambda *args: called.append("parallel")
        kernel.serial = lambda *args: called.append("serial")
        kernel(np.zeros(1), np.zeros(1), work=threads.PARALLEL_MIN_WORK)  # big enough
        blas = openblas.get_num_threads() if openblas.get_num_threads else 1
        seen.append((threading.get_ident(), called[0], blas))

    before = openblas.get_num_threads() if openblas.get_num_threads else None
    threads.over_parts(["first", "second"], part)
    assert len({ident for ident, _, _ in seen}) == 2
    assert {(kernel, blas) for _, kernel, blas in seen} == {("serial", 1)}
    after = openblas.get_num_threads() if openblas.get_num_threads else None
    assert after == before


def test_over_parts_waits_for_every_part_and_reraises(monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    finished = []

    def part(images):
        if images.start == 0:
            raise ValueError("first part failed")
        finished.append(images)

    with pytest.raises(ValueError, match="first part failed"):
        threads.over_parts([slice(0, 2), slice(2, 4)], part)
    assert finished == [slice(2, 4)]  # the other part ran to its end before the error left
    # and a kernel called outside a part runs its parallel build again
    called = []
    monkeypatch.setattr(scale_into, "parallel", lambda *args: called.append("parallel"))
    scale_into(np.zeros(1), np.zeros(1), work=threads.PARALLEL_MIN_WORK)
    assert called == ["parallel"]


def test_over_parts_works_in_a_forked_child(monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    threads.over_parts([0, 1], lambda part: None)  # the parent's pool thread has started
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if both parts ran
        try:
            os._exit(0 if threads.over_parts([0, 1], lambda part: 1) == [1, 1] else 1)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
