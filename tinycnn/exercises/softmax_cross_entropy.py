"""Exercise softmax_cross_entropy: the loss of a classifier and its gradient, stably."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.autograd.function import Function
from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.tensor import apply

NAME = "softmax_cross_entropy"
SUMMARY = "the softmax cross-entropy loss and its gradient, stable for logits of 1e4"
FUNCTIONS = ("softmax_cross_entropy",)
SOLUTION = "tinycnn.exercises.solutions.softmax_cross_entropy"
SKELETON = '''"""Exercise softmax_cross_entropy. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def softmax_cross_entropy(logits, target):
    """The mean cross-entropy of softmax(logits) against the target classes, and its
    gradient with respect to the logits.

        p[n]   = softmax(logits[n]) = exp(logits[n]) / sum(exp(logits[n]))
        loss   = -1/N * sum over n of log p[n, target[n]]
        dlogits[n] = (p[n] - onehot(target[n])) / N

    Logits of magnitude 1e4 must work: exp(1e4) overflows, but softmax does not change
    when a constant is subtracted from every logit of a row.

    Args:
        logits: class scores. target: class indices, integers in 0..K-1.

    Returns:
        loss (a float) and dlogits (of logits' shape and dtype).

    Shape:
        logits: (N, K); target: (N,); dlogits: (N, K).
    """
    raise NotImplementedError
'''

EDGE_CASES = [(1, 2, 1.0), (4, 3, 1.0), (8, 10, 5.0), (3, 4, 1e4)]
DRAWN = st.tuples(st.integers(1, 6), st.integers(2, 6), st.sampled_from([0.1, 1.0, 30.0, 1e4]))


def _arrays(case):
    N, K, magnitude = case
    generator = np.random.default_rng(N * K)
    logits = generator.standard_normal((N, K)) * magnitude
    target = generator.integers(0, K, N)
    return logits, target


def expected_loss_and_gradient(logits, target):
    """The loss and gradient by the formulas, in float64 (log-sum-exp with the max out)."""
    N = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.eye(logits.shape[1])[target]
    return -log_p[np.arange(N), target].mean(), (np.exp(log_p) - onehot) / N


def check(learner):
    """Check the loss and gradient against the formulas, then gradcheck the gradient."""

    def check_case(case):
        logits, target = _arrays(case)
        N, K, magnitude = case
        words = f"logits (N, K) = ({N}, {K}) of magnitude ~{magnitude:g}, target {target}"
        result = call("softmax_cross_entropy", words, learner.softmax_cross_entropy,
                      logits, target)  # fmt: skip
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckError("softmax_cross_entropy", words, "must return (loss, dlogits)")
        loss, dlogits = result
        expected_loss, expected_gradient = expected_loss_and_gradient(logits, target)
        onehot = np.eye(K)[target]

        def without_shift():
            with np.errstate(all="ignore"):
                p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
                return -np.log(p[np.arange(N), target]).mean(), (p - onehot) / N

        mistakes = [
            Mistake("subtract each row's largest logit before exp: exp(1e4) overflows",
                    without_shift),
            Mistake("the loss is a mean over the batch: divide the gradient by N too",
                    lambda: (expected_loss, expected_gradient * N)),
            Mistake("the gradient is p - onehot(target): subtract 1 at the target class",
                    lambda: (expected_loss, (expected_gradient * N + onehot) / N)),
            Mistake("the loss is a mean over the batch, not a sum: divide by N",
                    lambda: (expected_loss * N, expected_gradient)),
        ]  # fmt: skip
        try:
            actual = (np.asarray(loss, dtype=np.float64).reshape(()), dlogits)
        except (TypeError, ValueError):
            raise CheckError(
                "softmax_cross_entropy", words, f"loss must be a number, got {loss!r}"
            ) from None
        compare("softmax_cross_entropy", words, "loss", actual[0], np.asarray(expected_loss),
                mistakes, all_results=actual)  # fmt: skip
        compare("softmax_cross_entropy", words, "dlogits", dlogits, expected_gradient,
                mistakes, all_results=actual)  # fmt: skip

    cases = run(check_case, EDGE_CASES, DRAWN, drawn=15)
    logits, target = _arrays((3, 4, 1.0))

    def forward(logits):
        loss, dlogits = learner.softmax_cross_entropy(logits, target)
        return np.asarray(loss), dlogits

    check_gradient("softmax_cross_entropy", "logits (N, K) = (3, 4)", forward,
                   lambda grad, dlogits: (grad * dlogits,), (logits,), (True,))  # fmt: skip
    return cases + 1


class _LearnersLoss(Function):
    """The learner's loss as a Function: forward returns the loss, backward its gradient."""

    @staticmethod
    def forward(ctx, logits, target, loss_function):
        loss, ctx.dlogits = loss_function(logits, target)
        return np.asarray(loss, dtype=logits.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.dlogits, None


def plug_in(learner, progress):
    """Train SmallCNN with the learner's loss and gradient instead of F.cross_entropy."""

    def loss(logits, labels):
        return apply(
            _LearnersLoss, logits, labels.data, loss_function=learner.softmax_cross_entropy
        )

    accuracy = plug.train_small_cnn(loss=loss, progress=progress)
    return f"SmallCNN trained with your softmax cross-entropy: {accuracy:.1%} test accuracy"
