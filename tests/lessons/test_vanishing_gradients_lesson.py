"""Lesson `vanishing-gradients`: the activations built from Tensor ops, the gradient norms
against a NumPy backpropagation written here, and the measured effect."""

import numpy as np
import pytest

from tinycnn import rng
from tinycnn.gradcheck import gradcheck
from tinycnn.lessons import vanishing_gradients as lesson
from tinycnn.tensor import tensor


def test_sigmoid_and_tanh_from_tensor_ops_match_numpy_and_gradcheck():
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(lesson.sigmoid(tensor(x)).data, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(lesson.tanh(tensor(x)).data, np.tanh(x), atol=1e-12)
    t = tensor(np.random.default_rng(0).standard_normal(7), requires_grad=True)
    assert gradcheck(lambda t: lesson.sigmoid(t), [t])
    assert gradcheck(lambda t: lesson.tanh(t), [t])


def numpy_gradient_norms(activation, init, seed=0):
    """The lesson's network again, backpropagated by hand in NumPy."""
    rng.manual_seed(seed)
    net = lesson.DeepPlainNet(lesson.ACTIVATIONS[activation]).double()
    for layer in net.layers:
        lesson.INITS[init](layer)
    weights = [(layer.weight.data, layer.bias.data) for layer in net.layers]
    data = np.random.default_rng(seed)
    x = data.standard_normal((lesson.BATCH, lesson.WIDTH))
    labels = data.integers(0, lesson.CLASSES, lesson.BATCH)
    functions = {
        "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
        "tanh": (np.tanh, lambda z, a: 1 - a * a),
    }
    f, slope = functions[activation]
    inputs, pre = [x], []
    for W, b in weights[:-1]:
        z = inputs[-1] @ W.T + b
        pre.append(z)
        inputs.append(f(z))
    W, b = weights[-1]
    logits = inputs[-1] @ W.T + b
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    grad = p
    grad[np.arange(len(labels)), labels] -= 1
    grad /= len(labels)  # dL/dlogits of the mean cross-entropy
    norms = []
    for i in range(len(weights) - 1, -1, -1):
        W, _ = weights[i]
        norms.append(np.linalg.norm(grad.T @ inputs[i]))
        if i > 0:
            a = inputs[i]
            grad = (grad @ W) * slope(pre[i - 1], a)
    return norms[::-1]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_gradient_norms_equal_a_numpy_backpropagation(activation):
    measured = lesson.gradient_norms(activation, "default")
    np.testing.assert_allclose(measured, numpy_gradient_norms(activation, "default"), rtol=1e-8)


def test_measured_effect_and_determinism():
    numbers = lesson.measure(scale="quick")
    assert numbers == lesson.measure(scale="quick")
    for init in ("default", "he"):
        norms = numbers["norms"][init]
        assert all(len(values) == lesson.DEPTH for values in norms.values())
        # The sigmoid's gradient vanishes: its first layer gets < 1e-6 of its last layer's.
        assert numbers["first_over_last"][init]["sigmoid"] < 1e-6
    # With He initialization ReLU keeps the gradient within a factor of 10 over 20 layers.
    assert 0.1 < numbers["first_over_last"]["he"]["relu"] < 10
