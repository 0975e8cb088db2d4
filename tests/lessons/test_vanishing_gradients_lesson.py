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


def test_measured_effect_over_seeds_and_determinism():
    seeds = 3
    numbers = lesson.measure(scale="quick", seeds=seeds)
    assert numbers == lesson.measure(scale="quick", seeds=seeds)
    for init in ("default", "he"):
        for activation in ("relu", "sigmoid", "tanh"):
            runs = [lesson.gradient_norms(activation, init, seed) for seed in range(seeds)]
            # "norms": per layer, the geometric mean over the seeds (the n-th root of the product).
            np.testing.assert_allclose(
                numbers["norms"][init][activation], np.prod(runs, axis=0) ** (1 / seeds), rtol=1e-12
            )
            # "first_over_last": one ratio per seed, seed 0 first; each seed draws its own.
            ratios = numbers["first_over_last"][init][activation]
            assert ratios == [run[0] / run[-1] for run in runs]
            assert len(set(ratios)) == seeds
        # The sigmoid's gradient vanishes for every seed: layer 1 gets < 1e-6 of layer 20's.
        assert all(ratio < 1e-6 for ratio in numbers["first_over_last"][init]["sigmoid"])
    # With He initialization ReLU keeps the gradient within a factor of 10 for every seed.
    assert all(0.1 < ratio < 10 for ratio in numbers["first_over_last"]["he"]["relu"])


def test_verdicts_use_each_seeds_log_ratio():
    numbers = lesson.measure(seeds=3)
    log10 = {
        f"{name} ({lesson.INIT_LABELS[init]})": np.log10(ratios).tolist()
        for init, by_activation in numbers["first_over_last"].items()
        for name, ratios in by_activation.items()
    }
    report = lesson.report(numbers)
    assert len(report.verdicts) == 7
    for claim, verdict in report.verdicts:
        assert verdict.b.count == 3
        if claim.b == "relu (He)":  # compared as the distance from a ratio of 1
            np.testing.assert_allclose(verdict.b.values, np.abs(log10["relu (He)"]))
        else:
            np.testing.assert_allclose(verdict.b.values, log10[claim.b])
    # Every claim holds here by far more than the spread, so the note's reading is printed.
    assert {verdict.outcome for _, verdict in report.verdicts} == {"reproduced"}
    assert "What this shows" in str(report)


def test_one_seed_gives_inconclusive_verdicts_and_no_reading():
    numbers = lesson.measure(seeds=1)
    assert all(
        len(ratios) == 1
        for by_activation in numbers["first_over_last"].values()
        for ratios in by_activation.values()
    )
    report = lesson.report(numbers)
    assert report.verdicts
    assert {verdict.outcome for _, verdict in report.verdicts} == {"inconclusive"}
    text = str(report)
    assert "What this shows" not in text
    assert "1 seed, no spread" in text
