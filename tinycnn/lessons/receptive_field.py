"""Lesson `receptive-field`: stacked 3x3 convolutions see as far as one big kernel, for fewer
weights (Simonyan & Zisserman, "Very Deep Convolutional Networks", ICLR 2015, section 2.3).

Two 3x3 convolutions in a row: each output of the second sees 3 outputs of the first along
each axis, and each of those sees 3 input pixels, overlapping, so 5 pixels in all: the
field of one 5x5 convolution. Three 3x3 see 7, as one 7x7. At C channels in and out, the
stack of L 3x3 layers has L * 9 C^2 weights against (2L + 1)^2 C^2 for the one big kernel,
and puts a nonlinearity after every layer instead of one.

Measured on real `nn.Conv2d` layers without bias, at the lecture's C = 128 and at C = 256:
their parameter counts, the receptive field `tinycnn.summary` works out, and the receptive
field seen by autograd: the input pixels that receive gradient when one output pixel is
backpropagated. Then the same stacks on an image smaller than their field (the 8 x 8
digits): there the field reaches past the border into the zero padding, and autograd sees
only the pixels that exist.

Computed, not trained: 2 to 5 s at every scale (measured once each on 2 cores of an AMD
EPYC shared with other jobs). Quick probes the field by autograd with 8 channels, default
and full with C: the field does not depend on them.
"""

import numpy as np

import tinycnn.nn as nn
from tinycnn import models
from tinycnn.lessons.report import Report
from tinycnn.summary import summary
from tinycnn.tensor import tensor

NAME = "receptive-field"
CHANNELS = (128, 256)  # the lecture's example, and twice as wide
# (layers of 3x3, the one big kernel they stand in for)
STACKS = ((2, 5), (3, 7))
IMAGE = 8  # the bundled digits' size: smaller than the field of four 3x3 layers
DEEPEST = 5  # stacks of 1 .. DEEPEST 3x3 layers on the IMAGE x IMAGE input


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

    Shape: the input is (1, in_channels, size, size). Where the field is larger than the
    image the count stops at `size`: the rest of the field is zero padding.
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


def _field(model, input_size):
    """The receptive field (along H, along W) of the model's last layer, by tinycnn.summary."""
    return tuple(summary(model, input_size).layers[-1].rf.size)


