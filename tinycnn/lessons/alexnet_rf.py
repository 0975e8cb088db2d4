"""Lesson `alexnet-rf`: AlexNet's 11x11 first layer, the receptive fields through the network,
and what a stack of 3x3 convolutions covering the same 11 pixels would cost.

AlexNet (Krizhevsky, Sutskever & Hinton, 2012) opens with 11x11 kernels at stride 4: each
first-layer unit sees an 11 x 11 patch, and the field grows with every convolution and
pooling after it. VGG's argument (lesson `receptive-field`) says five stacked 3x3
convolutions see the same 11 x 11 with fewer weights; that holds when the stack's layers
have as many input channels as output channels. The first layer has only 3 input
channels, and the measurement shows what that changes.

Computed, not trained: the same numbers at every scale, in 1 to 3 s (measured once per
scale on 2 cores of an AMD EPYC shared with other jobs).
"""

from tinycnn import models
from tinycnn.lessons.receptive_field import conv_stack
from tinycnn.lessons.report import Report
from tinycnn.summary import summary

NAME = "alexnet-rf"
FIRST_KERNEL = 11
STACK_LAYERS = (FIRST_KERNEL - 1) // 2  # L 3x3 layers see 2L + 1 pixels


def _weights(model):
    return sum(p.data.size for p in model.parameters())


def measure(scale="default", seeds=None):
    """Receptive fields of AlexNet's convolutions and poolings (torchvision's AlexNet, 224

    Computed, not trained: the same at every `scale` and number of `seeds`.
    input) and the weights of its first layer against 3x3 stacks of the same field.

    Returns:
        {"layers": [(name, kind, output (C, H, W), rf size, jump)], "conv1_weights",
        "stack_rf", "stack_weights_rgb": 3->64 then 64->64, "big_weights_64": an 11x11
        64->64, "stack_weights_64": five 3x3 64->64}. Weights exclude biases.
    """
    info = summary(models.alexnet(), (3, 224, 224))
    layers = [
        (row.name, row.kind, row.output_shape[1:], row.rf.size[0], row.rf.jump[0])
        for row in info.layers
        if row.kind in ("Conv2d", "MaxPool2d")
    ]
    conv1 = models.alexnet().features[0]
    width = conv1.out_channels
    stack_rgb = conv_stack(3, width, 3, STACK_LAYERS)
    return {
        "layers": layers,
        "conv1_weights": conv1.weight.data.size,
        "stack_rf": summary(stack_rgb, (3, 32, 32)).layers[-1].rf.size[0],
        "stack_weights_rgb": _weights(stack_rgb),
        "big_weights_64": _weights(conv_stack(width, width, FIRST_KERNEL, 1)),
        "stack_weights_64": _weights(conv_stack(width, width, 3, STACK_LAYERS)),
    }


def report(numbers):
    report = Report(
        "AlexNet: an 11x11 first layer, and receptive fields through the network",
        claim="AlexNet's first layer sees an 11 x 11 patch, and every layer after it widens "
        "the field: by the last convolution one unit sees most of the 224 x 224 image. Five "
        "3x3 convolutions see 11 x 11 too, with 5 * 9 = 45 weights per input-output channel "
        "pair instead of 121.",
    )
    report.table(
        ("layer", "kind", "output", "receptive field", "jump"),
        [
            (name, kind, " x ".join(map(str, shape)), rf, jump)
            for name, kind, shape, rf, jump in numbers["layers"]
        ],
    )
    first_rf = numbers["layers"][0][3]
    report.compare("conv1 receptive field", FIRST_KERNEL, first_rf)
    report.compare("5 x 3x3 receptive field", FIRST_KERNEL, numbers["stack_rf"])
    report.compare("11x11, 64 -> 64: weights", 121 * 64 * 64, numbers["big_weights_64"])
    report.compare("5 x 3x3, 64 -> 64: weights", 45 * 64 * 64, numbers["stack_weights_64"])
    report.compare("conv1, 11x11, 3 -> 64: weights", 121 * 3 * 64, numbers["conv1_weights"])
    report.compare(
        "5 x 3x3, 3 -> 64 -> 64: weights", 9 * 3 * 64 + 4 * 9 * 64 * 64,
        numbers["stack_weights_rgb"],
    )  # fmt: skip
    ratio = numbers["stack_weights_rgb"] / numbers["conv1_weights"]
    report.note(
        f"Between layers of equal width the 3x3 stack has 45/121 = 0.37 times the weights. "
        f"But as AlexNet's first layer, where the input has 3 channels and the output 64, "
        f"only the stack's first layer sees 3 channels; the other four map 64 to 64, so the "
        f"stack has {ratio:.1f} times the weights of the 11x11 layer. The saving is a "
        f"claim about layers inside a network, not about the first one (VGG's first layer "
        f"is a single 3x3 with 1,728 weights and a field of 3)."
    )
    report.note(
        "Fields from tinycnn.summary on torchvision's AlexNet (64 first-layer filters; the "
        "paper had 96, split over two GPUs). Weights exclude biases."
    )
    return report
