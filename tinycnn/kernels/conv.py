"""2-D convolution forward and backward: the entry points, and the choice of algorithm.

Two algorithms compute the same convolution, both as BLAS matrix products (GEMMs):

- im2col (``conv_im2col.py``): copy every receptive field into a column of a matrix,
  then one GEMM of inner size C/G*KH*KW. The textbook method. Its copy is KH*KW times the
  input, and the backward pass needs it again (for dw) plus its adjoint col2im (for dx).
- taps (``conv_taps.py``): one accumulating GEMM of inner size C/G per kernel tap, each
  reading a shifted window of the padded input, which is copied once. No column matrix.

The taps win where im2col's copy is dear next to its GEMM: the copy costs C*KH*KW per
output pixel and the GEMM OC times that, so the fewer output channels, the more the taps
save. Measured on one core (forward plus both backwards, batch 8, best of 9 calls; the
parts of a batch run on one core each): DenseNet's 3x3 128->32 at 56x56 1.45x
faster by taps, ResNet's 3x3 64->64 at 56x56 1.1x, VGG's 64->64 at 224x224 1.1x, a 3x3/2
128->128 1.03x, but VGG's 512->512 at 28x28 0.92x. im2col also stays where C/G is small
(AlexNet's first layer has 3 channels, so its 121 taps would each be a 3-deep product),
for kernels larger than 3x3 (each tap adds into the output once more), where the images
are so small that much of the taps' grid is padding, and for 1x1
convolutions with stride 1, which need neither (see ``conv_im2col``). The taps also need
NumPy's OpenBLAS, called directly (``openblas.py``).

Either way, the batch is split into one part per core and the parts run at once, each on
one core (`threads.over_batch`), so the workspace limit is shared among the parts.

Every function returns a new array that the caller owns.
"""

import numpy as np

from tinycnn.kernels import conv_im2col, conv_taps, openblas
from tinycnn.kernels.im2col import conv_output_size
from tinycnn.kernels.threads import BATCH_PARTS, over_batch
from tinycnn.kernels.workspace import WORKSPACE_BYTES

# The taps run when each tap's GEMM has at least this inner size C/G, at most this many
# output channels OC/G ...
TAPS_MIN_CHANNELS = 16
TAPS_MAX_OUT_CHANNELS = 128
# ... and kernels of at most this many taps: every tap adds into the output once more, and
# with 5x5 kernels the 25 passes cost more than im2col's copy (AlexNet's 5x5 96->256 at
# 27x27 ran 0.89x by taps, GoogLeNet's 5x5 16->32 at 28x28 0.87x) ...
TAPS_MAX_TAPS = 9
# ... and the grid computes at most this many output positions per real output pixel
# (1.07 for a 3x3 kernel on 56x56 images, 1.15 on 28x28, 1.31 on 14x14, 1.65 on 7x7).
# Measured with the batch split over two cores: DenseNet's 3x3 128->32 ran 1.58x faster
# by taps on 14x14 images but 0.90x on 7x7 ones.
TAPS_MAX_WASTE = 1.35


ALGORITHMS = {"im2col": conv_im2col, "taps": conv_taps}


def algorithm(x_shape, w_shape, stride, padding, dilation, groups):
    """The module, ``conv_taps`` or ``conv_im2col``, that runs this convolution."""
    OC, CG, KH, KW = w_shape
    if conv_im2col.is_pointwise(KH, KW, stride, padding):
        return conv_im2col
    if not openblas.HAS_CBLAS or CG < TAPS_MIN_CHANNELS or OC // groups > TAPS_MAX_OUT_CHANNELS:
        return conv_im2col
    if KH * KW > TAPS_MAX_TAPS:
        return conv_im2col
    OH = conv_output_size(x_shape[2], KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(x_shape[3], KW, stride[1], padding[1], dilation[1])
    tap_grid = conv_taps.TapGrid(x_shape, w_shape, stride, padding, dilation)
    if tap_grid.waste(OH, OW) > TAPS_MAX_WASTE or not tap_grid.reads_every_phase(stride):
        return conv_im2col
    return conv_taps


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
        use: "im2col" or "taps" to run that algorithm (both compute every convolution);
            None (the default) lets `algorithm` choose the faster.

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
        use: "im2col" or "taps" to run that algorithm (both compute every convolution);
            None (the default) lets `algorithm` choose the faster.

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
        use: "im2col" or "taps" to run that algorithm (both compute every convolution);
            None (the default) lets `algorithm` choose the faster.

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
