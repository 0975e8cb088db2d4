"""Convolution benchmark: tinycnn against a textbook NumPy im2col, PyTorch and the GEMM ceiling.

For real layer shapes of the classic architectures, in float32, it times the forward pass
and the forward plus backward pass (dx, dw and db) of:

- tinycnn's kernels, by the algorithm tinycnn chooses for the layer (``--algorithm``
  forces one wherever it computes the layer, with ``tinycnn.kernels.conv.forced``):
  im2col + one GEMM, one accumulating GEMM per kernel tap or per kernel row, or
  Winograd's F(2x2, 3x3) (see ``tinycnn/kernels/conv/``); the algorithm is printed after
  each row;
- a textbook NumPy im2col (``numpy_im2col.py`` beside this file), the baseline;
- PyTorch's CPU convolution, only when torch is importable (in a child process, so that
  its thread pool and tinycnn's never share a process);
- the GEMM ceiling: NumPy's own matmul on the matrices of the same sizes (M, N, K) as an
  im2col convolution's, which no im2col convolution can beat.

Before any timing, each implementation is checked: on a small copy of every layer (same
kernel, stride, padding, groups) against the float64 loop oracles of
``tinycnn.kernels.reference``, and on the full layer against the float64 NumPy baseline.
The first call of every implementation (JIT compilation or cache load, first page
faults) is reported apart from the steady-state medians.

Usage:
    python benchmarks/conv.py [--quick] [--algorithm {auto,im2col,taps,rows,winograd}]
                              [--json out.json]
"""

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass

import numpy as np
import numpy_im2col
from timing import gflops, machine, time_calls, torch_is_installed, write_json

from tinycnn.kernels import conv as conv_kernels
from tinycnn.kernels import reference
from tinycnn.kernels.conv import parts, tuning
from tinycnn.kernels.conv.choice import ALGORITHMS
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.conv.im2col import col2im_into, im2col_into
from tinycnn.kernels.conv.window_grid import images_to_grid
from tinycnn.kernels.runtime import threads
from tinycnn.kernels.runtime.configure import SET_BY_TINYCNN

