"""2-D convolution forward and backward: the entry points, and the choice of algorithm.

Four algorithms compute the same convolution, all as BLAS matrix products (GEMMs). The
first three differ in how often they copy the input and how deep their GEMMs are:

- im2col (``conv_im2col.py``): copy every receptive field into a column of a matrix,
  then one GEMM of inner size C/G*KH*KW. The textbook method. Its copy is KH*KW times the
  input, and the backward pass needs it again (for dw) plus its adjoint col2im (for dx).
- taps (``conv_taps.py``): one accumulating GEMM of inner size C/G per kernel tap, each
  reading a shifted window of the padded input, which is copied once. No column matrix.
- rows (``conv_rows.py``): in between. One accumulating GEMM of inner size KW*C/G per
  kernel row, reading a window of the input copied KW times.

The copies cost C*KH*KW (im2col), C (taps) or KW*C (rows) per output pixel and the GEMMs
OC times that, so the fewer output channels, the dearer im2col's copy; but a GEMM of small
inner size runs far below the BLAS peak, and taps and rows compute on a padded grid whose
extra positions are thrown away. Measured (forward plus both backwards, float32, the batch
split over two cores, GFLOP/s by im2col / taps / rows; Winograd, below, now runs the first
three layers):

- DenseNet 3x3 128->32 at 56x56, batch 8: 50 / 80 / 69; ResNet 3x3 64->64 at 56x56:
  82 / 100 / 95; VGG 3x3 64->64 at 224x224, batch 4: 79 / 88 / 89. Taps, with C/G >= 64.
- GoogLeNet 5x5 16->32 at 28x28, batch 8: 45 / 44 / 58; a 3x3 32->32 at 16x16, batch 64:
  41 / 52 / 50. Rows, with few output channels.
- GoogLeNet 3x3 32->96 at 28x28: 76 / 69 / 77; SqueezeNet 3x3 32->128 at 27x27:
  111 / 91 / 105; 3x3 24->64 at 14x14: 45 / 28 / 35; VGG 3x3 512->512 at 28x28:
  136 / 130 / 129; AlexNet 5x5 96->256 in 2 groups at 27x27: 96 / 94 / 102, and 107 by
  both im2col and rows in a second run. im2col, or rows no faster: with many output
  channels, its one deep GEMM pays for its copy.

The fourth, Winograd's F(2x2, 3x3) (``conv_winograd.py``), does fewer multiplications:
16 for every 2x2 outputs where the others do 36, at the price of transforming input tiles
and outputs (per channel). It runs only 3x3 kernels with stride 1, and wins on large
images with many channels (the figures are at `WINOGRAD_MIN_CHANNELS`).

im2col also runs every 1x1 convolution with stride 1 (which needs no copy at all, see
``conv_im2col``), strided layers, batches of images so small that the grid's GEMMs
would be narrow or mostly padding, and everything when NumPy's OpenBLAS cannot be called
directly (``openblas.py``), which taps and rows need.

Whichever runs, the batch is split into one part per core and the parts run at once, each
on one core (`threads.over_batch`), so the workspace limit is shared among the parts.

Every function returns a new array that the caller owns.
"""

import math

import numpy as np

from tinycnn.kernels import conv_im2col, conv_rows, conv_taps, conv_winograd, openblas
from tinycnn.kernels.grid import TapGrid
from tinycnn.kernels.im2col import conv_output_size
from tinycnn.kernels.threads import BATCH_PARTS, over_batch
from tinycnn.kernels.workspace import WORKSPACE_BYTES

