"""How the kernels share the cores: Numba's thread pool, OpenBLAS's, and small problems.

Two thread pools take turns on the same cores: OpenBLAS runs the GEMMs and Numba's OpenMP
pool runs the `prange` loops. Left at their defaults they fight:

- An OpenMP thread that reaches the end of a parallel loop spins, busy-waiting for the
  others, and OpenBLAS's threads spin for about 0.1 s after every GEMM. On two cores, a
  small Numba loop right after a GEMM then waits for a core until the scheduler preempts a
  spinner (docs/performance.md has the figures). ``OMP_WAIT_POLICY=PASSIVE`` makes a
  waiting OpenMP thread sleep instead, so the thread it waits for gets the core, after a
  short spin (``GOMP_SPINCOUNT=1000``): short enough to cost little, long enough to catch
  the next loop of a run of element-wise loops.
  ``OPENBLAS_THREAD_TIMEOUT=4`` shortens OpenBLAS's spin to 2**4 cycles.
- Waking a second thread costs tens of microseconds, more than a small loop takes on one
  core, and milliseconds when the other core is busy with another process. `parallel_kernel`
  compiles every loop twice, and runs the serial build below `PARALLEL_MIN_WORK` elements;
  `blas_threads_for` runs GEMMs of fewer than `BLAS_PARALLEL_MIN_FLOP` on one OpenBLAS
  thread.
- Even for large problems, every 2-thread loop or GEMM ends with one thread waiting for the
  other, and while another process holds a core that wait can last a scheduler slice or
  more. So the convolutions, which make most of the calls, do not split each loop: they
  cut each call into independent parts (`conv/parts.py`: images, or channels of one
  image), and `over_parts` runs each part start to end on a core of its own: serial Numba
  builds and one-thread GEMMs, with nothing to wait for until the end of the call.

``configure.py`` sets the two variables (where the user has not), before the pools start.
"""

import contextlib
import os
import threading
import types
from concurrent.futures import ThreadPoolExecutor, wait

import numba
from numba import njit

from tinycnn.kernels.runtime import openblas

# Loops over fewer elements than this run on one thread. A parallel loop pays a thread
# wake-up of 20-100 us; one core copies or compares ~50,000 float32 values in that time.
PARALLEL_MIN_WORK = 2**16

# GEMMs of fewer floating-point operations than this run on one OpenBLAS thread. 2**26 flop
# take about 1 ms on one core: below that, a second thread saves at most half of it, and
# waiting for it when it is not running costs more.
BLAS_PARALLEL_MIN_FLOP = 2**26


@contextlib.contextmanager
def _one_blas_thread():
    """Run the GEMMs inside on one OpenBLAS thread (no call at all if it already runs one)."""
    if openblas.get_num_threads is None or openblas.get_num_threads() == 1:
        yield
        return
    threads = openblas.get_num_threads()
    openblas.set_num_threads(1)
    try:
        yield
    finally:
        openblas.set_num_threads(threads)


@contextlib.contextmanager
def blas_threads_for(flop):
    """Run the GEMMs inside on one OpenBLAS thread if each is smaller than the threshold.

    Args:
        flop: floating-point operations of one GEMM (2*M*N*K).

    Does nothing when the BLAS is not NumPy's OpenBLAS. The thread count is process-wide,
    so a GEMM running at the same time on another Python thread is affected too.
    """
    # Inside a part of `over_parts` OpenBLAS already runs one thread: no need to ask it (a
    # DenseNet step on 32x32 images makes ~5,000 such calls).
    if flop >= BLAS_PARALLEL_MIN_FLOP or getattr(_LOCAL, "serial", False):
        yield
        return
    with _one_blas_thread():
        yield


# Parts of a convolution call that `over_parts` runs at once: one per thread Numba may use.
BATCH_PARTS = numba.config.NUMBA_NUM_THREADS
_POOL = None


def _start_pool():
    global _POOL
    _POOL = ThreadPoolExecutor(max_workers=max(BATCH_PARTS - 1, 1), thread_name_prefix="tinycnn")