# Largest |error| / largest |reference| accepted for float32 against float64. float32 keeps
# 24 bits (about 6e-8 relative); sums of up to N*OH*OW = 10^5 terms can lose a few more.
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Layer:
    """One convolution layer: x (N, C, H, W) * w (OC, C/G, K, K)."""

    name: str
    N: int
    C: int
    OC: int
    H: int
    K: int
    stride: int = 1
    padding: int = 0
    groups: int = 1

    @property
    def out_size(self):
        return (self.H + 2 * self.padding - self.K) // self.stride + 1

    @property
    def geometry(self):
        """(stride, padding, dilation, groups) as the kernels take them."""
        s, p = self.stride, self.padding
        return (s, s), (p, p), (1, 1), self.groups

    @property
    def gemm_sizes(self):
        """(M, N, K) of one group's forward GEMM: (OC/G x K) @ (K x N)."""
        G = self.groups
        return self.OC // G, self.N * self.out_size**2, self.C // G * self.K * self.K

    @property
    def forward_flop(self):
        M, N, K = self.gemm_sizes
        return 2 * M * N * K * self.groups

    def small_copy(self):
        """The same kernel, stride, padding and groups on a problem the loop oracle can check."""
        G = self.groups
        H = max(self.K + 2 * self.stride - 2 * self.padding, 1)  # about 3 x 3 outputs
        return Layer(self.name, 2, G * min(self.C // G, 2), G * min(self.OC // G, 2), H,
                     self.K, self.stride, self.padding, G)  # fmt: skip


# The layer table: real shapes from the five architectures. Batch 8, 4 where the textbook
# baseline's column matrices would need gigabytes.
LAYERS = [
    Layer("AlexNet conv1 11x11/4 3->64 @224", 8, 3, 64, 224, 11, 4, 2),
    Layer("AlexNet conv2 5x5 g2 96->256 @27", 8, 96, 256, 27, 5, 1, 2, 2),
    Layer("VGG 3x3 64->64 @224", 4, 64, 64, 224, 3, 1, 1),
    Layer("VGG 3x3 512->512 @28", 8, 512, 512, 28, 3, 1, 1),
    Layer("ResNet 3x3 64->64 @56", 8, 64, 64, 56, 3, 1, 1),
    Layer("ResNet 1x1 256->64 @56", 8, 256, 64, 56, 1),
    Layer("ResNet 3x3/2 128->128 @56", 8, 128, 128, 56, 3, 2, 1),
    Layer("GoogLeNet 5x5 16->32 @28", 8, 16, 32, 28, 5, 1, 2),
    Layer("DenseNet 3x3 128->32 @56", 8, 128, 32, 56, 3, 1, 1),
]


def layers_for(quick):
    """The layer table; --quick runs every layer on 2 images."""
    if not quick:
        return LAYERS
    return [Layer(**{**asdict(layer), "N": min(layer.N, 2)}) for layer in LAYERS]


def random_problem(layer, dtype, seed=0):
    """x, w, b and an output gradient dy for ``layer``, with unit-variance entries."""
    rng = np.random.default_rng(seed)
    L = layer
    x = rng.standard_normal((L.N, L.C, L.H, L.H)).astype(dtype)
    w = rng.standard_normal((L.OC, L.C // L.groups, L.K, L.K)).astype(dtype)
    b = rng.standard_normal(L.OC).astype(dtype)
    dy = rng.standard_normal((L.N, L.OC, L.out_size, L.out_size)).astype(dtype)
    return x, w, b, dy


# ------------------------------------------------------------------ the implementations
# Each takes (layer, x, w, b, dy) and returns (forward, forward_backward), two functions
# of no arguments: forward() -> y, forward_backward() -> (y, dx, dw, db).


def tinycnn_conv(layer, x, w, b, dy):
    geometry = layer.geometry

    def forward():
        return conv_kernels.conv2d_forward(x, w, b, *geometry)

    def forward_backward():
        y = forward()
        dx = conv_kernels.conv2d_backward_input(dy, w, x.shape, *geometry)
        dw = conv_kernels.conv2d_backward_weight(dy, x, w.shape, *geometry)
        return y, dx, dw, dy.sum(axis=(0, 2, 3))

    return forward, forward_backward


def numpy_conv(layer, x, w, b, dy):
    geometry = layer.geometry

    def forward():
        return numpy_im2col.conv2d_forward(x, w, b, *geometry)

    def forward_backward():
        y = forward()
        return (y, *numpy_im2col.conv2d_backward(dy, x, w, *geometry))

    return forward, forward_backward


def torch_conv(layer, x, w, b, dy):
    import torch  # optional; only the child process that benchmarks PyTorch imports it

    s, p, g = layer.stride, layer.padding, layer.groups
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dyt = torch.from_numpy(dy)

    def forward():
        with torch.no_grad():
            return torch.nn.functional.conv2d(xt, wt, bt, s, p, 1, g).numpy()

    def forward_backward():
        y = torch.nn.functional.conv2d(xt, wt, bt, s, p, 1, g)
        dx, dw, db = torch.autograd.grad(y, (xt, wt, bt), dyt)
        return y.detach().numpy(), dx.numpy(), dw.numpy(), db.numpy()

    return forward, forward_backward


def gemm_ceiling(layer):
    """NumPy matmul on the GEMMs an im2col convolution of ``layer`` must do, per group.

    Forward: Y (M x N) = W (M x K) @ cols (K x N). Backward: dcols (K x N) = W.T @ dY and
    dW.T (K x M) = cols @ dY.T (OpenBLAS's faster orientation of dW = dY @ cols.T).
    Operands are allocated once, as a best case.
    """
    M, N, K = layer.gemm_sizes
    rng = np.random.default_rng(0)
    w = rng.standard_normal((M, K), dtype=np.float32)
    cols = rng.standard_normal((K, N), dtype=np.float32)
    dY = rng.standard_normal((M, N), dtype=np.float32)
    Y, dcols, dW_t = (
        np.empty((M, N), np.float32),
        np.empty((K, N), np.float32),
        np.empty((K, M), np.float32),
    )

    def forward():
        for _ in range(layer.groups):
            np.matmul(w, cols, out=Y)

    def forward_backward():
        for _ in range(layer.groups):
            np.matmul(w, cols, out=Y)
            np.matmul(w.T, dY, out=dcols)
            np.matmul(cols, dY.T, out=dW_t)

    return forward, forward_backward


IMPLEMENTATIONS = {"tinycnn": tinycnn_conv, "numpy": numpy_conv, "torch": torch_conv}


# ---------------------------------------------------------------------------- checks


def relative_error(actual, expected):
    """Largest |actual - expected| over the largest |expected|."""
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


def check(name, make, layer):
    """Check one implementation on ``layer``; raise if any output is off.

    First a small copy of the layer against the float64 loop oracles, then the full layer
    against the float64 NumPy baseline (itself checked against the oracles by the first
    step). Returns the largest relative error of the full-size check.
    """
    small = layer.small_copy()
    x, w, b, dy = random_problem(small, np.float32, seed=1)
    geometry = small.geometry
    expected = (
        reference.conv2d_forward(x, w, b, *geometry),
        reference.conv2d_backward_input(dy, w, x.shape, *geometry),
        reference.conv2d_backward_weight(dy, x, w.shape, *geometry),
        dy.sum(axis=(0, 2, 3), dtype=np.float64),
    )
    _check_outputs(name, layer, "oracle", make(small, x, w, b, dy)[1](), expected)

    x, w, b, dy = random_problem(layer, np.float32)
    as64 = [a.astype(np.float64) for a in (x, w, b, dy)]
    expected = numpy_conv(layer, *as64)[1]()
    return _check_outputs(name, layer, "float64", make(layer, x, w, b, dy)[1](), expected)


def _check_outputs(name, layer, against, outputs, expected):
    errors = [relative_error(a, e) for a, e in zip(outputs, expected, strict=True)]
    worst = max(errors)
    if not worst <= TOLERANCE:  # also catches NaN
        raise AssertionError(
            f"{name} is wrong on {layer.name} against the {against} reference: relative "
            f"errors (y, dx, dw, db) = {errors}, tolerance {TOLERANCE}"
        )
    return worst


# --------------------------------------------------------------------------- running


def measure(name, make, layer, repeats, min_seconds):
    """Check, then time forward and forward+backward of one implementation on one layer."""
    error = check(name, make, layer)
    forward, forward_backward = make(layer, *random_problem(layer, np.float32))
    first_fwd, fwd, _ = time_calls(forward, repeats, min_seconds)
    first_fb, fb, _ = time_calls(forward_backward, repeats, min_seconds)
    return {
        "check_relative_error": error,
        "forward_s": fwd,
        "forward_backward_s": fb,
        "first_forward_s": first_fwd,
        "first_forward_backward_s": first_fb,
    }


def measure_ceiling(layer, repeats, min_seconds):
    forward, forward_backward = gemm_ceiling(layer)
    return {
        "forward_s": time_calls(forward, repeats, min_seconds)[1],
        "forward_backward_s": time_calls(forward_backward, repeats, min_seconds)[1],
    }


def jit_start_up():
    """Time the first calls of the conv kernels on a tiny layer, apart from everything else.

    Returns seconds of first (compile or cache-load) and second call, and whether Numba
    found the kernels in its on-disk cache (a second run of this script should).
    """
    tiny = Layer("tiny", 1, 2, 2, 5, 3, 1, 1)
    fb = tinycnn_conv(tiny, *random_problem(tiny, np.float32))[1]
    first, second, _ = time_calls(fb, 1)
    kernels = [im2col_into.serial, col2im_into.serial, images_to_grid.serial]
    hits = sum(sum(k.stats.cache_hits.values()) for k in kernels)
    misses = sum(sum(k.stats.cache_misses.values()) for k in kernels)
    return {"first_call_s": first, "second_call_s": second, "cache_hits": hits,
            "cache_misses": misses}  # fmt: skip


def run_torch_in_child(layer_index, quick, repeats, min_seconds):
    """Measure PyTorch on one layer of the table in a child process; None if it failed.

    One child per layer, run just before tinycnn's measurement of the same layer, so that
    both see the same load on a shared machine.
    """
    command = [sys.executable, __file__, "--worker", "torch", "--layer", str(layer_index),
               "--repeats", str(repeats), "--min-seconds", str(min_seconds)]  # fmt: skip
    command += ["--quick"] if quick else []
    # PyTorch gets the environment as the user set it, without tinycnn's thread settings.
    env = {k: v for k, v in os.environ.items() if k not in SET_BY_TINYCNN}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        print(f"PyTorch run failed; its columns are left out:\n{done.stderr}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def environment():
    import numba

    return {
        **machine(),
        "numba": numba.__version__,
        "numba_threads": numba.get_num_threads(),
        "numba_threading_layer": numba.threading_layer(),
        "parallel_min_work": threads.PARALLEL_MIN_WORK,
        "thread_variables": {
            k: os.environ.get(k)
            for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT")
        },
        "thread_variables_set_by_tinycnn": SET_BY_TINYCNN,
        # OpenBLAS reads OPENBLAS_THREAD_TIMEOUT when NumPy loads, which was before tinycnn.
        "openblas_timeout_effective": "OPENBLAS_THREAD_TIMEOUT" not in SET_BY_TINYCNN,
    }


def algorithm_name(layer):
    """The algorithms that run ``layer``'s passes (chosen or forced), by their ALGORITHMS
    names: one name, or forward/input-gradient/weight-gradient names when they differ."""
    L = layer
    x_shape, w_shape = (L.N, L.C, L.H, L.H), (L.OC, L.C // L.groups, L.K, L.K)
    by_pass = conv_kernels.algorithm_for(x_shape, w_shape, *L.geometry)
    names = [
        next(name for name, algorithm in ALGORITHMS.items() if algorithm is chosen)
        for chosen in by_pass.values()
    ]
    return names[0] if len(set(names)) == 1 else "/".join(names)


def why_chosen(layer, forced):
    """Why the layer ran by its algorithms: forced, the rule, or the times tuning measured."""
    if forced != "auto":
        return f"forced: --algorithm {forced}"
    if not tuning.enabled():
        return "the rule of tinycnn/kernels/conv/choice.py (TINYCNN_CONV_TUNING=0)"
    L = layer
    geo = ConvGeometry.of((L.N, L.C, L.H, L.H), (L.OC, L.C // L.groups, L.K, L.K), *L.geometry)
    # Choices are filed by part (kernels/conv/parts.py): a run of images, or of one image's
    # output channels when the batch has fewer images than cores.
    part = parts.split(geo, L.N, "out")[0]
    key = tuning.key_of(part.geo, part.images.stop - part.images.start, np.float32)
    timings = tuning.explain(key)
    if not timings:
        return "chosen by timing in an earlier run (the choices file), not timed again"
    whose = "whole calls" if part.geo == geo else "the first part of a channel cut, alone"
    return f"timed on {whose}, ms: " + "; ".join(
        f"{pass_} " + ", ".join(f"{name} {seconds * 1e3:.2f}" for name, seconds in times.items())
        for pass_, times in timings.items()
    )


def ratio(a, b):
    return a / b if a and b else None


def geometric_mean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def table(rows):
    """Format the results as a text table of GFLOP/s and ratios."""

    def cell(value, width=6, digits=1):
        return f"{value:{width}.{digits}f}" if value else " " * (width - 1) + "-"

    lines = [
        f"{'layer':35s} {'N':>2s} | forward GFLOP/s               | forward+backward GFLOP/s"
        "      | tinycnn fwd+bwd ratio to",
        f"{'':35s} {'':>2s} | {'tiny':>6s} {'numpy':>6s} {'torch':>6s} {'gemm':>6s}"
        f" | {'tiny':>6s} {'numpy':>6s} {'torch':>6s} {'gemm':>6s} | {'numpy':>6s}"
        f" {'gemm':>6s} {'torch':>6s}  algorithm",
    ]
    for row in rows:
        f, fb = row["forward_gflops"], row["forward_backward_gflops"]
        r = row["ratios_forward_backward"]
        lines.append(
            f"{row['layer']:35s} {row['N']:2d} | "
            + " ".join(cell(f.get(k)) for k in ("tinycnn", "numpy", "torch", "gemm"))
            + " | "
            + " ".join(cell(fb.get(k)) for k in ("tinycnn", "numpy", "torch", "gemm"))
            + " | "
            + " ".join(cell(r.get(k), digits=2) for k in ("numpy", "gemm", "torch"))
            + f"  {row['algorithm']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 images per layer, 1 repeat")
    parser.add_argument("--json", default="conv_benchmark.json", help="where to write results")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per figure")
    parser.add_argument("--min-seconds", type=float, default=None)
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--algorithm", choices=["auto", *ALGORITHMS], default="auto",
                        help="tinycnn's convolution algorithm (auto: tinycnn chooses)")  # fmt: skip
    parser.add_argument("--worker", choices=["torch"], help=argparse.SUPPRESS)
    parser.add_argument("--layer", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    min_seconds = args.min_seconds if args.min_seconds is not None else (0 if args.quick else 1)

    if args.worker:  # child process: measure one layer, print the figures as JSON, stop
        layer = layers_for(args.quick)[args.layer]
        make = IMPLEMENTATIONS[args.worker]
        print(json.dumps(measure(args.worker, make, layer, repeats, min_seconds)))
        return 0

    start = time.perf_counter()
    jit = jit_start_up()
    print(f"tinycnn first conv call {jit['first_call_s']:.2f} s (Numba cache hits "
          f"{jit['cache_hits']}, misses {jit['cache_misses']}), second "
          f"{jit['second_call_s'] * 1e3:.2f} ms")  # fmt: skip
    with_torch = torch_is_installed() and not args.no_torch

    def forcing():
        if args.algorithm == "auto":
            return contextlib.nullcontext()
        return conv_kernels.forced(args.algorithm)

    rows = []
    for i, layer in enumerate(layers_for(args.quick)):
        with forcing():
            results = {"tinycnn": measure("tinycnn", tinycnn_conv, layer, repeats, min_seconds)}
            algorithm = algorithm_name(layer)
            why = why_chosen(layer, args.algorithm)
        results["numpy"] = measure("numpy", numpy_conv, layer, repeats, min_seconds)
        torch_result = with_torch and run_torch_in_child(i, args.quick, repeats, min_seconds)
        if torch_result:
            results["torch"] = torch_result
        results["gemm"] = measure_ceiling(layer, repeats, min_seconds)
        flop = layer.forward_flop
        f = {k: gflops(flop, v["forward_s"]) for k, v in results.items()}
        fb = {k: gflops(3 * flop, v["forward_backward_s"]) for k, v in results.items()}
        row = {
            "layer": layer.name,
            **asdict(layer),
            "algorithm": algorithm,
            "why": why,
            "forward_gflop": flop / 1e9,
            "times": results,
            "forward_gflops": f,
            "forward_backward_gflops": fb,
            "ratios_forward": {
                k: ratio(f["tinycnn"], f.get(k)) for k in ("numpy", "gemm", "torch")
            },
            "ratios_forward_backward": {
                k: ratio(fb["tinycnn"], fb.get(k)) for k in ("numpy", "gemm", "torch")
            },
        }
        rows.append(row)
        print(table([row]).splitlines()[-1], flush=True)
        print(f"    {why}", flush=True)
    print()
    print(table(rows))
    means = {
        f"{which}_vs_{k}": geometric_mean([r[f"ratios_{which}"][k] for r in rows])
        for which in ("forward", "forward_backward")
        for k in ("numpy", "gemm", "torch")
    }
    print("geometric means of the ratios: " + ", ".join(
        f"{k} {v:.2f}" for k, v in means.items() if v))  # fmt: skip
    print("first calls (s), tinycnn fwd / fwd+bwd: " + ", ".join(
        f"{r['layer'].split()[0]} {r['times']['tinycnn']['first_forward_s']:.2f}/"
        f"{r['times']['tinycnn']['first_forward_backward_s']:.2f}" for r in rows))  # fmt: skip
    write_json(args.json, {
        "environment": environment(), "quick": args.quick, "repeats": repeats,
        "algorithm": args.algorithm,
        "jit_start_up": jit, "layers": rows, "geometric_means": means,
        "seconds": time.perf_counter() - start,
    })  # fmt: skip
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
