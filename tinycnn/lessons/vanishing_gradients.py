"""Lesson `vanishing-gradients`: ReLU against sigmoid and tanh in a deep plain network.

Backpropagation multiplies the gradient, layer by layer, by each activation's derivative
and by the layer's weights. The sigmoid's derivative is at most 1/4 (at 0) and near 0 once
it saturates, so in a deep stack of sigmoid layers the first layers get a gradient orders of
magnitude smaller than the last: they barely learn (Glorot & Bengio, AISTATS 2010; Hochreiter
1991). tanh's derivative reaches 1 at 0 but also saturates. ReLU's is exactly 1 wherever
the unit is active, so with weights of the right scale (He et al., ICCV 2015) the gradient
keeps its size through the depth (Krizhevsky et al., 2012, chose ReLU for this reason).

Measured: 20 linear layers of width 64 (the last one to 10 classes), each hidden one
followed by the activation, one forward and backward of a cross-entropy loss on a batch of
random inputs and labels, and the norm of each layer's weight gradient. The sigmoid and
tanh are built here from Tensor operations (exp, +, /), so autograd differentiates them as
it does anything else; the engine needs no new operation.

Computed, not trained: the same numbers at every scale, in 1 to 2 s (measured once per
scale on 2 cores of an AMD EPYC shared with other jobs).
"""

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import rng
from tinycnn.lessons.report import Report
from tinycnn.tensor import tensor

NAME = "vanishing-gradients"
DEPTH, WIDTH, CLASSES, BATCH = 20, 64, 10, 64


def sigmoid(x):
    """1 / (1 + e^-x), from Tensor operations: autograd differentiates it as it is written."""
    return 1 / (1 + (-x).exp())


def tanh(x):
    """tanh(x) = 2 sigmoid(2x) - 1."""
    return 2 * sigmoid(2 * x) - 1


ACTIVATIONS = {"relu": F.relu, "sigmoid": sigmoid, "tanh": tanh}


def torch_default(layer):
    """nn.Linear's own: weight and bias uniform in +-1/sqrt(fan_in) (as torch's)."""
    layer.reset_parameters()


def he_normal(layer):
    """He et al. (2015): weight normal with std sqrt(2 / fan_in), made for ReLU; bias 0."""
    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
    nn.init.zeros_(layer.bias)


INITS = {"default": torch_default, "he": he_normal}


class DeepPlainNet(nn.Module):
    """`depth` linear layers, `activation` after every one but the last.

    Shape:
        - Input: (N, width).
        - Output: (N, classes).
    """

    def __init__(self, activation, depth=DEPTH, width=WIDTH, classes=CLASSES):
        super().__init__()
        self.layers = nn.ModuleList(
            [nn.Linear(width, width) for _ in range(depth - 1)] + [nn.Linear(width, classes)]
        )
        self.activation = activation

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))  # N x width
        return self.layers[-1](x)  # N x classes


def gradient_norms(activation, init, seed=0):
    """The norm of each layer's weight gradient after one backward pass, first layer first.

    Float64, so the tiny gradients of the first layers are not rounded away.
    """
    rng.manual_seed(seed)
    net = DeepPlainNet(ACTIVATIONS[activation]).double()
    for layer in net.layers:
        INITS[init](layer)
    data = np.random.default_rng(seed)
    x = tensor(data.standard_normal((BATCH, WIDTH)))
    labels = tensor(data.integers(0, CLASSES, BATCH))
    F.cross_entropy(net(x), labels).backward()
    return [float(np.linalg.norm(layer.weight.grad)) for layer in net.layers]


def measure(scale="default", seeds=None):
    """Gradient norms per layer for each activation and initialization.

    One backward pass from seed 0, the same at every `scale` (`seeds` is not used: the
    effect spans orders of magnitude, far beyond any seed-to-seed spread).

    Returns:
        {"norms": {init: {activation: [norm of layer 1, ..., layer 20]}},
         "first_over_last": {init: {activation: norm(layer 1) / norm(layer 20)}}}
    """
    norms = {
        init: {activation: gradient_norms(activation, init) for activation in ACTIVATIONS}
        for init in INITS
    }
    ratios = {
        init: {name: values[0] / values[-1] for name, values in by_activation.items()}
        for init, by_activation in norms.items()
    }
    return {"norms": norms, "first_over_last": ratios}


def report(numbers):
    report = Report(
        "Vanishing gradients: ReLU against sigmoid and tanh, 20 layers deep",
        claim="With sigmoid activations the gradient shrinks at every layer on its way back "
        "(the sigmoid's slope is at most 1/4), so the first layers of a deep plain network "
        "get a gradient orders of magnitude smaller than the last; tanh shrinks it less; "
        "ReLU, with weights scaled for it (He initialization), keeps it about the same.",
    )
    default = numbers["norms"]["default"]
    he = numbers["norms"]["he"]
    rows = []
    for index in range(DEPTH):
        rows.append(
            (index + 1, *(default[name][index] for name in ACTIVATIONS),
             *(he[name][index] for name in ACTIVATIONS))
        )  # fmt: skip
    report.table(
        ("layer", *(f"{name} (default)" for name in ACTIVATIONS),
         *(f"{name} (He)" for name in ACTIVATIONS)),
        rows,
    )  # fmt: skip
    for init, label in (("default", "default init"), ("he", "He init")):
        ratios = numbers["first_over_last"][init]
        for name in ACTIVATIONS:
            claimed = {
                "relu": "about 1" if init == "he" else "no claim",
                "sigmoid": "<< 1",
                "tanh": "> sigmoid's",
            }
            report.compare(
                f"{name}, {label}: |grad layer 1| / |grad layer 20|", claimed[name], ratios[name]
            )
    default_ratios = numbers["first_over_last"]["default"]
    he_ratios = numbers["first_over_last"]["he"]
    report.note(
        "Gradient norms of each layer's weight (Frobenius), float64, after one backward of "
        "the mean cross-entropy of 64 random inputs with random labels. 'default' is "
        "nn.Linear's own initialization (torch's: uniform in +-1/sqrt(fan_in)); 'He' has std "
        "sqrt(2 / fan_in) and zero biases."
    )
    report.note(
        f"What this shows: the sigmoid's gradient vanishes under both initializations "
        f"({default_ratios['sigmoid']:.1e} and {he_ratios['sigmoid']:.1e} from layer 20 to "
        f"layer 1). ReLU keeps the gradient's size only with He initialization "
        f"({he_ratios['relu']:.2f}); under the default one, which is too small for it, "
        f"ReLU's gradient shrinks too ({default_ratios['relu']:.1e}), more than tanh's "
        f"({default_ratios['tanh']:.1e}). ReLU alone does not prevent vanishing gradients: "
        f"it needs weights scaled for it. With He's scale, which is too large for tanh (its "
        f"slope is 1 near 0, not 1/2 on average as ReLU's), tanh's gradient grows toward the "
        f"input instead ({he_ratios['tanh']:.2f})."
    )
    return report
