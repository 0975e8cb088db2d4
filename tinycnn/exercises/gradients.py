"""The backward half of a check: tinycnn.gradcheck of the learner's gradient.

The learner's forward and backward are wrapped in a `Function`, and `tinycnn.gradcheck`
compares the backward's gradient with central differences of the forward, in float64.
"""

import numpy as np

from tinycnn.autograd.function import Function
from tinycnn.exercises.failure import CheckError, call
from tinycnn.gradcheck import GradcheckError, gradcheck
from tinycnn.tensor import apply, tensor


class _LearnerOp(Function):
    """forward(*arrays) -> (output, saved) and backward(grad, saved) -> one grad per input."""

    @staticmethod
    def forward(ctx, *arrays, forward, backward):
        output, ctx.learner_saved = forward(*arrays)
        ctx.learner_backward = backward
        return output

    @staticmethod
    def backward(ctx, grad):
        return ctx.learner_backward(grad, ctx.learner_saved)


def check_gradient(function_name, case, forward, backward, arrays, differentiable):
    """Raise CheckError unless backward's gradient matches central differences.

    Args:
        function_name: the learner's backward function, for the message.
        case: the case in words.
        forward: (*arrays) -> (output, saved), the forward pass (the learner's or the
            engine's).
        backward: (grad, saved) -> tuple of gradients, one per array (None for the
            arrays not differentiated).
        arrays: float64 input arrays.
        differentiable: one bool per array: check its gradient.
    """
    tensors = [
        tensor(np.array(a, dtype=np.float64), requires_grad=d)
        for a, d in zip(arrays, differentiable, strict=True)
    ]

    def learner_backward(grad, saved):
        return call(function_name, case, backward, grad, saved)

    def fn(*inputs):
        return apply(_LearnerOp, *inputs, forward=forward, backward=learner_backward)

    try:
        gradcheck(fn, tensors)
    except GradcheckError as error:
        message = str(error).removeprefix("gradcheck: ")
        raise CheckError(
            function_name, case, f"its gradient disagrees with central differences: {message}"
        ) from None
