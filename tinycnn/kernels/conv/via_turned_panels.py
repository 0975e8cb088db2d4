"""2-D convolution as the panels' product turned around: channels along the tile's columns.

The panels (``via_panels.py``) put 48 pixels along the register tile's columns and 4
output channels down its rows. Turned around, the same sums are::

    Y[j, m] = sum over k of X^[k, j] * A[m, k]                                      (1)

    forward:  j = (image, oh, ow) a pixel, m an output channel, k = (c, kh, kw) a summed row
              X^[k, j] = x_pad[i, c, oh + kh*DH, ow + kw*DW],  A[m, k] = w[m, c, kh, kw]

with 4 pixels j down the tile's rows, each broadcast from the padded images where it lies
(no panel of pixels is copied), and 48 channels m along its columns, read from ``W``, the
weights turned into rows of 48 channels once per call. It is the loop of the panels'
weight gradient, `panel_gemm.panel_weight_sums`, with the weights as its panel::

    W[g, s, k, q] = A[48s + q, k] of group g (0 past the group's channels)
    Y[j, 48s + q] = sum over k of X^[k, j] * W[g, s, k, q]

It pays where the channels fill the 48 columns and the pixels do not: SqueezeNet's 48 and
GoogLeNet's 96 and 192 channels on 13x13 and 14x14 images, AlexNet's 48-channel groups.
With 32 or 64 channels a third of the columns is wasted, and turning the weights costs a
copy of them per call, so the tuning keeps it for the layers where it wins.

The input gradient is (1) on dy with the kernel flipped, as in the panels (their module
docstring); where it is no such convolution (a stride), it is the panels' own, by stride
phases. The weight gradient is the panels' own, which is already turned this way.
"""

import numpy as np

from tinycnn.kernels.conv import via_panels
from tinycnn.kernels.conv.panel_gemm import panel_weight_sums, rows_of_four, turned_rows
from tinycnn.kernels.conv.via_direct import TILE_PIXELS
from tinycnn.kernels.runtime.workspace import SCRATCH, batch_chunks

# Pixels summed at once: their sums for one block of 48 channels, 256 x 48 float32 (48 KiB),
# stay near the core while every row block of W is added into them. All the pixels at once
# (ResNet 3x3/2 128->128 @56, 8 images: 3136 a part, 600 KiB) ran slower on two cores,
# the parts contending for the shared cache (docs/performance.md).
PIXELS_AT_ONCE = 256


def computes(geo):
    """True: every convolution (some input gradients by the panels, module docstring)."""
    return True


def _turned(a):
    """The weights A of (1), (G, M, K), turned into rows of 48 channels: (G, S, K, 48),
    ``W[g, s, k, q] = a[g, 48s + q, k]``, 0 past M."""
    G, M, K = a.shape
    S = -(-M // TILE_PIXELS)
    return turned_rows(a, SCRATCH.array("turned weights", (G, S, K, TILE_PIXELS), a.dtype))


def _convolve(images, W, bias, geo, backward_input, max_bytes, out):
    """(1) on chunks of ``images`` (x, or dy for the input gradient) into ``out`` (y or dx),
    for every group: M = out's channels a group."""
    n, C, H, Wd = images.shape
    G, S = W.shape[0], W.shape[1]
    M = out.shape[1] // G
    P = out.shape[2] * out.shape[3]
    per_image = (C * H * Wd + P * S * TILE_PIXELS) * images.itemsize
    for chunk in batch_chunks(n, per_image, max_bytes):
        part = images[chunk]
        m = part.shape[0]
        tables = via_panels.offset_tables(geo, backward_input, m, images.itemsize)
        src = via_panels.padded_source(part, *tables.source)
        # the tile's 4 rows are 4 pixels: their window corners, padded to a multiple of 4
        corners = rows_of_four(tables.pixel_base.reshape(1, -1)).view(np.uint64)
        Y = SCRATCH.array("turned sums", (1, corners.shape[1], S * TILE_PIXELS), images.dtype)
        target = out[chunk].reshape(m, G * M, P)
        for g in range(G):
            taps = tables.row_offsets[g].view(np.uint64)  # k's offsets from a window corner
            for j in range(0, corners.shape[1], PIXELS_AT_ONCE):
                rows = slice(j, j + PIXELS_AT_ONCE)
                panel_weight_sums(src, taps, corners[:, rows], W[g : g + 1], M, True,
                                  Y[:, rows])  # fmt: skip
            sums = Y[0, : m * P, :M].reshape(m, P, M)  # (images, pixels, channels)
            np.add(sums.transpose(0, 2, 1), bias[g * M : (g + 1) * M, None],
                   out=target[:, g * M : (g + 1) * M])  # fmt: skip


def conv2d_forward(x, w, b, geo, max_workspace_bytes, y):
    """Write the convolution of ``x`` into ``y``; arguments as ``conv.conv2d_forward``."""
    bias = np.zeros(geo.OC, dtype=y.dtype) if b is None else b.astype(y.dtype, copy=False)
    W = _turned(w.reshape(geo.G, geo.OCG, geo.KG))
    _convolve(x, W, bias, geo, False, max_workspace_bytes, y)


def conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx):
    """Write dL/dx into ``dx``; arguments as ``conv.conv2d_backward_input``: (1) on dy with
    the kernel flipped and its channel axes swapped, ``A[c, (oc, kh', kw')] =
    w[oc, c, KH-1-kh', KW-1-kw']`` a group, or the panels' input gradient where that is no
    convolution (module docstring)."""
    if not via_panels.flipped_kernel_computes(geo):
        via_panels.conv2d_backward_input(dy, w, geo, max_workspace_bytes, dx)
        return
    KK = geo.KH * geo.KW
    flipped = w.reshape(geo.G, geo.OCG, geo.CG, KK)[..., ::-1]  # (G, OC/G, C/G, taps)
    a = flipped.transpose(0, 2, 1, 3).reshape(geo.G, geo.CG, geo.OCG * KK)
    W = _turned(a)
    _convolve(dy, W, np.zeros(geo.C, dtype=dx.dtype), geo, True, max_workspace_bytes, dx)


def conv2d_backward_weight(dy, x, geo, max_workspace_bytes):
    """dL/dw, a new array: the panels' own (module docstring)."""
    return via_panels.conv2d_backward_weight(dy, x, geo, max_workspace_bytes)
