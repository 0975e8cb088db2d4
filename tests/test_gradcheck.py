"""gradcheck passes right gradients and names the input and element of a wrong one."""

import numpy as np
import pytest

import tinycnn
from tinycnn.autograd.function import Function
from tinycnn.gradcheck import GradcheckError, directional_gradcheck
from tinycnn.tensor import apply


class SquareWithWrongGradientAtOneElement(Function):
    """y = x**2, but backward is off by one at flat index 5 only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved
        wrong = 2 * x * grad
        wrong.reshape(-1)[5] += 1.0
        return (wrong,)


def test_correct_gradient_passes_and_leaves_grad_untouched():
    x = tinycnn.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    x.grad = np.full((3, 4), 7.0)
    assert tinycnn.gradcheck(lambda t: (t * t * t).sum(dim=0), [x])
    np.testing.assert_array_equal(x.grad, np.full((3, 4), 7.0))


def test_wrong_gradient_names_input_worst_element_and_both_values():
    c = tinycnn.tensor(np.ones(2), requires_grad=True)
    x = tinycnn.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*worst element \(1, 1\): analytic") as err:
        tinycnn.gradcheck(
            lambda a, b: a.sum() + apply(SquareWithWrongGradientAtOneElement, b), [c, x]
        )
    assert "numeric" in str(err.value)


def test_float32_inputs_are_refused():
    x = tinycnn.tensor(np.ones(3, np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="input 0 must be float64, got float32"):
        tinycnn.gradcheck(lambda t: t * 2.0, [x])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad=True"):
        tinycnn.gradcheck(lambda t: t * 2.0, [tinycnn.tensor(np.ones(3))])


def test_directional_check_passes_a_right_gradient_and_catches_a_wrong_one():
    x = tinycnn.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    w = tinycnn.tensor(np.linspace(0.5, 2, 4), requires_grad=True)
    assert directional_gradcheck(lambda x, w: (x * w).exp().sum(dim=1), [x, w])
    with pytest.raises(GradcheckError, match=r"directional derivative .* analytic .* numeric"):
        directional_gradcheck(lambda x: apply(SquareWithWrongGradientAtOneElement, x), [x])
