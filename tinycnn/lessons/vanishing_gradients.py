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
random inputs and labels, and the norm of each layer's weight gradient; once per seed, each
seed drawing its own weights, inputs and labels. What each claim compares is the ratio
|grad layer 1| / |grad layer 20|, as log10 (the ratios span orders of magnitude), mean +-
spread over the seeds; see `verdict` for the rule. The sigmoid and tanh are built here from
Tensor operations (exp, +, /), so autograd differentiates them as it does anything else;
the engine needs no new operation.

Computed, not trained: the same numbers at every scale; `tinycnn lessons vanishing-gradients`
takes about 0.6 s with 3 seeds (wall time, measured three times on 2 cores of an AMD EPYC
shared with other jobs, so only a guide).
"""

import math

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.verdict import MIN_SEEDS, REPRODUCED, decide, summarize
from tinycnn.tensor import tensor

NAME = "vanishing-gradients"
DEPTH, WIDTH, CLASSES, BATCH = 20, 64, 10, 64
# What the claims' words are tested as. "Orders of magnitude smaller": layer 1 gets less than
# 1/1000 of layer 20's gradient (three orders). "About the same": within a factor of 10
# either way over the 20 layers (one order).
VANISHED, ABOUT_SAME = 1e-3, 10
GLOROT, HE = "Glorot & Bengio, AISTATS 2010", "He et al., ICCV 2015"


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
INIT_LABELS = {"default": "default", "he": "He"}  # as the printed text names them


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


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """Gradient norms per layer for each activation and initialization, once per seed.

    Seed k (k = 0 .. seeds - 1) draws the weights, the inputs and the labels. `scale` is not
    used: one backward pass per seed is all there is to compute.

    Returns:
        {"norms": {init: {activation: [norm of layer 1, ..., layer 20]}},
         "first_over_last": {init: {activation: [norm(layer 1) / norm(layer 20), per seed]}}}
        Each layer's norm in "norms" is the geometric mean over the seeds (the mean of its
        logarithm): the norms span orders of magnitude, so a seed whose norms are ten times
        larger should move the summary by a factor, not swamp an arithmetic mean. It also
        agrees with the report, which summarizes log10 of the ratios: the summary's
        norm(layer 1) / norm(layer 20) is the geometric mean of "first_over_last".
    """
    scale, seeds = check(scale, seeds)
    runs = {
        init: {
            activation: [gradient_norms(activation, init, seed) for seed in range(seeds)]
            for activation in ACTIVATIONS
        }
        for init in INITS
    }
    return {
        "norms": {
            init: {name: geometric_mean(per_seed) for name, per_seed in by_activation.items()}
            for init, by_activation in runs.items()
        },
        "first_over_last": {
            init: {name: [run[0] / run[-1] for run in per_seed]
                   for name, per_seed in by_activation.items()}
            for init, by_activation in runs.items()
        },
    }  # fmt: skip


def geometric_mean(runs):
    """[per layer: the geometric mean of its norm over the seeds], from one list per seed."""
    return np.exp(np.mean(np.log(runs), axis=0)).tolist()


def report(numbers):
    report = Report(
        "Vanishing gradients: ReLU against sigmoid and tanh, 20 layers deep",
        claim="With sigmoid activations the gradient shrinks at every layer on its way back "
        "(the sigmoid's slope is at most 1/4), so the first layers of a deep plain network "
        "get a gradient orders of magnitude smaller than the last; tanh shrinks it less; "
        "ReLU, with weights scaled for it (He initialization), keeps it about the same.",
    )
    log_ratios = {
        init: {name: np.log10(ratios).tolist() for name, ratios in by_activation.items()}
        for init, by_activation in numbers["first_over_last"].items()
    }
    seeds = len(log_ratios["default"]["relu"])
    seed_count = f"{seeds} seed{'s' if seeds > 1 else ''}"
    report.table(
        ("layer", *(f"{name} ({INIT_LABELS[init]})" for init in INITS for name in ACTIVATIONS)),
        [(index + 1, *(numbers["norms"][init][name][index]
                       for init in INITS for name in ACTIVATIONS))
         for index in range(DEPTH)],
    )  # fmt: skip
    report.note(
        f"Gradient norm of each layer's weight (Frobenius), the geometric mean over "
        f"{seed_count}, float64, after one backward of the mean cross-entropy of {BATCH} random "
        f"inputs with random labels; each seed draws its own weights, inputs and labels. "
        f"'default' is nn.Linear's own initialization (torch's: uniform in +-1/sqrt(fan_in)); "
        f"'He' has std sqrt(2 / fan_in) and zero biases."
    )
    report.table(
        ("init", "activation", "ratio: geometric mean", "log10 ratio: mean ± spread",
         "ratio per seed"),
        [ratio_row(init, name, ratios)
         for init, by_activation in numbers["first_over_last"].items()
         for name, ratios in by_activation.items()],
    )  # fmt: skip
    report.note(
        f"The ratio |grad layer 1| / |grad layer {DEPTH}| of each seed. The ratios span orders "
        f"of magnitude, so they are summarized as log10: mean ± spread over the seeds (the "
        f"spread is the sample standard deviation), 10 ** mean being their geometric mean. "
        f"'Orders of magnitude smaller' is tested as a ratio below {VANISHED:g} (log10 below "
        f"{math.log10(VANISHED):g}); 'about the same' as within a factor of {ABOUT_SAME} "
        f"either way (|log10| at most {math.log10(ABOUT_SAME):g})."
    )
    condition = (
        f"one backward pass per seed, {DEPTH} linear layers of width {WIDTH}, {BATCH} random "
        f"inputs with random labels, float64, {seed_count}"
    )
    for claim, verdict in checks(log_ratios, condition):
        report.verdict(claim, verdict)
    if all(verdict.outcome == REPRODUCED for _, verdict in report.verdicts):
        report.note(
            "What this shows: the sigmoid's gradient vanishes under both initializations, and "
            "tanh's shrinks less. ReLU keeps the gradient's size only with He initialization; "
            "under the default one, which is too small for it, ReLU's gradient vanishes too: "
            "ReLU alone does not prevent vanishing gradients, it needs weights scaled for it. "
            "With He's scale, which is too large for tanh (its slope is 1 near 0, not 1/2 on "
            "average as ReLU's), tanh's gradient grows toward the input instead."
        )
    else:
        report.note(
            f"A verdict is not 'reproduced', so the lesson draws no reading from this run "
            f"beyond the verdicts themselves. With fewer than {MIN_SEEDS} seeds every verdict "
            f"reads 'inconclusive': there is no spread to weigh a difference against "
            f"(--seeds K runs more)."
        )
    return report


def ratio_row(init, activation, ratios):
    """A row of the ratio table: the geometric mean, log10 as mean ± spread, each seed's."""
    logs = summarize(np.log10(ratios))
    per_seed = ", ".join(f"{ratio:.3g}" for ratio in ratios)
    return INIT_LABELS[init], activation, 10**logs.mean, str(logs), per_seed