# Taps and rows run stride-1 convolutions only. With stride 2 the grid splits into four
# phase planes, and the im2col copy shrinks with the output: ResNet's 3x3/2 128->128 and
# 64->128 at 56x56 ran 93 and 93 GFLOP/s by im2col, 88 and 84 by taps.
# Winograd runs 3x3 convolutions with stride 1 and no dilation with at least this many
# input channels C/G, on outputs at least this many pixels high and wide, and with at least
# this many 2x2 tiles in a part of the batch (a 14x14 output has 49 an image). Its
# transforms cost per channel and per tile, its GEMMs per pair of channels: so with few
# channels, few tiles or short rows of tiles they outweigh the multiplications it saves.
# Measured by im2col / taps / Winograd, 4 images a part: ResNet's 64->64 at 56x56
# 79 / 92 / 116 GFLOP/s, 128->128 at 28x28 102 / 108 / 144, 256->256 at 14x14 103 / 96 /
# 138; GoogLeNet's 128->192 at 28x28 115 / 116 / 188; VGG's 512->512 at 28x28
# 145 / - / 220. Not: 3x3 32->96 at 28x28 99 / 82 / 84; 512->512 at 7x7 116 / - / 79;
# 64->64 at 8x8, 32 images a part, 78 / 72 / 70.
WINOGRAD_MIN_CHANNELS = 64
WINOGRAD_MIN_OUTPUT_SIZE = 14
WINOGRAD_MIN_TILES = 196
# With at most this many output channels OC/G, only on outputs at least this large:
# DenseNet's 128->32 ran 61 / 65 by taps / Winograd at 28x28, but 46 / 30 at 14x14.
WINOGRAD_FEW_OUT_CHANNELS = 32
WINOGRAD_FEW_OUT_CHANNELS_MIN_SIZE = 28
# Taps run when each tap's GEMM has at least this inner size C/G, at most this many
# output channels OC/G, and at most this many taps (each tap adds into the output once
# more: with a 5x5 kernel, AlexNet's 96->256 at 27x27 ran 0.89x by taps).
TAPS_MIN_CHANNELS = 64
TAPS_MAX_OUT_CHANNELS = 128
TAPS_MAX_TAPS = 9
# Rows run, where taps do not, for at most this many output channels OC/G.
ROWS_MAX_OUT_CHANNELS = 32
# Neither runs where a part of the batch (`threads.over_batch`) has fewer grid columns than
# this: their GEMMs, as wide as the grid, then run far below peak. DenseNet's 3x3 128->32
# on 7x7 images (64 grid columns an image) ran 1.8x slower by taps than by im2col at 4
# images a part, as fast at 8, and 1.3-1.5x faster at 16 and 32; on 8x8 and 5x5 images the
# cross-over was at 8 and 12 images too.
GRID_MIN_COLUMNS = 512
# Nor where the grid computes too many output positions that are thrown away: its waste,
# positions per real output pixel (1.04 for a 3x3 kernel on 56x56 images, 1.15 on 14x14,
# 1.31 on 7x7, 1.56 on 4x4, 2.25 on 2x2), may exceed 1 by at most this over OC/G. The
# waste costs a share of the GEMM; im2col's copy costs about a share 1/(OC/G) of it. On 4x4
# images, 32 and 128 images a part, a 3x3 128->128 ran 62-65 GFLOP/s by im2col and 49-59
# by taps, while DenseNet's 128->32 ran 22 by im2col and 25-31 by taps (on 2x2 images, 15
# and 16).
GRID_WASTE_OUT_CHANNELS = 32


ALGORITHMS = {
    "im2col": conv_im2col,
    "taps": conv_taps,
    "rows": conv_rows,
    "winograd": conv_winograd,
}


