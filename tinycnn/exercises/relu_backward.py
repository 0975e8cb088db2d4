"""Exercise relu_backward: the gradient of the rectified linear unit."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference

NAME = "relu_backward"
SUMMARY = "the gradient of ReLU, y = max(x, 0)"
FUNCTIONS = ("relu_backward",)
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise relu_backward. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def relu_backward(dy, y):
    """Gradient of y = max(x, 0), given the forward's output y.

        dx = dy where y > 0, else 0

    (y > 0 exactly where x > 0; at x = 0 the gradient is 0, as in torch.)

    Shape:
        dy, y, dx: the same, any shape; dx of dy's dtype.
    """
    raise NotImplementedError
'''

EDGE_CASES = [((2, 3), np.float64), ((2, 3, 4, 4), np.float64), ((2, 5), np.float32)]
DRAWN = st.tuples(st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
                  st.just(np.float64))  # fmt: skip


def check(learner):
    """Check relu_backward against the loop oracle (zeros in x included), then gradcheck."""

    def check_case(case):
        shape, dtype = case
        generator = np.random.default_rng(len(shape))
        x = generator.integers(-2, 3, shape).astype(dtype)  # many exact zeros
        x = x + (x != 0) * generator.random(shape).astype(dtype)
        y = np.maximum(x, 0)
        dy = generator.standard_normal(shape).astype(dtype)
        words = f"dy and y of shape {shape}, {np.dtype(dtype).name} (y has zeros)"
        dx = call("relu_backward", words, learner.relu_backward, dy, y)
        mistakes = [
            Mistake("the mask comes from y (the forward's output), not from dy: dy * (y > 0)",
                    lambda: dy * (dy > 0)),
            Mistake("at y = 0 the gradient is 0 (use y > 0, not y >= 0)", lambda: dy * (y >= 0)),
            Mistake("multiply dy by the mask (y > 0); y itself is not the gradient",
                    lambda: dy * y),
        ]  # fmt: skip
        compare("relu_backward", words, "dx", dx, reference.relu_backward(dy, y), mistakes)
        check_dtype("relu_backward", words, "dx", dx, dtype)

    cases = run(check_case, EDGE_CASES, DRAWN)
    x = np.random.default_rng(0).standard_normal((2, 3, 4))

    def forward(x):
        y = np.maximum(x, 0)
        return y, y

    check_gradient("relu_backward", "x of shape (2, 3, 4)", forward,
                   lambda dy, y: (learner.relu_backward(dy, y),), (x,), (True,))  # fmt: skip
    return cases + 1


def plug_in(learner, progress):
    """Train SmallCNN with the learner's ReLU gradient in its three ReLUs."""
    accuracy = plug.train_small_cnn({"relu_backward": learner.relu_backward}, progress=progress)
    return f"SmallCNN trained with your relu_backward: {accuracy:.1%} test accuracy"
