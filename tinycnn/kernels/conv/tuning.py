"""Choosing each convolution's algorithm by timing the candidates on the machine that runs.

Which algorithm is fastest for a layer depends on the CPU (its vector width, the BLAS's
kernels for it), so a rule measured on one machine picks wrongly on another. So the first
time a geometry is seen (the `ConvGeometry` of one part of a call, ``conv/parts.py``: the
layer's, or that of the part's channels; the images in the part; the dtype), every
algorithm that computes it is timed on random data of that size, pass by pass (forward,
input gradient, weight gradient), within a small time budget, and the
fastest of each pass is kept. A call cut into parts of its images is timed whole, as it
runs, on every core: the parts contend for the shared cache, and the direct convolution
shares the images out itself, which timing one part alone on one core would not show. A
call cut over channels has parts of other geometries; one of them is timed alone, on one
core. The choices are kept in memory, and in a file in the cache directory keyed by the
machine (CPU model, cores, BLAS and the kernels it runs, NumPy, the CPU Numba compiles for)
and by the kernels' own source, so a changed algorithm is timed again.

Results do not depend on which algorithm won beyond float rounding. For bit-exact
reproducibility (a resumed training run, the tests), `snapshot` and `preset` carry the
choices over, and ``TINYCNN_CONV_TUNING=0`` or `disabled()` uses the fixed rule of
``choice.py`` instead of timing.

    TINYCNN_CONV_TUNING=0      no timing: the rule decides
    TINYCNN_CACHE_DIR=path     where the choices file lives (default ~/.cache/tinycnn)
"""

import contextlib
import functools
import hashlib
import json
import os
import pathlib
import platform
import threading
import time

import numpy as np
from numba.core import config as numba_config

from tinycnn.kernels.conv.choice import ALGORITHMS
from tinycnn.kernels.runtime import openblas, threads

PASSES = ("forward", "backward_input", "backward_weight")
# Seconds of timing one geometry may take, all candidates and passes together, beyond the
# first (warm-up) call of each. Each candidate gets at least one timed call.
BUDGET_SECONDS = 0.5
# Timed calls per candidate and pass when the budget allows; the fastest one counts (the
# others were slowed by something else on the machine). Candidates take turns, so the
# calls of one are spread over the whole timing; with 3, on a small layer, one slow spell
# could cover every call of a candidate and let a slower one win (docs/performance.md).
REPEATS = 7
# Layers whose forward pass on one part of the batch does fewer floating-point operations
# than this (about 20 us on one core) are not timed: the rule decides. Timing costs the
# first call of every candidate (Numba compiles or loads each), more than such a layer
# could ever save. Above it the choice matters: DenseNet's 3x3 layers on 8x8 and 4x4
# images (5-19 million a part at batch 8) ran 2-3x slower by the rule's im2col than by
# the panels (2**25 here until those were measured).
MIN_FLOP = 2**22
# A choices file larger than this is not read (it holds a few hundred short lines).
MAX_FILE_BYTES = 1 << 20

_LOCK = threading.Lock()
_CHOICES = {}  # key -> {pass: algorithm name}
_TIMINGS = {}  # key -> {pass: {algorithm name: seconds}}, for `explain`
_STATE = threading.local()
SECONDS_SPENT = [0.0]  # total time spent timing candidates in this process


def enabled():
    """True unless ``TINYCNN_CONV_TUNING=0`` or inside `disabled()`."""
    if getattr(_STATE, "disabled", 0):
        return False
    return os.environ.get("TINYCNN_CONV_TUNING", "1") != "0"


@contextlib.contextmanager
def disabled():
    """Inside, convolutions use the fixed rule (``choice.choose``) and time nothing."""
    _STATE.disabled = getattr(_STATE, "disabled", 0) + 1
    try:
        yield
    finally:
        _STATE.disabled -= 1


def key_of(geo, part_images, dtype):
    """The string a choice is filed under: dtype, images per part, every size of the layer."""
    g = geo
    sizes = (g.C, g.H, g.W, g.OC, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.DH, g.DW, g.G)
    return f"{np.dtype(dtype).name}:{part_images}:" + ",".join(map(str, sizes))


def snapshot():
    """Every choice made so far in this process: {key: {pass: algorithm name}}."""
    with _LOCK:
        return {key: dict(choices) for key, choices in _CHOICES.items()}


def preset(choices):
    """Use these choices (from `snapshot`) instead of timing, e.g. when a run resumes.

    Raises:
        ValueError: ``choices`` is not {key: {pass: algorithm name}} for every pass.
    """
    if not isinstance(choices, dict):
        raise ValueError(f"preset: choices must be a dict, got {type(choices).__name__}")
    for key, by_pass in choices.items():
        names = by_pass.values() if isinstance(by_pass, dict) else ()
        if not (
            isinstance(key, str)
            and isinstance(by_pass, dict)
            and set(by_pass) == set(PASSES)
            and all(isinstance(name, str) and name in ALGORITHMS for name in names)
        ):
            raise ValueError(
                f"preset: choices[{key!r}] must map {list(PASSES)} to algorithms of "
                f"{sorted(ALGORITHMS)}, got {by_pass!r}"
            )
    with _LOCK:
        for key, by_pass in choices.items():
            _CHOICES[key] = dict(by_pass)