def algorithm(x_shape, w_shape, stride, padding, dilation, groups):
    """The module, ``conv_im2col``, ``conv_taps``, ``conv_rows`` or ``conv_winograd``, that
    runs this convolution."""
    OC, CG, KH, KW = w_shape
    OCG = OC // groups
    pointwise = conv_im2col.is_pointwise(KH, KW, stride, padding)
    if pointwise or tuple(stride) != (1, 1) or not openblas.HAS_CBLAS:
        return conv_im2col
    OH = conv_output_size(x_shape[2], KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(x_shape[3], KW, stride[1], padding[1], dilation[1])
    part_images = -(-x_shape[0] // BATCH_PARTS)
    if (
        conv_winograd.computes((KH, KW), stride, dilation)
        and CG >= WINOGRAD_MIN_CHANNELS
        and min(OH, OW) >= WINOGRAD_MIN_OUTPUT_SIZE
        and part_images * math.prod(conv_winograd.tile_counts(OH, OW)) >= WINOGRAD_MIN_TILES
        and (OCG > WINOGRAD_FEW_OUT_CHANNELS or min(OH, OW) >= WINOGRAD_FEW_OUT_CHANNELS_MIN_SIZE)
    ):
        return conv_winograd
    tap_grid = TapGrid(x_shape, w_shape, stride, padding, dilation)
    max_waste = 1 + GRID_WASTE_OUT_CHANNELS / OCG
    if part_images * tap_grid.plane < GRID_MIN_COLUMNS or tap_grid.waste(OH, OW) > max_waste:
        return conv_im2col
    if CG >= TAPS_MIN_CHANNELS and OCG <= TAPS_MAX_OUT_CHANNELS and KH * KW <= TAPS_MAX_TAPS:
        return conv_taps
    if OCG <= ROWS_MAX_OUT_CHANNELS:
        return conv_rows
    return conv_im2col


def _chosen(use, x_shape, w_shape, stride, padding, dilation, groups):
    """The algorithm the caller asked to ``use``, or else the faster one."""
    if use is None:
        return algorithm(x_shape, w_shape, stride, padding, dilation, groups)
    return ALGORITHMS[use]


def conv2d_forward(
    x, w, b, stride, padding, dilation, groups, *, max_workspace_bytes=WORKSPACE_BYTES, use=None
):
    """Convolve a batch of images with a bank of filters (cross-correlation, as in PyTorch).

    Args:
        x: input images, float32 or float64, C-contiguous.
        w: filters, same dtype as x.
        b: bias, or None.
        stride, padding, dilation: (SH, SW), (PH, PW), (DH, DW).
        groups: G; input and output channels split into G groups that never mix.
        max_workspace_bytes: cap on the intermediate matrices built at once.
        use: "im2col", "taps" or "rows" to run that algorithm (each computes every
            convolution); None (the default) lets `algorithm` choose the fastest.

    Returns:
        A new array y, same dtype as x.

    Shape:
        - x: (N, C, H, W)
        - w: (OC, C/G, KH, KW)
        - b: (OC,)
        - y: (N, OC, OH, OW) with ``OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1``
          and ``OW`` likewise.

    Example:
        >>> x = np.ones((2, 3, 5, 5), dtype=np.float32)
        >>> w = np.ones((4, 3, 3, 3), dtype=np.float32)
        >>> y = conv2d_forward(x, w, None, (2, 2), (1, 1), (1, 1), 1)
        >>> y.shape, y.dtype, y[0, 0, 1, 1]  # an inner pixel sums 3*3*3 ones
        ((2, 4, 3, 3), dtype('float32'), np.float32(27.0))
    """
    N, OC, KH, KW = x.shape[0], *w.shape[:1], *w.shape[2:]
    OH = conv_output_size(x.shape[2], KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(x.shape[3], KW, stride[1], padding[1], dilation[1])
    y = np.empty((N, OC, OH, OW), dtype=x.dtype)
    chosen = _chosen(use, x.shape, w.shape, stride, padding, dilation, groups)
    geometry = (stride, padding, dilation, groups, max_workspace_bytes // BATCH_PARTS)

    def convolve(images):
        chosen.conv2d_forward(x[images], w, b, *geometry, y[images])

    over_batch(N, convolve)
    return y


def conv2d_backward_input(
    dy,
    w,
    x_shape,
    stride,
    padding,
    dilation,
    groups,
    *,
    max_workspace_bytes=WORKSPACE_BYTES,
    use=None,
):
    """Gradient of the loss with respect to the input of a convolution.

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as w.
        w: filters of the forward pass.
        x_shape: (N, C, H, W) of the forward input.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the intermediate matrices built at once.
        use: "im2col", "taps" or "rows" to run that algorithm (each computes every
            convolution); None (the default) lets `algorithm` choose the fastest.

    Returns:
        A new array dx of shape ``x_shape``, same dtype as dy.

    Shape:
        - dy: (N, OC, OH, OW)
        - w: (OC, C/G, KH, KW)
        - dx: (N, C, H, W)
    """
    dx = np.empty(x_shape, dtype=dy.dtype)
    chosen = _chosen(use, x_shape, w.shape, stride, padding, dilation, groups)
    geometry = (stride, padding, dilation, groups, max_workspace_bytes // BATCH_PARTS)

    def backward(images):
        chosen.conv2d_backward_input(dy[images], w, *geometry, dx[images])

    over_batch(x_shape[0], backward)
    return dx


def conv2d_backward_weight(
    dy,
    x,
    w_shape,
    stride,
    padding,
    dilation,
    groups,
    *,
    max_workspace_bytes=WORKSPACE_BYTES,
    use=None,
):
    """Gradient of the loss with respect to the filters of a convolution.

    Args:
        dy: gradient of the loss with respect to the output y, same dtype as x.
        x: input images of the forward pass.
        w_shape: (OC, C/G, KH, KW) of the filters.
        stride, padding, dilation, groups: as for :func:`conv2d_forward`.
        max_workspace_bytes: cap on the intermediate matrices built at once.
        use: "im2col", "taps" or "rows" to run that algorithm (each computes every
            convolution); None (the default) lets `algorithm` choose the fastest.

    Returns:
        A new array dw of shape ``w_shape``, same dtype as x.

    Shape:
        - dy: (N, OC, OH, OW)
        - x: (N, C, H, W)
        - dw: (OC, C/G, KH, KW)
    """
    chosen = _chosen(use, x.shape, w_shape, stride, padding, dilation, groups)
    geometry = (stride, padding, dilation, groups, max_workspace_bytes // BATCH_PARTS)

    def backward(images):
        return chosen.conv2d_backward_weight(dy[images], x[images], w_shape, *geometry)

    # Every part sums its images' contributions; the parts' sums add up to the batch's.
    dw, *other_parts = over_batch(x.shape[0], backward)
    for part in other_parts:
        dw += part
    return dw
