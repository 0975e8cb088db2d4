"""Helpers shared by the benchmarks: timing, GFLOP/s, optional PyTorch, JSON output.

Timings on a shared machine are noisy, so every figure is the median of several runs, and
the first call of anything (JIT compilation, first-touch page faults, BLAS thread start)
is timed on its own and never mixed into the median.
"""

import datetime
import importlib.util
import json
import os
import platform
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


def cpu_model():
    """The CPU's model name, as the kernel reports it (``lscpu``'s "Model name")."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags():
    """The vector extensions that decide which kernels win: AVX2, AVX-512, AMX."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                          if line.startswith("flags")), [])  # fmt: skip
    except OSError:
        return []
    return [name for name in ("avx2", "avx512f", "amx_tile") if name in flags]


def machine():
    """What a figure was measured on: CPU, cores, BLAS, versions and the date."""
    import numpy as np

    from tinycnn.kernels.conv import register_tile
    from tinycnn.kernels.runtime import openblas

    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    return {
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cpu_count": os.cpu_count(),
        "blas": f"{blas.get('name', '?')} {blas.get('version', '')}".strip(),
        # Which GEMM kernels OpenBLAS runs, and whether the environment chose them: on an
        # AVX-512 CPU, OPENBLAS_CORETYPE=Haswell halves NumPy's GEMM (docs/performance.md).
        "blas_kernels": openblas.kernel_name(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        # Set to measure what another CPU kind would run on this one: Numba's target for our
        # kernels (without AVX-512 their register tiles are other loops), and the vector
        # instructions PyTorch may use (oneDNN's convolutions, ATen's other ops).
        "isa_settings": {
            name: os.environ[name]
            for name in ("NUMBA_CPU_NAME", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY")
            if name in os.environ
        },
        "kernel_vector_registers": register_tile.VECTOR_REGISTERS,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "date": datetime.date.today().isoformat(),
        "load_average_1min": os.getloadavg()[0],
    }
