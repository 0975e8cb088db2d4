"""Exercise local_response_norm: AlexNet's local response normalization, both passes."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference
from tinycnn.nn import LocalResponseNorm, ReLU

NAME = "local_response_norm"
SUMMARY = "local response normalization across channels (AlexNet), both passes"
FUNCTIONS = ("local_response_norm_forward", "local_response_norm_backward")
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise local_response_norm. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def local_response_norm_forward(x, size, alpha, beta, k):
    """Local response normalization (Krizhevsky et al., 2012), torch's formula:

        scale[n, c] = k + alpha / size * sum over c2 in window(c) of x[n, c2]^2
        y[n, c]     = x[n, c] * scale[n, c] ** -beta

    window(c) = c - size//2 .. c + (size-1)//2, channels outside 0..C-1 count as 0
    (all at the same pixel h, w). Note alpha is divided by size.

    Returns:
        y and scale (the backward pass needs it), both of x's dtype.

    Shape:
        x, y, scale: (N, C, H, W).
    """
    raise NotImplementedError


def local_response_norm_backward(dy, x, y, scale, size, alpha, beta):
    """Gradient of local response normalization. x[j] reaches y[j] directly, and y[c]
    through scale[c] for every channel c whose window holds j, that is
    c = j - (size-1)//2 .. j + size//2:

        dx[j] = dy[j] * scale[j] ** -beta
                - 2 * alpha * beta / size * x[j] * (sum over those c of dy[c] * y[c] / scale[c])

    Shape:
        all arrays: (N, C, H, W).
    """
    raise NotImplementedError
'''

ALPHA, BETA, K = 0.5, 0.75, 2.0  # a large alpha, so that the window sum matters
EDGE_CASES = [((1, 1, 1, 1), 1, np.float64), ((1, 5, 2, 2), 3, np.float64),
              ((2, 4, 2, 3), 2, np.float64), ((1, 3, 2, 2), 5, np.float64),
              ((2, 6, 3, 3), 5, np.float32)]  # fmt: skip
DRAWN = st.tuples(
    st.tuples(st.integers(1, 2), st.integers(1, 6), st.integers(1, 3), st.integers(1, 3)),
    st.integers(1, 6),
    st.just(np.float64),
)


def _words(case):
    shape, size, dtype = case
    return (f"x (N, C, H, W) = {shape}, size = {size}, alpha = {ALPHA}, beta = {BETA}, "
            f"k = {K}, {np.dtype(dtype).name}")  # fmt: skip


def _forward_mistakes(x, size):
    def scale_with(alpha_over_size, before, after):
        C = x.shape[1]
        squares = np.pad(x * x, ((0, 0), (before, after), (0, 0), (0, 0)))
        window_sum = sum(squares[:, i : i + C] for i in range(before + after + 1))
        scale = K + alpha_over_size * window_sum
        return x * scale**-BETA, scale

    return [
        Mistake("torch divides alpha by size: scale = k + alpha / size * (window sum)",
                lambda: scale_with(ALPHA, size // 2, (size - 1) // 2)),
        Mistake("the window is c - size//2 .. c + (size-1)//2 (for an even size it reaches "
                "one channel further back than forward)",
                lambda: scale_with(ALPHA / size, (size - 1) // 2, size // 2)),
    ]  # fmt: skip


def check(learner):
    """Check both passes against the loop oracles, then gradcheck."""

    def check_case(case):
        shape, size, dtype = case
        x = np.random.default_rng(size).standard_normal(shape).astype(dtype)
        words = _words(case)
        result = call("local_response_norm_forward", words, learner.local_response_norm_forward,
                      x, size, ALPHA, BETA, K)  # fmt: skip
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckError("local_response_norm_forward", words, "must return (y, scale)")
        y_ref, scale_ref = reference.local_response_norm_forward(x, size, ALPHA, BETA, K)
        mistakes = _forward_mistakes(x, size)
        for label, actual, right in zip(("y", "scale"), result, (y_ref, scale_ref), strict=True):
            compare("local_response_norm_forward", words, label, actual, right, mistakes,
                    all_results=result)  # fmt: skip
            check_dtype("local_response_norm_forward", words, label, actual, dtype)
        dy = np.random.default_rng(size + 1).standard_normal(shape).astype(dtype)
        y, scale = y_ref.astype(dtype), scale_ref.astype(dtype)
        dx = call("local_response_norm_backward", words, learner.local_response_norm_backward,
                  dy, x, y, scale, size, ALPHA, BETA)  # fmt: skip
        direct_only = Mistake(
            "x[j] also changes the scale of its neighbours: add the term "
            "-2 * alpha * beta / size * x[j] * sum(dy[c] * y[c] / scale[c])",
            lambda: dy * scale**-BETA,
        )
        expected = reference.local_response_norm_backward(dy, x, y, scale, size, ALPHA, BETA)
        compare("local_response_norm_backward", words, "dx", dx, expected, [direct_only])
        check_dtype("local_response_norm_backward", words, "dx", dx, dtype)

    cases = run(check_case, EDGE_CASES, DRAWN, drawn=15)
    x = np.random.default_rng(0).standard_normal((2, 5, 2, 2))

    def forward(x):
        y, scale = learner.local_response_norm_forward(x, 3, ALPHA, BETA, K)
        return y, (x, y, scale)

    def backward(dy, saved):
        return (learner.local_response_norm_backward(dy, *saved, 3, ALPHA, BETA),)

    check_gradient("local_response_norm_backward", _words(((2, 5, 2, 2), 3, np.float64)),
                   forward, backward, (x,), (True,))  # fmt: skip
    return cases + 1


def plug_in(learner, progress):
    """Train SmallCNN with the learner's LRN (AlexNet's size 5) after each ReLU."""
    ops = {name: getattr(learner, name) for name in FUNCTIONS}

    def with_lrn(model):
        return plug.after_each(model, ReLU, lambda: LocalResponseNorm(5, alpha=1e-4, k=2.0))

    accuracy = plug.train_small_cnn(ops, with_lrn, progress=progress)
    return f"SmallCNN with your LRN after each ReLU: {accuracy:.1%} test accuracy"