def checks(log_ratios, condition):
    """(Claim, Verdict) pairs: the lecture's claims, then the two readings the note adds.

    `log_ratios`: {init: {activation: [log10 of |grad layer 1| / |grad layer 20|, per
    seed]}}. A claim against a fixed level (below VANISHED, within a factor ABOUT_SAME of
    1) compares the per-seed values with that level repeated once per seed: a level, not a
    measurement, so its spread is 0 and the verdict weighs only the measured spread.
    """
    seeds = len(log_ratios["default"]["relu"])
    vanished = [math.log10(VANISHED)] * seeds
    equal = [0.0] * seeds  # log10 of a ratio of 1
    bar = f"1/{1 / VANISHED:g}"
    quantity = f"log10 of the ratio |grad layer 1| / |grad layer {DEPTH}|"

    def below_bar(init, name, source):
        label = INIT_LABELS[init]
        return (
            Claim(f"{name}, {label} init: layer 1's gradient under {bar} of layer {DEPTH}'s",
                  source, condition, f"level {bar}", f"{name} ({label})", quantity),
            decide(vanished, log_ratios[init][name], "lower"),
        )  # fmt: skip

    def tanh_above_sigmoid(init):
        label = INIT_LABELS[init]
        return (
            Claim(f"tanh, {label} init: the gradient shrinks less than with sigmoid",
                  "the lecture", condition, f"sigmoid ({label})", f"tanh ({label})", quantity),
            decide(log_ratios[init]["sigmoid"], log_ratios[init]["tanh"], "higher"),
        )  # fmt: skip

    relu_he_distance = [abs(value) for value in log_ratios["he"]["relu"]]
    return [
        below_bar("default", "sigmoid", f"the lecture; {GLOROT}"),
        below_bar("he", "sigmoid", f"the lecture; {GLOROT}"),
        tanh_above_sigmoid("default"),
        tanh_above_sigmoid("he"),
        (Claim(f"relu, He init: layer 1's gradient within a factor of {ABOUT_SAME} of layer "
               f"{DEPTH}'s", f"the lecture; {HE}", condition, "equal norms", "relu (He)",
               "orders of magnitude between the two norms, |log10 of their ratio|"),
         decide(equal, relu_he_distance, "not higher", tolerance=math.log10(ABOUT_SAME))),
        below_bar("default", "relu", f"{HE} (why ReLU needs weights scaled for it)"),
        (Claim(f"tanh, He init: layer 1's gradient larger than layer {DEPTH}'s",
               "this lesson (He's scale assumes ReLU's average slope of 1/2; tanh's is 1 near 0)",
               condition, "equal norms", "tanh (He)", quantity),
         decide(equal, log_ratios["he"]["tanh"], "higher")),
    ]  # fmt: skip
