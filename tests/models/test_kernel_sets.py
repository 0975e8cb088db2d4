"""The textbook kernel set gives the fast set's logits and gradients on the classic models.

Each model gets the weights of `seeded_state_dict` (exact in float32, so both dtypes start
from the same numbers) and a batch of 2 images; a forward pass and a backward pass of
L = sum(v * logits), v fixed and random, run once under each set. Compared: the logits,
the gradient of every parameter and of the input, each by

    error(a, b) = max |a - b| / max |b|        (a: textbook, b: fast)

- Evaluation mode (running statistics, no dropout), float32 and float64, at the smallest
  input each model takes: error <= 1e-4 in float32, <= 1e-10 in float64.
- Training mode (batch statistics, dropout with the same draws), float64: error <= 1e-10.
  Inputs are 64 x 64 for the models whose last BatchNorms would otherwise see 1 x 1 maps:
  a channel of N*H*W = 2 values normalizes to exactly -1 and +1 and passes an exactly zero
  gradient back, so what comes out is rounding noise. Measured at 32 x 32 (float64):
  densenet121 3.8e-7, resnet18 7.9e-11; at 64 x 64: 2.4e-13, 1.9e-14.

NOTE: not float32 in training mode. There the two sets differ by as much as each differs
from the float64 result (googlenet, 64 x 64: 1.3e-3 for both, with no max-pooling winner
or ReLU sign changed): batch statistics over few values amplify float32 rounding whichever
kernels do the arithmetic. And where rounding moves a value across a kink (a max-pooling
tie, a ReLU at 0) a gradient moves to another element: googlenet at 96 x 96 changed 3
max-pooling winners and differed by 1.8e-1. Such cases test the model, not the kernels.
"""

import numpy as np
import pytest
from seeded_weights import seeded_state_dict

import tinycnn
from tinycnn import kernels, models

# (builder arguments, smallest input size for evaluation, input size for training)
MODELS = {
    "alexnet": ({}, 63, 63),
    "vgg11_bn": ({}, 32, 32),
    "googlenet": ({"aux_logits": False}, 32, 64),
    "resnet18": ({}, 32, 64),
    "densenet121": ({}, 32, 64),
    "squeezenet1_1": ({}, 32, 32),
}
TOLERANCE = {np.float32: 1e-4, np.float64: 1e-10}


def error(a, b):
    """max |a - b| / max |b|: the largest difference relative to b's largest magnitude."""
    return float(np.abs(a - b).max()) / float(np.abs(b).max())


def exactly_zero_gradients(model):
    """The biases of convolutions that feed straight into a BatchNorm, in training mode.

    The BatchNorm subtracts the batch mean of each channel, which removes any constant a
    bias adds: the loss does not depend on such a bias, its gradient is exactly 0, and a
    computed one is rounding noise (relative error ~1). vgg11_bn has eight.
    """
    names = []
    layers = list(model.named_modules())
    for (name, layer), (_, following) in zip(layers, layers[1:], strict=False):
        if isinstance(layer, tinycnn.nn.Conv2d) and layer.bias is not None:
            if isinstance(following, tinycnn.nn.BatchNorm2d):
                names.append(f"{name}.bias")
    return names


def build(name):
    """The model with seeded weights, its fully connected weights frozen (see below)."""
    tinycnn.manual_seed(0)
    model = models.get_model(name, num_classes=10, **MODELS[name][0])
    fully_connected = [
        f"{module_name}.weight"
        for module_name, module in model.named_modules()
        if isinstance(module, tinycnn.nn.Linear)
    ]
    # The fully connected layers run no kernel of a set (autograd/linear.py multiplies with
    # NumPy under every set), and their weights are most of vgg11_bn's 133 million
    # parameters and alexnet's 61 million: drawing, converting and differentiating them
    # would take most of this test's time. They keep their builder's initial values, and
    # get no gradient; the gradient still flows through them to the layers below.
    shapes = {
        key: array.shape for key, array in model.state_dict().items() if key not in fully_connected
    }
    model.load_state_dict(seeded_state_dict(shapes), strict=False)
    for key, param in model.named_parameters():
        param.requires_grad = key not in fully_connected
    return model


def run(model, x, kernel_set):
    """Logits, and gradients by name ('input' and every parameter) of sum(v * logits)."""
    model.zero_grad()
    tinycnn.manual_seed(1)  # the same dropout masks under both sets
    with kernels.use(kernel_set):
        image = tinycnn.tensor(x, requires_grad=True)
        logits = model(image)
        v = np.random.default_rng(2).standard_normal(logits.shape).astype(x.dtype)
        (logits * tinycnn.tensor(v)).sum().backward()
    grads = {name: p.grad.copy() for name, p in model.named_parameters() if p.requires_grad}
    grads["input"] = image.grad
    return logits.data, grads


def compare(model, size, dtype, skip=()):
    """The errors of the textbook set against the fast set, by array name."""
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(dtype)
    fast_logits, fast_grads = run(model, x, "fast")
    textbook_logits, textbook_grads = run(model, x, "textbook")
    assert textbook_logits.dtype == dtype
    errors = {"logits": error(textbook_logits, fast_logits)}
    for name, grad in fast_grads.items():
        if name not in skip:
            assert textbook_grads[name].dtype == dtype
            errors[name] = error(textbook_grads[name], grad)
    return errors


def assert_within(errors, tolerance):
    too_far = {name: f"{e:.2e}" for name, e in errors.items() if not e <= tolerance}
    assert not too_far, f"textbook vs fast beyond {tolerance:g}: {too_far}"


@pytest.mark.parametrize("name", list(MODELS))
def test_textbook_set_equals_fast_set(name):
    model = build(name)
    _, eval_size, train_size = MODELS[name]

    model.eval()
    for dtype in (np.float32, np.float64):
        model.to(dtype)
        assert_within(compare(model, eval_size, dtype), TOLERANCE[dtype])

    model.train()  # float64 still
    zero = exactly_zero_gradients(model)
    errors = compare(model, train_size, np.float64, skip=zero)
    assert_within(errors, TOLERANCE[np.float64])
    trained = [p for p in model.parameters() if p.requires_grad]
    assert len(errors) == 1 + len(trained) + 1 - len(zero)  # logits, parameters, input