_start_pool()
# A forked child inherits the pool object but none of its threads: give it a pool of its own.
os.register_at_fork(after_in_child=_start_pool)
_LOCAL = threading.local()  # _LOCAL.serial is True in a thread running one part of a call


def _serially(function, part):
    """``function(part)`` with every `parallel_kernel` inside running its serial build."""
    _LOCAL.serial = True
    try:
        return function(part)
    finally:
        _LOCAL.serial = False


def as_batch_part(function):
    """``function()`` run as one part of `over_parts` runs: serial Numba builds, one BLAS
    thread. Timing a part (to choose an algorithm) must see what the part will."""
    with _one_blas_thread():
        return _serially(lambda part: function(), None)


def over_parts(parts, function):
    """Call ``function(part)`` for every part at once, each on one core from start to end.

    Each part runs serial Numba loops and one-thread GEMMs (NumPy and Numba's serial builds
    release the GIL, so the parts truly run together); the first runs in this thread.
    Why not two threads inside every loop and every GEMM instead: each such call ends with
    one thread waiting for the other, and when another process holds the other core the
    wait lasts until the scheduler lets that thread run again, which on a shared machine
    can be a hundred times the call (docs/performance.md). Parts that share nothing but
    the end of the call lose only the time a busy core is taken from them.

    Args:
        parts: what each call gets, at most `BATCH_PARTS` of them (more run, but the extra
            ones wait for a free thread).
        function: called once per part; the parts must write nothing in common.

    Returns:
        The results of the calls, in the order of ``parts``. A single part is one plain
        call in this thread: its `parallel_kernel` loops may still use every core.

    Example:
        >>> over_parts([slice(0, 3), slice(3, 5)], lambda images: images.stop - images.start)
        [3, 2]
    """
    if len(parts) < 2:
        return [function(part) for part in parts]
    with _one_blas_thread():
        others = [_POOL.submit(_serially, function, part) for part in parts[1:]]
        try:
            first = _serially(function, parts[0])
        finally:
            wait(others)  # no part may still run once the BLAS thread count is restored
    return [first] + [other.result() for other in others]


def _renamed_copy(function, suffix):
    """A copy of ``function`` whose qualified name ends in ``suffix``.

    Numba's on-disk cache names its files after the function's qualified name and does not
    tell a parallel build from a serial one, so the serial twin needs a name of its own.
    """
    twin = types.FunctionType(
        function.__code__,
        function.__globals__,
        function.__name__ + suffix,
        function.__defaults__,
        function.__closure__,
    )
    twin.__qualname__ = function.__qualname__ + suffix
    twin.__doc__ = function.__doc__
    return twin


class parallel_kernel:  # noqa: N801  (used as a decorator, like njit)
    """Compile a ``prange`` loop twice: in parallel, and serially for small problems.

    Call the result with the loop's arguments and ``work=``, the number of elements the
    loop touches; it runs the parallel build when ``work >= PARALLEL_MIN_WORK``, unless
    it is called from a part of `over_parts`, which already has its core. (In the serial
    build ``prange`` is a plain ``range``.)

    Example:
        >>> @parallel_kernel
        ... def double_into(x, y):
        ...     for i in prange(x.size):  # each iteration writes only y[i]
        ...         y[i] = 2 * x[i]
        >>> x = np.arange(3.0); y = np.empty(3)
        >>> double_into(x, y, work=x.size)  # 3 elements: the serial build runs
        >>> y
        array([0., 2., 4.])
    """

    def __init__(self, function):
        self.parallel = njit(parallel=True, cache=True)(function)
        # nogil: the serial build may run on several Python threads at once (`over_parts`).
        self.serial = njit(cache=True, nogil=True)(_renamed_copy(function, "_serial"))
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__

    def __call__(self, *args, work):
        in_batch_part = getattr(_LOCAL, "serial", False)
        kernel = self.parallel if work >= PARALLEL_MIN_WORK and not in_batch_part else self.serial
        return kernel(*args)
