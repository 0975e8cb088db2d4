"""Exercise batch_norm: batch normalization, training and evaluation, forward and backward."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference

NAME = "batch_norm"
SUMMARY = "batch normalization (Ioffe & Szegedy): training and evaluation, both passes"
FUNCTIONS = (
    "batch_norm_train_forward",
    "batch_norm_train_backward",
    "batch_norm_eval_forward",
    "batch_norm_eval_backward",
)
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise batch_norm. Check it with: tinycnn exercises check THIS_FILE

Batch normalization works per channel c, over the M = N*H*W values x[:, c, :, :].
"""

import numpy as np


def batch_norm_train_forward(x, weight, bias, eps):
    """Training mode: normalize with the batch's own statistics (the paper's Algorithm 1).

        mean_c = sum of x[:, c] / M
        var_c  = sum of (x[:, c] - mean_c)^2 / M          (biased: divide by M)
        invstd_c = 1 / sqrt(var_c + eps)
        y[:, c] = weight_c * (x[:, c] - mean_c) * invstd_c + bias_c

    Returns:
        y, mean, var, invstd, all of x's dtype.

    Shape:
        x, y: (N, C, H, W); weight, bias, mean, var, invstd: (C,).
    """
    raise NotImplementedError


def batch_norm_train_backward(dy, x, mean, invstd, weight):
    """Gradient of training-mode batch normalization. mean and var depend on every x of
    the channel, so each x reaches y directly and through them. With
    x_hat = (x - mean_c) * invstd_c the chain rule gives:

        dbias_c   = sum of dy[:, c]
        dweight_c = sum of dy[:, c] * x_hat[:, c]
        dx[:, c]  = weight_c * invstd_c * (dy[:, c] - dbias_c / M - x_hat[:, c] * dweight_c / M)

    Returns:
        dx, dweight, dbias, of x's dtype.

    Shape:
        dy, x, dx: (N, C, H, W); mean, invstd, weight, dweight, dbias: (C,).
    """
    raise NotImplementedError


def batch_norm_eval_forward(x, running_mean, running_var, weight, bias, eps):
    """Evaluation mode: normalize with the running statistics instead.

        y[:, c] = weight_c * (x[:, c] - running_mean_c) / sqrt(running_var_c + eps) + bias_c

    Shape:
        x, y: (N, C, H, W); the rest: (C,).
    """
    raise NotImplementedError


def batch_norm_eval_backward(dy, x, running_mean, running_var, weight, eps):
    """Gradient of evaluation mode: the statistics are constants, so y is affine in x.

    Returns:
        dx, dweight, dbias.

    Shape:
        dy, x, dx: (N, C, H, W); the rest: (C,).
    """
    raise NotImplementedError