def explain(key):
    """How the choice filed under ``key`` was made: the seconds each candidate took."""
    with _LOCK:
        return {pass_: dict(times) for pass_, times in _TIMINGS.get(key, {}).items()}


def chosen(key, candidates, make_problem, run_pass, in_parts):
    """The algorithm name for each pass of the layer filed under ``key``, timing if new.

    Args:
        key: from `key_of`.
        candidates: {name: algorithm} that compute this layer, the rule's choice first.
        make_problem: called with no arguments, returns random (x, w, dy) of what is timed.
        run_pass: ``run_pass(algorithm, pass, problem)`` runs one pass once.
        in_parts: what is timed is one part of a call split over the cores, so it runs as
            `over_parts`'s parts do (serial loops, one BLAS thread), and is timed that way.
    """
    with _LOCK:
        if key in _CHOICES:
            return _CHOICES[key]
        _load_file()
        if key in _CHOICES:
            return _CHOICES[key]
    start = time.perf_counter()
    if in_parts:
        times = threads.as_batch_part(lambda: _time_candidates(candidates, make_problem, run_pass))
    else:
        times = _time_candidates(candidates, make_problem, run_pass)
    choice = {pass_: min(times[pass_], key=times[pass_].get) for pass_ in PASSES}
    with _LOCK:
        SECONDS_SPENT[0] += time.perf_counter() - start
        _CHOICES[key] = choice
        _TIMINGS[key] = times
        _save_file()
    return choice


def _time_candidates(candidates, make_problem, run_pass):
    """{pass: {name: fastest seconds}}: each candidate warmed up once, then timed in turns."""
    problem = make_problem()
    times = {pass_: {} for pass_ in PASSES}
    for algorithm in candidates.values():
        for pass_ in PASSES:
            run_pass(algorithm, pass_, problem)  # first call: compilation, first page faults
    deadline = time.perf_counter() + BUDGET_SECONDS
    for repeat in range(REPEATS):
        if repeat > 0 and time.perf_counter() > deadline:
            break
        for name, algorithm in candidates.items():  # in turns: a slow spell hits all of them
            for pass_ in PASSES:
                start = time.perf_counter()
                run_pass(algorithm, pass_, problem)
                seconds = time.perf_counter() - start
                times[pass_][name] = min(seconds, times[pass_].get(name, seconds))
    return times


# ----------------------------------------------------------------------- the choices file


@functools.cache
def _machine():
    """What the timings depend on besides the layer: CPU, cores, BLAS and its kernels, NumPy,
    the CPU Numba compiles for, our kernels' sources."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo
                        if line.startswith("model name")), cpu)  # fmt: skip
    except OSError:
        pass
    blas = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {})
    sources = hashlib.sha256()
    for path in sorted(pathlib.Path(__file__).parent.glob("*.py")):
        sources.update(path.read_bytes())
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "batch_parts": threads.BATCH_PARTS,
        "blas": f"{blas.get('name')} {blas.get('version')}",
        "blas_kernels": openblas.kernel_name(),  # OPENBLAS_CORETYPE can change them
        "numpy": np.__version__,
        # What Numba compiles our kernels for, when set: NUMBA_CPU_NAME / NUMBA_CPU_FEATURES
        # (without AVX-512 the register tiles are other loops, see register_tile.py).
        "numba_target": [numba_config.CPU_NAME, numba_config.CPU_FEATURES],
        "kernels": sources.hexdigest()[:16],
    }


def _file():
    """The choices file of this machine, or None if there is no cache directory."""
    directory = os.environ.get("TINYCNN_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "tinycnn"
    )
    machine = json.dumps(_machine(), sort_keys=True)
    name = "conv-choices-" + hashlib.sha256(machine.encode()).hexdigest()[:16] + ".json"
    return pathlib.Path(directory) / name


def _load_file():
    """Add the choices stored for this machine to `_CHOICES` (once; a bad file is ignored)."""
    if getattr(_load_file, "done", False):
        return
    _load_file.done = True
    try:
        path = _file()
        if path.stat().st_size > MAX_FILE_BYTES:
            return
        stored = json.loads(path.read_text())
        choices = stored["choices"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return  # no file yet, or one that is not ours: time again
    for key, by_pass in choices.items() if isinstance(choices, dict) else ():
        if isinstance(by_pass, dict) and set(by_pass) == set(PASSES):
            _CHOICES.setdefault(key, {p: str(by_pass[p]) for p in PASSES})
    timings = stored.get("timings")
    for key, by_pass in timings.items() if isinstance(timings, dict) else ():
        try:
            _TIMINGS.setdefault(key, {p: {str(n): float(s) for n, s in by_pass[p].items()}
                                      for p in PASSES})  # fmt: skip
        except (KeyError, AttributeError, TypeError, ValueError):
            continue


def _save_file():
    """Write every choice to the file, atomically; a read-only disk only loses the cache."""
    try:
        path = _file()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        stored = {"machine": _machine(), "choices": _CHOICES, "timings": _TIMINGS}
        temporary.write_text(json.dumps(stored, indent=1))
        os.replace(temporary, path)
    except OSError:
        pass
