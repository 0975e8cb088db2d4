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

NOTE: not float32 in training mode. There each set's float32 result is far from the
float64 one, farther than from the other set's (googlenet, 64 x 64, dropout off: 1.5e-1
from float64 for both sets, 1.1e-3 between them, no max-pooling winner or ReLU sign
changed between them): batch statistics over few values amplify float32 rounding
whichever kernels do the arithmetic. And where rounding moves a value across a kink (a max-pooling
tie, a ReLU at 0) a gradient moves to another element: googlenet at 96 x 96 changed 3
max-pooling winners and differed by 1.8e-1. Such cases test the model, not the kernels.

NOTE: alexnet's and vgg11_bn's classifiers are narrowed here: their hidden fully connected
layers are 64 wide, not 4096 (the same layers, ReLUs and dropouts in the same order). A
fully connected layer runs no kernel of a set (autograd/linear.py multiplies with NumPy
under every set), and the 4096-wide ones hold 58 of alexnet's 61 million parameters and
120 of vgg11_bn's 133 million: drawing, converting and multiplying them took most of this
test's time (vgg11_bn alone about 20 s of CPU time) and tested nothing of the kernels.
"""

import numpy as np
import pytest
from seeded_weights import seeded_state_dict

import tinycnn
import tinycnn.nn as nn
from tinycnn import kernels, models

# (builder arguments, smallest input size for evaluation, input size for training)
MODELS = {
    "alexnet": ({}, 63, 63),
    "vgg11_bn": ({"init_weights": False}, 32, 32),  # the seeded weights replace them all
    "googlenet": ({"aux_logits": False}, 32, 64),
    "resnet18": ({}, 32, 64),
    "densenet121": ({}, 32, 64),
    "squeezenet1_1": ({}, 32, 32),
}
TOLERANCE = {np.float32: 1e-4, np.float64: 1e-10}
WIDTH = 64  # of alexnet's and vgg11_bn's hidden fully connected layers here (see the NOTE)


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


def narrowed(classifier):
    """The same layers in the same order, with hidden fully connected layers WIDTH wide."""
    layers = list(classifier)
    linear = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
    for i in linear:
        in_features = layers[i].in_features if i == linear[0] else WIDTH
        out_features = layers[i].out_features if i == linear[-1] else WIDTH
        layers[i] = nn.Linear(in_features, out_features)
    return nn.Sequential(*layers)


def build(name):
    """The model with seeded weights; alexnet's and vgg11_bn's classifiers narrowed."""
    model = models.get_model(name, num_classes=10, **MODELS[name][0])
    if name in ("alexnet", "vgg11_bn"):
        model.classifier = narrowed(model.classifier)
    shapes = {key: array.shape for key, array in model.state_dict().items()}
    model.load_state_dict(seeded_state_dict(shapes))
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
    grads = {name: p.grad.copy() for name, p in model.named_parameters()}
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
    parameters = list(model.parameters())
    assert len(errors) == 1 + len(parameters) + 1 - len(zero)  # logits, parameters, input
