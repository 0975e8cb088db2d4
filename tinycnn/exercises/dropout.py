"""Exercise dropout: inverted dropout, forward and backward, with the engine's draws."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.nn import Dropout, Sequential

NAME = "dropout"
SUMMARY = "inverted dropout: zero with probability p, scale the rest by 1/(1-p)"
FUNCTIONS = ("dropout_forward", "dropout_backward")
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise dropout. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def dropout_forward(x, p, generator):
    """Inverted dropout (Srivastava et al., 2014): zero each element with probability p
    and scale the others by 1 / (1 - p), so that y's expected value is x.

        u    = generator.random(x.shape, dtype=x.dtype)    # one uniform draw per element
        mask = (u >= p) / (1 - p)                           # 0 or 1 / (1 - p)
        y    = x * mask

    Draw exactly like this (the engine does), so that a seed gives the same mask.

    Args:
        x: input. p: drop probability, 0 < p < 1. generator: a numpy.random.Generator.

    Returns:
        y and mask, both of x's shape and dtype.
    """
    raise NotImplementedError


def dropout_backward(dy, mask):
    """Gradient of y = x * mask.

    Shape:
        dy, mask, dx: the same shape.
    """
    raise NotImplementedError
'''

EDGE_CASES = [((4, 5), 0.5, np.float64), ((2, 3, 4, 4), 0.2, np.float32), ((100,), 0.9, np.float64)]
DRAWN = st.tuples(
    st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    st.sampled_from([0.1, 0.25, 0.5, 0.75]),
    st.sampled_from([np.float32, np.float64]),
)


def check(learner):
    """Check the mask and y against the formula on the same draws, and the gradient."""

    def check_case(case):
        shape, p, dtype = case
        x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
        words = f"x of shape {shape}, p = {p}, {np.dtype(dtype).name}"
        result = call("dropout_forward", words, learner.dropout_forward, x, p,
                      np.random.default_rng(7))  # fmt: skip
        u = np.random.default_rng(7).random(shape, dtype=dtype)
        keep = u >= p
        expected_mask = keep / (1 - p)

        def draws_in_float64():
            keep64 = np.random.default_rng(7).random(shape) >= p
            return x * keep64 / (1 - p), keep64 / (1 - p)

        mistakes = [
            Mistake("the kept elements are not scaled: mask = (u >= p) / (1 - p)",
                    lambda: (x * keep, keep.astype(dtype))),
            Mistake("an element is dropped with probability p: keep it where u >= p",
                    lambda: (x * (u < p) / (1 - p), (u < p) / (1 - p))),
            Mistake("scale by 1 / (1 - p), the probability of keeping, not by 1 / p",
                    lambda: (x * keep / p, keep / p)),
            Mistake("draw in x's dtype: generator.random(x.shape, dtype=x.dtype) gives other "
                    "numbers than generator.random(x.shape)", draws_in_float64),
        ]  # fmt: skip
        y, mask = result if isinstance(result, tuple) and len(result) == 2 else (result, None)
        compare("dropout_forward", words, "mask", mask, expected_mask, mistakes, 1e-6, result)
        compare("dropout_forward", words, "y", y, x * expected_mask, mistakes, 1e-6, result)
        check_dtype("dropout_forward", words, "y", y, dtype)
        check_dtype("dropout_forward", words, "mask", mask, dtype)
        dy = np.random.default_rng(2).standard_normal(shape).astype(dtype)
        dx = call("dropout_backward", words, learner.dropout_backward, dy, mask)
        wrong = [Mistake("dx = dy * mask: the dropped elements get no gradient", lambda: dy)]
        compare("dropout_backward", words, "dx", dx, dy * expected_mask, wrong)

    return run(check_case, EDGE_CASES, DRAWN, drawn=10)


def plug_in(learner, progress):
    """Train SmallCNN with the learner's dropout (p = 0.2) before its classifier."""
    ops = {
        "dropout_forward": learner.dropout_forward,
        "dropout_backward": learner.dropout_backward,
    }

    def with_dropout(model):
        model.fc = Sequential(Dropout(0.2), model.fc)
        return model

    accuracy = plug.train_small_cnn(ops, with_dropout, progress=progress)
    return f"SmallCNN with your dropout before its classifier: {accuracy:.1%} test accuracy"
