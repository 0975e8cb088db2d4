"""Lesson `im2col`: a convolution as one matrix product, and what the columns cost.

The lecture: a convolution is a sum of products over each output pixel's window, written
most plainly as nested loops. im2col copies every window into a column of a matrix (C * KH
* KW rows, N * OH * OW columns), so the whole convolution becomes one matrix product of the
filters (OC x C * KH * KW) with it, which BLAS runs at close to the processor's peak
(Chellapilla, Puri & Simard, 2006; Caffe). The price is memory: with stride 1 each input
pixel is copied into up to KH * KW columns, so the column matrix is about KH * KW times the
input.

Measured on one 3x3 layer (padding 1, stride 1): the loop convolution of
`tinycnn.kernels.reference` (float64 Python loops, the oracle the tests use), the textbook
kernel set's (`kernels.use("textbook")`: im2col in plain NumPy, then one matrix product,
float32; once more with OpenBLAS on one thread, as the fast set runs small GEMMs), and the
fast set's `conv2d_forward` (the default: Numba and OpenBLAS, float32; it times its
algorithms on each new layer and keeps the fastest). Times are the median of several
repeats, with their min and max; they depend on the machine and on what else runs on it, so
they are printed, never asserted. Then the memory of the column matrix: measured for this
layer (the textbook im2col's array), and from the formula for layers of the classic
networks.

NOTE: `tinycnn.kernels.reference` is otherwise imported only by tests and benchmarks; this
lesson imports it because its loops are the plainest convolution there is, the one the
lecture starts from.

Scales (wall time of `tinycnn lessons im2col --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide):
    quick    1 x 4 x 8 x 8 -> 4 channels, 3 repeats       1 s
    default  1 x 16 x 16 x 16 -> 16 channels, 3 repeats   2 s
    full     1 x 32 x 32 x 32 -> 32 channels, 3 repeats   16 s (mostly the loops)
"""

import time

import numpy as np

from tinycnn import kernels
from tinycnn.kernels import reference
from tinycnn.kernels.conv import algorithm_for
from tinycnn.kernels.conv.choice import ALGORITHMS
from tinycnn.kernels.runtime.threads import blas_threads_for
from tinycnn.kernels.textbook.im2col import im2col
from tinycnn.lessons.report import Report
from tinycnn.lessons.scale import check

NAME = "im2col"
KH = KW = 3
STRIDE, PADDING, DILATION = (1, 1), (1, 1), (1, 1)
SCALES = {  # (N, C, H = W, OC), repeats
    "quick": {"shape": (1, 4, 8, 4), "repeats": 3},
    "default": {"shape": (1, 16, 16, 16), "repeats": 3},
    "full": {"shape": (1, 32, 32, 32), "repeats": 3},
}
# Layers of the classic networks, one image each: name, C, H = W, OC, K, stride, padding.
CLASSIC_LAYERS = (
    ("AlexNet conv1", 3, 224, 64, 11, 4, 2),
    ("VGG-16 conv1_2", 64, 224, 64, 3, 1, 1),
    ("ResNet-18 layer1 conv", 64, 56, 64, 3, 1, 1),
    ("ResNet-18 layer4 conv", 512, 7, 512, 3, 1, 1),
)


