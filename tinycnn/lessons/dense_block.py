"""Lesson `dense-block`: DenseNet's channels grow by the growth rate, and transitions cut them.

Huang et al., "Densely Connected Convolutional Networks", CVPR 2017: inside a dense block
each layer sees the concatenation of all earlier feature maps and adds k (the growth rate)
new channels, so layer l's input has k0 + (l - 1) k channels. Between blocks a transition
layer (BN, ReLU, 1x1 convolution to half the channels, 2x2 average pool) shrinks the map.
Measured from the rows of `tinycnn.summary` on densenet121 (k0 = 64, k = 32, 6 layers in
the first block) at 224 x 224.

Computed, not trained: the same numbers at every scale, in 2 to 6 s (measured once per
scale on 2 cores of an AMD EPYC shared with other jobs).
"""

from tinycnn import models
from tinycnn.lessons.report import Report
from tinycnn.summary import summary

NAME = "dense-block"
BLOCK, TRANSITION = "features.denseblock1", "features.transition1"


def measure(scale="default", seeds=None):
    """Channels seen by each layer of densenet121's first block, and the transition's cut.

    Computed, not trained: the same at every `scale` and number of `seeds`.

    Returns:
        {"layer_inputs": [channels into denselayer1, 2, ...], "new_per_layer": [k, ...],
        "block_output": (C, H, W), "after_conv": (C, H, W), "after_pool": (C, H, W),
        "block_output_bytes", "after_conv_bytes", "after_pool_bytes"} (float32, per image).
    """
    info = summary(models.densenet121(), (3, 224, 224))
    rows = {row.name: row for row in info.layers}
    layer_inputs, new_per_layer, index = [], [], 1
    while f"{BLOCK}.denselayer{index}.norm1" in rows:
        # norm1 is the first thing applied to the concatenated input: its output has the
        # input's channels. conv2's output is the layer's new features.
        layer_inputs.append(rows[f"{BLOCK}.denselayer{index}.norm1"].output_shape[1])
        new_per_layer.append(rows[f"{BLOCK}.denselayer{index}.conv2"].output_shape[1])
        index += 1
    block_output = rows[f"{TRANSITION}.norm"]  # the transition's BN sees the block's output
    after_conv, after_pool = rows[f"{TRANSITION}.conv"], rows[f"{TRANSITION}.pool"]
    return {
        "layer_inputs": layer_inputs,
        "new_per_layer": new_per_layer,
        "block_output": block_output.output_shape[1:],
        "after_conv": after_conv.output_shape[1:],
        "after_pool": after_pool.output_shape[1:],
        "block_output_bytes": block_output.activation_bytes,
        "after_conv_bytes": after_conv.activation_bytes,
        "after_pool_bytes": after_pool.activation_bytes,
    }


def report(numbers):
    k0, k = numbers["layer_inputs"][0], numbers["new_per_layer"][0]
    report = Report(
        "DenseNet: channels grow by the growth rate; transitions cut them",
        claim="In a dense block layer l sees k0 + (l - 1) k channels (densenet121: k0 = 64, "
        "k = 32), so the first block ends with 64 + 6 * 32 = 256; the transition's 1x1 "
        "convolution halves the channels (compression 0.5) and its 2x2 average pool "
        "quarters the positions, so the map shrinks 8 times.",
    )
    report.table(
        ("dense layer", "input channels", "claim k0 + (l - 1) k", "new channels"),
        [
            (f"denselayer{i + 1}", seen, k0 + i * k, new)
            for i, (seen, new) in enumerate(
                zip(numbers["layer_inputs"], numbers["new_per_layer"], strict=True)
            )
        ],
    )
    layers = len(numbers["layer_inputs"])
    block_c = numbers["block_output"][0]
    report.compare("block output channels", k0 + layers * k, block_c)
    report.compare("after the 1x1 conv", block_c // 2, numbers["after_conv"][0])
    report.compare(
        "after the pool (C x H x W)", f"{block_c // 2} x {numbers['block_output'][1] // 2} x "
        f"{numbers['block_output'][2] // 2}", " x ".join(map(str, numbers["after_pool"])),
    )  # fmt: skip
    report.compare(
        "feature map shrinks by", 8,
        round(numbers["block_output_bytes"] / numbers["after_pool_bytes"], 3),
    )  # fmt: skip
    report.note(
        "Read from the rows of tinycnn.summary(densenet121, 3 x 224 x 224): a dense layer's "
        "input channels from its first BatchNorm, the block's output from the transition's "
        "BatchNorm, the sizes in bytes from the activation column (float32, one image)."
    )
    return report