'''

EPS = 1e-5
EDGE_CASES = [((2, 1, 1, 1), np.float64), ((2, 3, 4, 4), np.float64), ((4, 2, 3, 5), np.float32)]
DRAWN = st.tuples(
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).filter(
        lambda s: s[0] * s[2] * s[3] > 1
    ),
    st.just(np.float64),
)


def _per_channel(v):
    return np.asarray(v).reshape(1, -1, 1, 1)


def _arrays(case):
    shape, dtype = case
    generator = np.random.default_rng(sum(shape))
    C = shape[1]
    x = (generator.standard_normal(shape) * 2 + 1).astype(dtype)
    weight, bias = (generator.standard_normal(C).astype(dtype) for _ in range(2))
    dy = generator.standard_normal(shape).astype(dtype)
    running_mean = generator.standard_normal(C).astype(dtype)
    running_var = (generator.random(C) + 0.5).astype(dtype)
    return x, weight, bias, dy, running_mean, running_var


def _words(case):
    shape, dtype = case
    return f"x (N, C, H, W) = {shape}, eps = {EPS}, {np.dtype(dtype).name}"


def _train_forward_mistakes(x, weight, bias):
    M = x.size // x.shape[1]

    def with_var(var, eps_inside=True):
        mean = x.mean(axis=(0, 2, 3))
        std = np.sqrt(var + EPS) if eps_inside else np.sqrt(var) + EPS
        x_hat = (x - _per_channel(mean)) / _per_channel(std)
        return _per_channel(weight) * x_hat + _per_channel(bias)

    var = x.var(axis=(0, 2, 3))
    return [
        Mistake("use the biased variance: divide by M = N*H*W, not by M - 1",
                lambda: with_var(var * M / (M - 1))),
        Mistake("eps goes inside the square root: 1 / sqrt(var + eps)",
                lambda: with_var(var, eps_inside=False)),
        Mistake("the statistics are per channel: average over axes (0, 2, 3), not over all",
                lambda: _per_channel(weight) * (x - x.mean()) / np.sqrt(x.var() + EPS)
                + _per_channel(bias)),
    ]  # fmt: skip


def _train_backward_mistakes(dy, x, mean, invstd, weight):
    x_hat = (x - _per_channel(mean)) * _per_channel(invstd)
    dweight = (dy * x_hat).sum(axis=(0, 2, 3))
    dbias = dy.sum(axis=(0, 2, 3))
    M = x.size // x.shape[1]
    g = _per_channel(weight * invstd)
    return [
        Mistake(
            "mean and var depend on every x of the channel too: subtract dbias / M and "
            "x_hat * dweight / M from dy before scaling",
            lambda: (g * dy, dweight, dbias),
        ),
        Mistake(
            "the term through var is missing: also subtract x_hat * dweight / M",
            lambda: (g * (dy - _per_channel(dbias) / M), dweight, dbias),
        ),
        Mistake(
            "dweight sums dy * x_hat (the normalized x), not dy * x",
            lambda: (g * (dy - _per_channel(dbias) / M - x_hat * _per_channel(dweight) / M),
                     (dy * x).sum(axis=(0, 2, 3)), dbias),
        ),
    ]  # fmt: skip


def _result(function, words, result, count):
    if not (isinstance(result, tuple) and len(result) == count):
        raise CheckError(function, words, f"must return a tuple of {count} arrays")
    return result


def check(learner):
    """Check the four functions against the loop oracles, then gradcheck both backwards."""

    def check_case(case):
        dtype = case[1]
        x, weight, bias, dy, running_mean, running_var = _arrays(case)
        words = _words(case)

        name = "batch_norm_train_forward"
        result = _result(name, words,
                         call(name, words, learner.batch_norm_train_forward, x, weight, bias, EPS),
                         4)  # fmt: skip
        expected = reference.batch_norm_train_forward(x, weight, bias, EPS)
        mistakes = _train_forward_mistakes(x, weight, bias)
        for label, actual, right in zip(("y", "mean", "var", "invstd"), result, expected,
                                        strict=True):  # fmt: skip
            compare(name, words, label, actual, right, mistakes if label == "y" else (), 1e-6)
            check_dtype(name, words, label, actual, dtype)
        _, mean, _, invstd = expected

        name = "batch_norm_train_backward"
        result = _result(name, words, call(name, words, learner.batch_norm_train_backward,
                                           dy, x, mean.astype(dtype), invstd.astype(dtype),
                                           weight), 3)  # fmt: skip
        expected = reference.batch_norm_train_backward(dy, x, mean, invstd, weight)
        mistakes = _train_backward_mistakes(dy, x, mean, invstd, weight)
        for label, actual, right in zip(("dx", "dweight", "dbias"), result, expected, strict=True):
            compare(name, words, label, actual, right, mistakes, 1e-5, result)
            check_dtype(name, words, label, actual, dtype)

        name = "batch_norm_eval_forward"
        statistics = (running_mean, running_var)
        y = call(name, words, learner.batch_norm_eval_forward, x, *statistics, weight, bias, EPS)
        batch_statistics = Mistake(
            "evaluation normalizes with running_mean and running_var, not the batch's",
            lambda: reference.batch_norm_train_forward(x, weight, bias, EPS)[0],
        )
        expected = reference.batch_norm_eval_forward(x, *statistics, weight, bias, EPS)
        compare(name, words, "y", y, expected, [batch_statistics])
        check_dtype(name, words, "y", y, dtype)

        name = "batch_norm_eval_backward"
        result = _result(name, words, call(name, words, learner.batch_norm_eval_backward,
                                           dy, x, *statistics, weight, EPS), 3)  # fmt: skip
        expected = reference.batch_norm_eval_backward(dy, x, *statistics, weight, EPS)
        for label, actual, right in zip(("dx", "dweight", "dbias"), result, expected, strict=True):
            compare(name, words, label, actual, right, rtol=1e-5)

    cases = run(check_case, EDGE_CASES, DRAWN, drawn=15)
    _gradcheck(learner)
    return cases + 2


def _gradcheck(learner):
    case = ((2, 2, 2, 3), np.float64)
    x, weight, bias, _, running_mean, running_var = _arrays(case)
    words = _words(case)

    def train_forward(x, weight, bias):
        y, mean, _, invstd = learner.batch_norm_train_forward(x, weight, bias, EPS)
        return y, (x, mean, invstd, weight)

    def train_backward(dy, saved):
        return learner.batch_norm_train_backward(dy, *saved)

    check_gradient("batch_norm_train_backward", words, train_forward, train_backward,
                   (x, weight, bias), (True, True, True))  # fmt: skip

    def eval_forward(x, weight, bias):
        y = learner.batch_norm_eval_forward(x, running_mean, running_var, weight, bias, EPS)
        return y, (x, weight)

    def eval_backward(dy, saved):
        x, weight = saved
        return learner.batch_norm_eval_backward(dy, x, running_mean, running_var, weight, EPS)

    check_gradient("batch_norm_eval_backward", words, eval_forward, eval_backward,
                   (x, weight, bias), (True, True, True))  # fmt: skip


def plug_in(learner, progress):
    """Train SmallCNN with the learner's batch normalization in its three BatchNorm layers."""
    ops = {name: getattr(learner, name) for name in FUNCTIONS}
    accuracy = plug.train_small_cnn(ops, progress=progress)
    return f"SmallCNN trained with your batch normalization: {accuracy:.1%} test accuracy"
