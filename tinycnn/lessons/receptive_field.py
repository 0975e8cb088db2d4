"""Lesson `receptive-field`: stacked 3x3 convolutions see as far as one big kernel, for fewer
weights (Simonyan & Zisserman, "Very Deep Convolutional Networks", ICLR 2015, section 2.3).

Two 3x3 convolutions in a row: each output of the second sees 3 outputs of the first along
each axis, and each of those sees 3 input pixels, overlapping, so 5 pixels in all: the
field of one 5x5 convolution. Three 3x3 see 7, as one 7x7. At C channels in and out, the
stack of L 3x3 layers has L * 9 C^2 weights against (2L + 1)^2 C^2 for the one big kernel,
and puts a nonlinearity after every layer instead of one.

Measured on real `nn.Conv2d` layers without bias, at C = 128: their parameter counts, the
receptive field `tinycnn.summary` works out, and the receptive field seen by autograd: the
input pixels that receive gradient when one output pixel is backpropagated.
"""

import numpy as np

import tinycnn.nn as nn
from tinycnn.lessons.report import Report
from tinycnn.summary import summary
from tinycnn.tensor import tensor

NAME = "receptive-field"
CHANNELS = 128
# (layers of 3x3, the one big kernel they stand in for)
STACKS = ((2, 5), (3, 7))


def conv_stack(in_channels, out_channels, kernel_size, layers, stride=1):
    """`layers` convolutions of `kernel_size`, without bias, padded to keep the size.

    Only the first takes `in_channels` and `stride`. No nonlinearity between them: the
    lesson counts weights and fields, which a ReLU does not change.
    """
    convs = [
        nn.Conv2d(
            in_channels if i == 0 else out_channels, out_channels, kernel_size,
            stride=stride if i == 0 else 1, padding=kernel_size // 2, bias=False,
        )
        for i in range(layers)
    ]  # fmt: skip
    return nn.Sequential(*convs)


def gradient_extent(model, in_channels, size):
    """The receptive field as autograd sees it: backpropagate the centre output pixel of
    channel 0 and count the rows and columns of the input that get a non-zero gradient.

    Shape: the input is (1, in_channels, size, size); `size` must exceed the field.
    """
    rng = np.random.default_rng(0)
    x = tensor(rng.standard_normal((1, in_channels, size, size)), requires_grad=True)
    for param in model.parameters():  # random weights: no gradient cancels by accident
        param.data[...] = rng.standard_normal(param.shape)
    model.double()
    out = model(x)  # 1 x OC x OH x OW
    grad = np.zeros(out.shape)
    grad[0, 0, out.shape[2] // 2, out.shape[3] // 2] = 1.0
    out.backward(grad)
    touched = np.any(x.grad[0] != 0, axis=0)  # (H, W): True where the pixel is seen
    return int(touched.any(axis=1).sum()), int(touched.any(axis=0).sum())


def _weights(model):
    return sum(p.data.size for p in model.parameters())


def measure(quick=False):
    """Weights and receptive fields of the stacks and the big kernels.

    Returns:
        {"channels": 128, "stacks": [{"layers", "kernel", "stack_weights", "big_weights",
        "stack_rf", "big_rf", "stack_gradient_rf", "big_gradient_rf"}, ...]}, fields as
        (along H, along W).
    """
    # Quick: fewer channels for the gradient extent only (the field does not depend on them).
    probe_channels = 8 if quick else CHANNELS
    stacks = []
    for layers, kernel in STACKS:
        stack = conv_stack(CHANNELS, CHANNELS, 3, layers)
        big = conv_stack(CHANNELS, CHANNELS, kernel, 1)
        probe_size = kernel + 6  # larger than the field, so the field shows whole
        stacks.append(
            {
                "layers": layers,
                "kernel": kernel,
                "stack_weights": _weights(stack),
                "big_weights": _weights(big),
                "stack_rf": summary(stack, (CHANNELS, 16, 16)).layers[-1].rf.size,
                "big_rf": summary(big, (CHANNELS, 16, 16)).layers[-1].rf.size,
                "stack_gradient_rf": gradient_extent(
                    conv_stack(probe_channels, probe_channels, 3, layers), probe_channels,
                    probe_size,
                ),
                "big_gradient_rf": gradient_extent(
                    conv_stack(probe_channels, probe_channels, kernel, 1), probe_channels,
                    probe_size,
                ),
            }
        )  # fmt: skip
    return {"channels": CHANNELS, "stacks": stacks}


def report(numbers):
    C = numbers["channels"]
    report = Report(
        "Receptive field: stacked 3x3 convolutions against one big kernel",
        claim=f"L stacked 3x3 convolutions see a (2L + 1) x (2L + 1) field, as one "
        f"(2L + 1) x (2L + 1) kernel does, with L * 9 * C^2 weights instead of "
        f"(2L + 1)^2 * C^2. At C = {C}: two 3x3 have 294,912 weights against 409,600 for a "
        f"5x5; three 3x3 have 442,368 against 802,816 for a 7x7.",
    )
    for stack in numbers["stacks"]:
        L, k = stack["layers"], stack["kernel"]
        report.compare(f"{L} x 3x3: receptive field", k, _side(stack["stack_rf"]))
        report.compare(f"{L} x 3x3: field by gradient", k, _side(stack["stack_gradient_rf"]))
        report.compare(f"1 x {k}x{k}: receptive field", k, _side(stack["big_rf"]))
        report.compare(f"1 x {k}x{k}: field by gradient", k, _side(stack["big_gradient_rf"]))
        report.compare(f"{L} x 3x3: weights", L * 9 * C * C, stack["stack_weights"])
        report.compare(f"1 x {k}x{k}: weights", k * k * C * C, stack["big_weights"])
        report.compare(
            f"{L} x 3x3 / {k}x{k} weights",
            round(L * 9 / k**2, 3),
            round(stack["stack_weights"] / stack["big_weights"], 3),
        )
    report.note(
        "Measured on nn.Conv2d layers (bias=False) at 128 channels: weights by counting "
        "parameters, the field by tinycnn.summary and again by autograd, as the rows and "
        "columns of the input that get a gradient when one output pixel is backpropagated."
    )
    return report


def _side(field):
    """A field as one number when it is square (as here), else 'H x W'."""
    return field[0] if field[0] == field[1] else f"{field[0]} x {field[1]}"
