"""What one layer call costs on one image: parameters, multiply-accumulates, memory.

Multiply-accumulates (MACs) are counted in convolutions and linear layers only, as
torchvision counts the "GFLOPS" it publishes for its models (`weights.meta["_ops"]`, which
are in fact billions of multiply-accumulates: tools/make_summary_reference.py checks this).
Bias additions, BatchNorm, activations, pooling and the additions of residual blocks cost
little next to them and are not counted.

    Conv2d, weight (OC, C/groups, KH, KW), output (OC, OH, OW):
        each of the OC * OH * OW outputs is a sum of C/groups * KH * KW products
        MACs = OC * OH * OW * (C/groups) * KH * KW
    Linear, in_features -> out_features:
        MACs = in_features * out_features for each row of the input (one for a flat vector)

The im2col workspace is the column matrix the im2col algorithm builds for one image
(tinycnn/kernels/conv/via_im2col.py): C * KH * KW rows (every group's, built at once) by
OH * OW columns. A 1x1 convolution with stride 1 and no padding needs none: the image
already is its column matrix. (Layers that tinycnn runs by one of its other algorithms,
Winograd or the window GEMMs, build no column matrix at all; the figure shows what the
textbook method needs. The fast kernels build it a band of rows at a time when one image's
columns would exceed their workspace limit.)
"""

import math

from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.conv.via_im2col import multiplies_in_place
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.linear import Linear
from tinycnn.summary.receptive_field import conv_padding


def parameter_count(module):
    """The number of elements in the module's own parameters (not its submodules')."""
    return sum(param.data.size for param in module.parameters(recurse=False))


def macs(module, output_shape):
    """Multiply-accumulates of one call of `module` on one image.

    Args:
        module: the layer.
        output_shape: the shape of its output, batch first.
    """
    if isinstance(module, Conv2d):
        OC, CG, KH, KW = module.weight.shape  # CG = C / groups
        OH, OW = output_shape[2:]
        return OC * OH * OW * CG * KH * KW
    if isinstance(module, Linear):
        rows = math.prod(output_shape[1:-1])  # 1 for an (N, out_features) output
        return rows * module.in_features * module.out_features
    return 0


def activation_bytes(output_shape, itemsize):
    """Bytes of one image's output."""
    return math.prod(output_shape[1:]) * itemsize


def im2col_bytes(module, output_shape, itemsize):
    """Bytes of the column matrix a Conv2d builds for one image; 0 for other layers.

    NOTE: with padding='same' and an even dilated kernel, tinycnn pads both sides and crops
    one output row and column afterwards (see `F.conv2d`); its columns then hold one more
    row and column of outputs than counted here.
    """
    if not isinstance(module, Conv2d):
        return 0
    KH, KW = module.kernel_size
    OH, OW = output_shape[2:]
    # The output size is given; the input size, which the rule does not need, is taken as
    # the one a 1x1 kernel with stride 1 and no padding would read.
    geo = ConvGeometry.of(
        (1, module.in_channels, OH, OW),
        (module.out_channels, module.in_channels // module.groups, KH, KW),
        module.stride,
        conv_padding(module),
        module.dilation,
        module.groups,
    )
    if multiplies_in_place(geo):
        return 0
    return module.in_channels * KH * KW * OH * OW * itemsize