def output_size(size, kernel, stride, padding):
    """OH (or OW) = floor((H + 2P - K) / S) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def column_bytes(N, C, H, kernel, stride, padding, itemsize=4):
    """Bytes of the column matrix: (C * K * K) x (N * OH * OW) values of `itemsize` bytes."""
    out = output_size(H, kernel, stride, padding)
    return C * kernel * kernel * N * out * out * itemsize


def timed(function, repeats):
    """(result, [seconds of each of `repeats` calls]) after one untimed call (Numba compiles,
    caches warm up)."""
    result = function()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return result, seconds


def measure(scale="default", seeds=None):
    """Time the three convolutions of one layer; measure and compute the columns' memory.

    `seeds` is not used: nothing is trained (the inputs come from seed 0).

    Returns:
        {"layer": {"N", "C", "H", "OC"}, "macs", "methods": {method: {"seconds": [...],
        "max_error": largest |y - loop y|}}, "fast_algorithm", "columns_bytes" (measured),
        "input_bytes", "classic": [{"layer", "input_bytes", "columns_bytes"}], "repeats"}.
    """
    scale, _ = check(scale, 1)
    (N, C, H, OC), repeats = SCALES[scale]["shape"], SCALES[scale]["repeats"]
    data = np.random.default_rng(0)
    x = data.standard_normal((N, C, H, H)).astype(np.float32)
    w = data.standard_normal((OC, C, KH, KW)).astype(np.float32)
    geometry = (STRIDE, PADDING, DILATION, 1)
    fast = kernels.active()

    def textbook():
        with kernels.use("textbook"):
            return kernels.active().conv2d_forward(x, w, None, *geometry)

    def textbook_one_blas_thread():
        # OpenBLAS's threads set as the fast set sets them for a GEMM this small: one.
        with blas_threads_for(2 * N * OC * H * H * C * KH * KW):
            return textbook()

    runs = {
        "loops (reference, float64)": lambda: reference.conv2d_forward(x, w, None, *geometry),
        "textbook: im2col + GEMM (float32)": textbook,
        "textbook, BLAS threads as fast": textbook_one_blas_thread,
        "fast set (float32)": lambda: fast.conv2d_forward(x, w, None, *geometry),
    }
    methods, loop_y = {}, None
    for name, run in runs.items():
        y, seconds = timed(run, repeats if name.startswith("loops") else 3 * repeats)
        loop_y = y if loop_y is None else loop_y
        methods[name] = {"seconds": seconds, "max_error": float(np.max(np.abs(y - loop_y)))}
    OH = output_size(H, KH, STRIDE[0], PADDING[0])
    return {
        "layer": {"N": N, "C": C, "H": H, "OC": OC},
        "macs": N * OC * OH * OH * C * KH * KW,
        "methods": methods,
        "fast_algorithm": _name(algorithm_for(x.shape, w.shape, *geometry)["forward"]),
        "columns_bytes": int(im2col(x, KH, KW, *STRIDE, *PADDING, *DILATION).nbytes),
        "input_bytes": int(x.nbytes),
        "classic": [
            {"layer": name, "input_bytes": C_ * size * size * 4,
             "columns_bytes": column_bytes(1, C_, size, k, s, p)}
            for name, C_, size, _, k, s, p in CLASSIC_LAYERS
        ],
        "repeats": repeats,
    }  # fmt: skip


def report(numbers):
    layer = numbers["layer"]
    N, C, H, OC = layer["N"], layer["C"], layer["H"], layer["OC"]
    report = Report(
        "im2col: a convolution as one matrix product",
        claim="Copying each window into a column turns a convolution into one matrix product, "
        "much faster than loops over the windows; the column matrix costs about KH x KW "
        "times the input's memory (stride 1).",
    )
    loops = np.median(numbers["methods"]["loops (reference, float64)"]["seconds"])
    rows = []
    for name, method in numbers["methods"].items():
        seconds = np.asarray(method["seconds"])
        median = float(np.median(seconds))
        rows.append(
            (name, median * 1e3, seconds.min() * 1e3, seconds.max() * 1e3,
             2 * numbers["macs"] / median / 1e9, loops / median, method["max_error"])
        )  # fmt: skip
    report.table(
        ("method", "median ms", "min ms", "max ms", "GFLOP/s", "x loops", "max |y - loops|"),
        rows,
    )
    report.note(
        f"One layer: N x C x H x W = {N} x {C} x {H} x {H}, {OC} filters of {KH}x{KW}, padding "
        f"1, stride 1 ({numbers['macs']:,} multiply-adds). Times: median, min and max of "
        f"{numbers['repeats']} calls for the loops, {3 * numbers['repeats']} for the others, "
        f"after one untimed call; on another machine, or with other work running, they "
        f"differ. The fast set ran its '{numbers['fast_algorithm']}' algorithm for this "
        f"layer (timed on this machine). The loops are the float64 oracle tinycnn's tests "
        f"compare every kernel with; the textbook set is the NumPy code a learner can step "
        f"through (tinycnn/kernels/textbook/conv2d.py and im2col.py). Its third row runs it "
        f"with OpenBLAS's threads set as the fast set sets them for a GEMM this small "
        f"(kernels.runtime.threads.blas_threads_for: one thread); waking all the threads "
        f"for a small GEMM can cost more than the arithmetic, depending on the machine and "
        f"what else runs on it."
    )
    OH = output_size(H, KH, STRIDE[0], PADDING[0])
    formula = C * KH * KW * N * OH * OH / (C * N * H * H)
    report.compare(
        "column matrix bytes (this layer)", C * KH * KW * N * OH * OH * 4, numbers["columns_bytes"]
    )
    report.compare(
        "columns / input (KH KW OH OW / (H W))",
        round(formula, 3),
        round(numbers["columns_bytes"] / numbers["input_bytes"], 3),
    )
    report.table(
        ("layer (one image, float32)", "input", "column matrix", "columns / input"),
        [(c["layer"], _megabytes(c["input_bytes"]), _megabytes(c["columns_bytes"]),
          round(c["columns_bytes"] / c["input_bytes"], 2))
         for c in numbers["classic"]],
    )  # fmt: skip
    report.note(
        "The classic layers' column matrices from the formula (C * K * K) x (OH * OW) * 4 "
        "bytes; a batch of N images needs N times as much. With stride 1 and padding that "
        "keeps the size, OH x OW = H x W and the ratio is exactly K * K (the padding's zeros "
        "are stored too); stride 4 (AlexNet's conv1) puts fewer windows over each pixel. "
        "tinycnn's fast kernels bound this memory by converting the batch a few "
        "images at a time, and skip im2col for 1x1 convolutions, whose columns would be the "
        "input itself."
    )
    return report


def _name(algorithm):
    """The name `kernels.conv.choice.ALGORITHMS` gives an algorithm."""
    return next(name for name, known in ALGORITHMS.items() if known is algorithm)


def _megabytes(count):
    return f"{count / 2**20:,.2f} MiB"
