"""How the kernels share the cores: Numba's thread pool, OpenBLAS's, and small problems.

Two thread pools take turns on the same cores: OpenBLAS runs the GEMMs and Numba's OpenMP
pool runs the `prange` loops. Left at their defaults they fight:

- An OpenMP thread that reaches the end of a parallel loop spins, busy-waiting for the
  others, and OpenBLAS's threads spin for about 0.1 s after every GEMM. On two cores, a
  small Numba loop right after a GEMM then waits for a core until the scheduler preempts a
  spinner: measured here, a ReLU of 128 numbers took 22-35 ms after a matmul instead of
  0.1 ms, and a ResNet-18 forward of one 64x64 image 2.7 s instead of 0.35 s.
  ``OMP_WAIT_POLICY=PASSIVE`` makes a waiting OpenMP thread sleep instead, so the
  thread it waits for gets the core. ``OPENBLAS_THREAD_TIMEOUT=4`` shortens OpenBLAS's
  spin to 2**4 cycles.
- Waking a second thread costs tens of microseconds, more than a small loop takes on one
  core, and milliseconds when the other core is busy with another process. `parallel_kernel`
  compiles every loop twice, and runs the serial build below `PARALLEL_MIN_WORK` elements;
  `blas_threads_for` runs GEMMs of fewer than `BLAS_PARALLEL_MIN_FLOP` on one OpenBLAS
  thread (measured on a loaded machine: a ResNet-18 forward of one 64x64 image took
  144-316 ms with two OpenBLAS threads on every GEMM and 28 ms with one).

This module sets the two variables only where the user has not, so a value the user set
wins; `SET_BY_TINYCNN` lists what it set. It must run before the thread pools start:
Numba's OpenMP library reads its variable when the first parallel loop runs, which is
always later than this import, but OpenBLAS reads its own when NumPy is imported, so
``OPENBLAS_THREAD_TIMEOUT`` only takes effect when NumPy was not imported yet (set it in
the shell to be sure).
"""

import contextlib
import os
import types

# The variables this module set (those the user had not), so that a program that starts
# another framework in a child process can hand it the environment without them.
SET_BY_TINYCNN = {}
for _name, _value in (("OMP_WAIT_POLICY", "PASSIVE"), ("OPENBLAS_THREAD_TIMEOUT", "4")):
    if _name not in os.environ:
        os.environ[_name] = SET_BY_TINYCNN[_name] = _value

# The variables above must be set before NumPy and Numba load.
from numba import njit  # noqa: E402

from tinycnn.kernels import openblas  # noqa: E402

# Loops over fewer elements than this run on one thread. A parallel loop pays a thread
# wake-up of 20-100 us; one core copies or compares ~50,000 float32 values in that time.
PARALLEL_MIN_WORK = 2**16

# GEMMs of fewer floating-point operations than this run on one OpenBLAS thread. 2**26 flop
# take about 1 ms on one core: below that, a second thread saves at most half of it, and
# waiting for it when it is not running costs more.
BLAS_PARALLEL_MIN_FLOP = 2**26


@contextlib.contextmanager
def blas_threads_for(flop):
    """Run the GEMMs inside on one OpenBLAS thread if each is smaller than the threshold.

    Args:
        flop: floating-point operations of one GEMM (2*M*N*K).

    Does nothing when the BLAS is not NumPy's OpenBLAS. The thread count is process-wide,
    so a GEMM running at the same time on another Python thread is affected too.
    """
    if openblas.get_num_threads is None or flop >= BLAS_PARALLEL_MIN_FLOP:
        yield
        return
    threads = openblas.get_num_threads()
    openblas.set_num_threads(1)
    try:
        yield
    finally:
        openblas.set_num_threads(threads)


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
    loop touches; it runs the parallel build when ``work >= PARALLEL_MIN_WORK``. (In the
    serial build ``prange`` is a plain ``range``.)

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
        self.serial = njit(cache=True)(_renamed_copy(function, "_serial"))
        self.__doc__ = function.__doc__
        self.__name__ = function.__name__

    def __call__(self, *args, work):
        kernel = self.parallel if work >= PARALLEL_MIN_WORK else self.serial
        return kernel(*args)
