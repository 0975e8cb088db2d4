"""Helpers shared by the benchmarks: timing, GFLOP/s, optional PyTorch, JSON output.

Timings on a shared machine are noisy, so every figure is the median of several runs, and
the first call of anything (JIT compilation, first-touch page faults, BLAS thread start)
is timed on its own and never mixed into the median.
"""

import importlib.util
import json
import statistics
import time


def time_calls(function, repeats, min_seconds=0.0):
    """Time ``function()``: the first call alone, then the median of the next ones.

    Args:
        function: called with no arguments.
        repeats: at least this many timed calls after the first.
        min_seconds: keep calling (beyond ``repeats``) until the timed calls add up to
            this, so that fast functions get more samples.

    Returns:
        (first_call_seconds, median_seconds, number_of_timed_calls)
    """
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    times = []
    while len(times) < repeats or sum(times) < min_seconds:
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), len(times)


def gflops(flop, seconds):
    """Billions of floating-point operations per second."""
    return flop / seconds / 1e9


def torch_is_installed():
    """True when PyTorch can be imported (it is optional and never a tinycnn dependency)."""
    return importlib.util.find_spec("torch") is not None


def write_json(path, data):
    """Write ``data`` as indented JSON, atomically (a failed write keeps the old file)."""
    # Imported here, not at the top: the PyTorch workers of models.py may run under an
    # interpreter that has torch but not tinycnn, and they never write files.
    from tinycnn.io.atomic import atomic_write

    text = json.dumps(data, indent=2).encode()
    atomic_write(path, lambda file: file.write(text))
