"""The engine tour that `python -m tinycnn` runs.

1. Builds a small CNN from every layer of `tinycnn.nn`, runs a forward and a backward
   pass on random data, and prints each layer's output shape and gradient norm.
2. Checks every differentiable op against central differences in float64 and prints the
   largest relative difference between the analytic and numerical gradients.
"""

import time

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.gradcheck import gradient_pairs
from tinycnn.rng import manual_seed
from tinycnn.tensor import tensor

# A correct backward agrees with float64 central differences to about 1e-8 relative.
TOLERANCE = 1e-6


def small_cnn():
    """A 32x32-input CNN that uses every layer once (N x 3 x 32 x 32 -> N x 10)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1),  # N x 16 x 32 x 32
        nn.BatchNorm2d(16),
        nn.ReLU(inplace=True),
        nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0),
        nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),  # N x 16 x 16 x 16
        nn.Conv2d(16, 32, kernel_size=3, padding=1, groups=2),  # N x 32 x 16 x 16
        nn.ReLU(),
        nn.AvgPool2d(kernel_size=2),  # N x 32 x 8 x 8
        nn.Conv2d(32, 32, kernel_size=1),  # N x 32 x 8 x 8
        nn.AdaptiveAvgPool2d((2, 2)),  # N x 32 x 2 x 2
        nn.Flatten(),  # N x 128
        nn.Dropout(p=0.5),
        nn.Linear(128, 10),  # N x 10
        nn.Identity(),
    )


def _float64_leaves(generator, *shapes):
    return [
        tensor(generator.standard_normal(shape), requires_grad=True, dtype=np.float64)
        for shape in shapes
    ]


def _op_cases(generator):
    """(op name, function, float64 inputs) for every differentiable op, at small sizes."""
    x, w, b = _float64_leaves(generator, (2, 4, 6, 5), (6, 2, 3, 3), (6,))
    distinct = tensor(
        generator.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) * 0.1,
        requires_grad=True,
        dtype=np.float64,
    )  # well-separated values: a finite-difference step cannot move a max
    bn_x, gamma, beta = _float64_leaves(generator, (4, 3, 3, 3), (3,), (3,))
    logits, fc_w, fc_b = _float64_leaves(generator, (5, 7), (4, 7), (4,))
    target = generator.integers(0, 4, 5)
    a, c = _float64_leaves(generator, (2, 3, 4, 4), (2, 5, 4, 4))

    def bn(training):
        stats = (np.zeros(3), np.ones(3))
        return lambda x, g, b: F.batch_norm(
            x, stats[0].copy(), stats[1].copy(), g, b, training=training
        )

    def ce(x, w):
        return F.cross_entropy(F.linear(x, w), target, label_smoothing=0.1)

    def conv1x1(x, w):
        return F.conv2d(x, w[:, :, :1, :1].reshape(6, 2, 1, 1), groups=2)

    return [
        ("conv2d", lambda x, w, b: F.conv2d(x, w, b, (2, 1), padding=1, groups=2), [x, w, b]),
        ("conv2d 1x1", conv1x1, [x, w]),
        ("max_pool2d", lambda x: F.max_pool2d(x, 3, 2, padding=1, ceil_mode=True), [distinct]),
        ("avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [x]),
        ("adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (4, 3)), [x]),
        ("local_response_norm", lambda x: F.local_response_norm(x, 3, 0.1, 0.75, 2.0), [x]),
        ("batch_norm (train)", bn(True), [bn_x, gamma, beta]),
        ("batch_norm (eval)", bn(False), [bn_x, gamma, beta]),
        ("relu", F.relu, [x]),
        ("linear", F.linear, [logits, fc_w, fc_b]),
        ("log_softmax", lambda x: F.log_softmax(x, dim=1), [logits]),
        ("cross_entropy", ce, [logits, fc_w]),
        ("cat", lambda a, c: F.cat([a, c], dim=1) * 1.0, [a, c]),
        ("flatten", lambda x: F.flatten(x, 1), [x]),
    ]


def _relative_error(pairs):
    """Largest |analytic - numeric| over the largest |numeric|, across all inputs."""
    worst = 0.0
    for _, analytic, numeric in pairs:
        scale = max(float(np.abs(numeric).max()), 1e-12)
        worst = max(worst, float(np.abs(analytic - numeric).max()) / scale)
    return worst


def run(seed=0, out=print):
    """Run the tour; returns the list of (op, input shape, max relative error)."""
    manual_seed(seed)
    generator = np.random.default_rng(seed)
    model = small_cnn()
    images = tensor(generator.standard_normal((8, 3, 32, 32)).astype(np.float32))
    labels = generator.integers(0, 10, 8)
    out(f"A small CNN, {sum(p.numel() for p in model.parameters()):,} parameters:")
    out(repr(model))
    start = time.perf_counter()
    activation = images
    rows = []
    for name, layer in model.named_children():
        activation = layer(activation)
        rows.append((name, type(layer).__name__, activation.shape))
    loss = F.cross_entropy(activation, labels)
    loss.backward()
    elapsed = time.perf_counter() - start
    out(f"\nForward and backward of a batch of 8 (3 x 32 x 32): loss {loss.item():.4f}, "
        f"{elapsed * 1000:.0f} ms (first call includes Numba compilation)")  # fmt: skip
    out(f"{'layer':>5}  {'kind':<18} {'output shape':<18} {'|grad| of its weight':>20}")
    for name, kind, shape in rows:
        weight = getattr(model[int(name)], "weight", None)
        norm = f"{np.linalg.norm(weight.grad):.4g}" if weight is not None else "-"
        out(f"{name:>5}  {kind:<18} {str(shape):<18} {norm:>20}")

    out("\nGradient check, float64: analytic (backward) vs numerical (central differences)")
    out(f"{'op':<22} {'input shape':<16} {'max relative error':>18}")
    results = []
    for op, fn, inputs in _op_cases(generator):
        error = _relative_error(gradient_pairs(fn, inputs))
        results.append((op, inputs[0].shape, error))
        out(f"{op:<22} {str(inputs[0].shape):<16} {error:>18.2e}")
    worst = max(error for _, _, error in results)
    verdict = "ok" if worst < TOLERANCE else "TOO LARGE"
    out(f"\nLargest relative error over all ops: {worst:.2e} ({verdict}: float64 central")
    out("differences agree with a correct backward to about 1e-8)")
    return results
