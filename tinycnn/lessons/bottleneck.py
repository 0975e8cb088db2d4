"""Lesson `bottleneck`: ResNet's 1x1-3x3-1x1 bottleneck against two 3x3 convolutions.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, section 4.1: for the
deeper ResNets each block reduces 256 channels to 64 with a 1x1 convolution, runs the 3x3
at 64, and restores 256 with another 1x1, "to reduce the time complexity". Measured on
tinycnn's own `Bottleneck(256, 64)` and `BasicBlock(256, 256)` (two 3x3 at 256) at 56 x 56.

Computed, not trained: the same numbers at every scale, in 1 to 3 s (measured once per
scale on 2 cores of an AMD EPYC shared with other jobs).
"""

from tinycnn.lessons.report import Report
from tinycnn.models.resnet import BasicBlock, Bottleneck
from tinycnn.summary import summary

NAME = "bottleneck"
CHANNELS, INNER, SIZE = 256, 64, 56


def measure(scale="default", seeds=None):
    """Convolution weights, parameters and MACs of both blocks at 256 x 56 x 56.

    Computed, not trained: the same at every `scale` and number of `seeds`.

    Returns:
        {"bottleneck": {...}, "basic": {...}}, each with "conv_weights", "params" (with
        BatchNorm), "macs" and "convs": the kernel sizes of its convolutions.
    """
    blocks = {"bottleneck": Bottleneck(CHANNELS, INNER), "basic": BasicBlock(CHANNELS, CHANNELS)}
    numbers = {}
    for name, block in blocks.items():
        info = summary(block, (CHANNELS, SIZE, SIZE))
        convs = [row for row in info.layers if row.kind == "Conv2d"]
        modules = dict(block.named_modules())
        numbers[name] = {
            "conv_weights": sum(row.params for row in convs),
            "params": info.total_params,
            "macs": info.total_macs,
            "convs": [
                "{}x{}, {}".format(*modules[row.name].kernel_size, row.output_shape[1])
                for row in convs
            ],
        }
    return numbers


def report(numbers):
    bottleneck, basic = numbers["bottleneck"], numbers["basic"]
    report = Report(
        "ResNet's bottleneck block: 1x1-3x3-1x1 against two 3x3 at 256 channels",
        claim="A bottleneck block (1x1 to 64, 3x3 at 64, 1x1 back to 256) has 69,632 "
        "convolution weights where two 3x3 convolutions at 256 have 1,179,648: about 17 "
        "times fewer, at the same input and output.",
    )
    report.table(
        ("block at 256 x 56 x 56", "convolutions", "conv weights", "params (with BN)", "MACs"),
        [
            ("bottleneck", "; ".join(bottleneck["convs"]), bottleneck["conv_weights"],
             bottleneck["params"], bottleneck["macs"]),
            ("two 3x3", "; ".join(basic["convs"]), basic["conv_weights"], basic["params"],
             basic["macs"]),
        ],
    )  # fmt: skip
    report.compare("bottleneck: conv weights", 69_632, bottleneck["conv_weights"])
    report.compare("two 3x3: conv weights", 1_179_648, basic["conv_weights"])
    report.compare(
        "two 3x3 / bottleneck", round(1_179_648 / 69_632, 2),
        round(basic["conv_weights"] / bottleneck["conv_weights"], 2),
    )  # fmt: skip
    report.note(
        "Measured with tinycnn.summary on tinycnn.models.resnet's Bottleneck(256, 64) and "
        "BasicBlock(256, 256). The MACs shrink by the same factor: every convolution runs "
        "at 56 x 56."
    )
    return report
