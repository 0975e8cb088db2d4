"""Exercise sigmoid_function: a new differentiable operation, as an autograd Function."""

import numpy as np
from hypothesis import strategies as st

import tinycnn.nn as nn
from tinycnn.autograd.function import Function
from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, check_dtype, compare
from tinycnn.gradcheck import GradcheckError, gradcheck
from tinycnn.tensor import apply, tensor

NAME = "sigmoid_function"
SUMMARY = "a new autograd Function: the logistic sigmoid, forward and backward"
FUNCTIONS = ("Sigmoid",)
SOLUTION = "tinycnn.exercises.solutions.sigmoid_function"
SKELETON = '''"""Exercise sigmoid_function. Check it with: tinycnn exercises check THIS_FILE

A Function is a pair of static methods on ndarrays (see tinycnn/autograd/function.py).
Use it as tinycnn.tensor.apply(Sigmoid, x) on a Tensor x; backward() then calls yours.
"""

import numpy as np

from tinycnn.autograd.function import Function


class Sigmoid(Function):
    """y = 1 / (1 + exp(-x)), elementwise; dy/dx = y * (1 - y).

    exp overflows for arguments above about 710 (float64) or 89 (float32): compute with
    exp(-|x|), which never does (for x < 0, y = exp(x) / (1 + exp(x))).
    """

    @staticmethod
    def forward(ctx, x):
        """x: ndarray of any shape. Save what backward needs on ctx
        (ctx.save_for_backward(...), read back as ctx.saved). Return y, of x's dtype."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        """grad: dL/dy. Return a tuple with one gradient per input of forward: (dL/dx,)."""
        raise NotImplementedError
'''

EDGE_CASES = [((3,), 1.0, np.float64), ((2, 4), 5.0, np.float64), ((5,), 1000.0, np.float64),
              ((2, 3), 100.0, np.float32)]  # fmt: skip
DRAWN = st.tuples(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple),
                  st.sampled_from([0.5, 3.0, 50.0]), st.just(np.float64))  # fmt: skip


def expected_sigmoid(x):
    """In float64, from exp(-|x|): no overflow anywhere."""
    x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def check(learner):
    """Check the forward against the formula (|x| up to 1000), then gradcheck."""
    if not (isinstance(learner.Sigmoid, type) and issubclass(learner.Sigmoid, Function)):
        raise CheckError("Sigmoid", "-", "must be a class derived from Function")

    def check_case(case):
        shape, magnitude, dtype = case
        x = (np.random.default_rng(len(shape)).standard_normal(shape) * magnitude).astype(dtype)
        words = f"x of shape {shape}, |x| up to ~{3 * magnitude:g}, {np.dtype(dtype).name}"
        with np.errstate(all="ignore"):  # an overflow is reported as a mistake below
            y = call("Sigmoid.forward", words, lambda: apply(learner.Sigmoid, tensor(x)).data)
        naive = Mistake(
            "exp(x) / (1 + exp(x)) is inf / inf = NaN for large x: compute with exp(-|x|), "
            "which never overflows (1 / (1 + exp(-x)) for x >= 0, exp(x) / (1 + exp(x)) "
            "for x < 0)",
            lambda: _naive(x),
        )
        compare("Sigmoid.forward", words, "y", y, expected_sigmoid(x), [naive])
        check_dtype("Sigmoid.forward", words, "y", y, dtype)

    cases = run(check_case, EDGE_CASES, DRAWN, drawn=10)
    x = tensor(np.random.default_rng(0).standard_normal((2, 3)) * 2, requires_grad=True)
    words = "x of shape (2, 3), float64"
    try:
        call("Sigmoid.backward", words, gradcheck, lambda t: apply(learner.Sigmoid, t), [x])
    except CheckError as failure:
        if not isinstance(failure.__cause__, GradcheckError):
            raise
        y = expected_sigmoid(x.data)
        hint = None
        if _gives(learner, x.data, lambda grad: grad * y):
            hint = "dy/dx = y * (1 - y), not y"
        elif _gives(learner, x.data, lambda grad: grad * (1 - y)):
            hint = "dy/dx = y * (1 - y), not 1 - y"
        elif _gives(learner, x.data, lambda grad: grad):
            hint = "multiply grad by dy/dx = y * (1 - y)"
        problem = str(failure.__cause__).removeprefix("gradcheck: ")
        raise CheckError("Sigmoid.backward", words, problem, hint) from None
    return cases + 1


def _naive(x):
    with np.errstate(all="ignore"):
        return np.exp(x) / (1 + np.exp(x))


def _gives(learner, x, gradient):
    """Whether the learner's backward returns gradient(grad) for a random grad."""
    t = tensor(x, requires_grad=True)
    grad = np.random.default_rng(1).standard_normal(x.shape)
    apply(learner.Sigmoid, t).backward(grad)
    return t.grad is not None and np.allclose(t.grad, gradient(grad))


class _SigmoidLayer(nn.Module):
    """A layer that applies a Sigmoid Function."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return apply(self.function, x)


def plug_in(learner, progress):
    """Train SmallCNN with the learner's sigmoid in place of its ReLUs."""

    def with_sigmoid(model):
        return plug.replace_each(model, nn.ReLU, lambda layer: _SigmoidLayer(learner.Sigmoid))

    accuracy = plug.train_small_cnn(change_model=with_sigmoid, progress=progress)
    return f"SmallCNN with your sigmoid in place of ReLU: {accuracy:.1%} test accuracy"
