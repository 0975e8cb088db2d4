"""Lesson `inception`: the 1x1 reductions that make an Inception block affordable.

Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, section 4: the naive block
(their Figure 2a) runs 1x1, 3x3 and 5x5 convolutions and a 3x3 max pool side by side on
the input and concatenates the results; the 3x3 and 5x5 convolutions then see every input
channel, and the pooled branch passes all of them on, so the output only grows from block
to block. Their block (Figure 2b) puts a 1x1 convolution in front of the 3x3 and 5x5 to
reduce the channels they see, and one after the pool to project its output.

Measured on inception 3a's widths (192 input channels at 28 x 28; 1x1: 64; 3x3: 96 -> 128;
5x5: 16 -> 32; pool projection: 32), with the paper's 5x5 kernel.

Computed, not trained: the same numbers at every scale, in 1 to 3 s (measured once per
scale on 2 cores of an AMD EPYC shared with other jobs).
"""

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn.lessons.report import Report
from tinycnn.models.googlenet import INCEPTION_CHANNELS, BasicConv2d, Inception
from tinycnn.summary import summary
from tinycnn.tensor import no_grad, tensor

NAME = "inception"
SIZE = 28  # inception 3a's input is 192 x 28 x 28


def _output_channels(block, C):
    """The channels of the block's output: the concatenation is no layer of the summary."""
    with no_grad():
        return block(tensor(np.zeros((1, C, SIZE, SIZE), np.float32))).shape[1]


class NaiveInception(nn.Module):
    """The paper's Figure 2a: 1x1, 3x3, 5x5 convolutions and a 3x3 max pool on the input,
    concatenated; no reductions.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, ch1x1 + ch3x3 + ch5x5 + C, H, W).
    """

    def __init__(self, in_channels, ch1x1, ch3x3, ch5x5):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = BasicConv2d(in_channels, ch3x3, kernel_size=3, padding=1)
        self.branch3 = BasicConv2d(in_channels, ch5x5, kernel_size=5, padding=2)
        self.branch4 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)

    def forward(self, x):
        branches = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return F.cat(branches, 1)  # N x (ch1x1 + ch3x3 + ch5x5 + C) x H x W


def _conv_weights(info, prefix=""):
    """The convolution weights of the rows whose names start with `prefix`."""
    return sum(
        row.params for row in info.layers if row.kind == "Conv2d" and row.name.startswith(prefix)
    )


def measure(scale="default", seeds=None):
    """Parameters and MACs of inception 3a with and without its 1x1 reductions.

    Computed, not trained: the same at every `scale` and number of `seeds`.

    Returns:
        {"reduced": {...}, "naive": {...}}, each with "conv_weights" (convolution weights),
        "branch2_weights" (the 3x3 branch's), "branch3_weights" (the 5x5 branch's),
        "params" (with BatchNorm), "macs" (per image) and "out_channels".
    """
    C, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj = INCEPTION_CHANNELS["3a"]
    blocks = {
        "reduced": Inception(
            C, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj, branch3_kernel_size=5
        ),
        "naive": NaiveInception(C, ch1x1, ch3x3, ch5x5),
    }
    numbers = {}
    for name, block in blocks.items():
        info = summary(block, (C, SIZE, SIZE))
        numbers[name] = {
            "conv_weights": _conv_weights(info),
            "branch2_weights": _conv_weights(info, "branch2"),
            "branch3_weights": _conv_weights(info, "branch3"),
            "params": info.total_params,
            "macs": info.total_macs,
            # The last row is a branch's layer, not the concatenation: run the block.
            "out_channels": _output_channels(block, C),
        }
    return numbers


def report(numbers):
    reduced, naive = numbers["reduced"], numbers["naive"]
    report = Report(
        "Inception: 1x1 reductions before the 3x3 and 5x5 convolutions",
        claim="Reducing the channels with 1x1 convolutions before the expensive 3x3 and 5x5 "
        "convolutions (and projecting the pooled branch) cuts the block's weights and "
        "multiply-accumulates, most of all where a wide kernel sees a strongly reduced input "
        "(the 5x5: 192 -> 16 channels), and keeps the output from growing block by block.",
    )
    report.table(
        ("inception 3a", "conv weights", "params (with BN)", "MACs per image", "out channels"),
        [
            ("with 1x1 reductions", reduced["conv_weights"], reduced["params"],
             reduced["macs"], reduced["out_channels"]),
            ("naive (Figure 2a)", naive["conv_weights"], naive["params"], naive["macs"],
             naive["out_channels"]),
        ],
    )  # fmt: skip
    for label, key, claimed in (
        ("5x5 branch weights", "branch3_weights", (192 * 32 * 25) / (192 * 16 + 16 * 32 * 25)),
        ("3x3 branch weights", "branch2_weights", (192 * 128 * 9) / (192 * 96 + 96 * 128 * 9)),
        ("block weights", "conv_weights", None),
        ("block MACs", "macs", None),
    ):
        expected = "less" if claimed is None else round(claimed, 2)
        report.compare(f"naive / reduced: {label}", expected, round(naive[key] / reduced[key], 2))
    report.note(
        "Measured with tinycnn.summary on googlenet's Inception block (widths of 3a, the "
        "paper's 5x5 kernel) and a block without reductions, at 192 x 28 x 28. The naive "
        "block's pooled branch passes all 192 input channels on, so its output has 416 "
        "channels against 256, and the next block would pay for that too. The whole block "
        "saves less than its 5x5 branch: at 3a's widths the 3x3 branch, which holds most "
        "of the weights, only halves its input (192 -> 96)."
    )
    return report