def _stacks(C, probe_channels):
    """Weights and fields of each stack of 3x3 layers and its one big kernel, at C channels."""
    stacks = []
    for layers, kernel in STACKS:
        probe_size = kernel + 6  # larger than the field, so the field shows whole
        stacks.append(
            {
                "layers": layers,
                "kernel": kernel,
                "stack_weights": _weights(conv_stack(C, C, 3, layers)),
                "big_weights": _weights(conv_stack(C, C, kernel, 1)),
                "stack_rf": _field(conv_stack(C, C, 3, layers), (C, 16, 16)),
                "big_rf": _field(conv_stack(C, C, kernel, 1), (C, 16, 16)),
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
    return stacks


def measure(scale="default", seeds=None):
    """Weights and receptive fields of the stacks and the big kernels, at each of CHANNELS,
    and of 1 .. DEEPEST stacked 3x3 layers on an IMAGE x IMAGE input.

    Args:
        scale: "quick" probes the field by autograd with 8 channels instead of C (the
            field does not depend on them). `seeds` is not used: nothing is trained.

    Returns:
        {"channels": {C: [{"layers", "kernel", "stack_weights", "big_weights", "stack_rf",
        "big_rf", "stack_gradient_rf", "big_gradient_rf"}, ...]}, "image": IMAGE,
        "on_image": [{"layers", "rf", "gradient_rf"}, ...], "resnet20_last_conv_rf": the
        field of ResNet-20's last convolution on that image}, fields as (along H, along W).
    """
    probe = 8
    by_channels = {C: _stacks(C, probe if scale == "quick" else C) for C in CHANNELS}
    on_image = [
        {
            "layers": layers,
            "rf": _field(conv_stack(probe, probe, 3, layers), (probe, IMAGE, IMAGE)),
            "gradient_rf": gradient_extent(conv_stack(probe, probe, 3, layers), probe, IMAGE),
        }
        for layers in range(1, DEEPEST + 1)
    ]
    last_conv = [
        row for row in summary(models.resnet20(num_classes=10, in_channels=1), (1, IMAGE, IMAGE))
        .layers if row.kind == "Conv2d"
    ][-1]  # fmt: skip
    return {
        "channels": by_channels,
        "image": IMAGE,
        "on_image": on_image,
        "resnet20_last_conv_rf": tuple(last_conv.rf.size),
    }


def report(numbers):
    examples = "; ".join(
        f"at C = {C:,}: two 3x3 have {2 * 9 * C * C:,} weights against {25 * C * C:,} for a "
        f"5x5, three 3x3 have {3 * 9 * C * C:,} against {49 * C * C:,} for a 7x7"
        for C in numbers["channels"]
    )
    report = Report(
        "Receptive field: stacked 3x3 convolutions against one big kernel",
        claim="L stacked 3x3 convolutions see a (2L + 1) x (2L + 1) field, as one "
        "(2L + 1) x (2L + 1) kernel does, with L * 9 * C^2 weights instead of "
        f"(2L + 1)^2 * C^2 (VGG, section 2.3; the lecture's example is C = 128): {examples}.",
    )
    for C, stacks in numbers["channels"].items():
        for stack in stacks:
            L, k = stack["layers"], stack["kernel"]
            report.compare(f"C = {C}, {L} x 3x3: receptive field", k, _side(stack["stack_rf"]))
            report.compare(
                f"C = {C}, {L} x 3x3: field by gradient", k, _side(stack["stack_gradient_rf"])
            )
            report.compare(f"C = {C}, 1 x {k}x{k}: receptive field", k, _side(stack["big_rf"]))
            report.compare(
                f"C = {C}, 1 x {k}x{k}: field by gradient", k, _side(stack["big_gradient_rf"])
            )
            report.compare(f"C = {C}, {L} x 3x3: weights", L * 9 * C * C, stack["stack_weights"])
            report.compare(f"C = {C}, 1 x {k}x{k}: weights", k * k * C * C, stack["big_weights"])
            report.compare(
                f"C = {C}, {L} x 3x3 / {k}x{k} weights",
                round(L * 9 / k**2, 3),
                round(stack["stack_weights"] / stack["big_weights"], 3),
            )
    report.note(
        f"Measured on nn.Conv2d layers (bias=False) at "
        f"{' and '.join(map(str, numbers['channels']))} channels: weights by counting "
        "parameters, the field by tinycnn.summary and again by autograd, as the rows and "
        "columns of the input that get a gradient when one output "
        "pixel is backpropagated. The ratio L * 9 / (2L + 1)^2 does not depend on C."
    )
    size = numbers["image"]
    rows = []
    for entry in numbers["on_image"]:
        field = _side(entry["rf"])
        centre, half = size // 2, (entry["rf"][0] - 1) // 2  # the probed unit, the field's reach
        beyond = max(half - centre, centre + half - (size - 1))
        rows.append(
            (entry["layers"], field, _side(entry["gradient_rf"]),
             f"yes: reaches {beyond} pixel(s) past the border" if beyond > 0 else "no")
        )  # fmt: skip
    report.table(
        (f"3x3 layers on {size} x {size}", "receptive field", "pixels with gradient",
         f"field larger than the {size} x {size} image?"),
        rows,
    )  # fmt: skip
    report.note(
        f"The centre unit of a stack on a {size} x {size} image (padding 1 per layer, so the "
        f"size is kept). Once the field exceeds the image it reaches past the border into the "
        f"zero padding: those positions add nothing, so autograd finds gradient on at most "
        f"{size} rows and columns, however wide the formula's field."
    )
    rf = numbers["resnet20_last_conv_rf"]
    report.compare(f"ResNet-20 on {size} x {size}: last conv's field", f"> {size}", _side(rf))
    report.note(
        f"The degradation lesson trains ResNet-20 on these {size} x {size} digits: the field "
        f"of its last convolution, {_side(rf)} x {_side(rf)} pixels by tinycnn.summary, is "
        f"larger than the image, so most of what it covers is zero padding."
    )
    return report


def _side(field):
    """A field as one number when it is square (as here), else 'H x W'."""
    return field[0] if field[0] == field[1] else f"{field[0]} x {field[1]}"
