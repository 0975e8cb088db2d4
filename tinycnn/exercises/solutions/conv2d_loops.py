"""A solution of exercise conv2d_loops: loops over output pixels, a sum over each window."""

import numpy as np


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """2-D convolution with a loop over groups and output pixels.

    Shape:
        x: (N, C, H, W); w: (OC, C // G, KH, KW); b: (OC,) or None; y: (N, OC, OH, OW).
    """
    N, C, H, W = x.shape
    OC, CG, KH, KW = w.shape
    (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
    OH = (H + 2 * PH - DH * (KH - 1) - 1) // SH + 1
    OW = (W + 2 * PW - DW * (KW - 1) - 1) // SW + 1
    OCG = OC // groups
    x_padded = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    y = np.zeros((N, OC, OH, OW), dtype=x.dtype)
    for g in range(groups):
        x_g = x_padded[:, g * CG : (g + 1) * CG]  # N x CG x H+2PH x W+2PW
        w_g = w[g * OCG : (g + 1) * OCG]  # OCG x CG x KH x KW
        for oh in range(OH):
            for ow in range(OW):
                rows = slice(oh * SH, oh * SH + DH * (KH - 1) + 1, DH)
                cols = slice(ow * SW, ow * SW + DW * (KW - 1) + 1, DW)
                window = x_g[:, :, rows, cols]  # N x CG x KH x KW
                # Sum over (cg, kh, kw) of window * filter, for every image and filter.
                y[:, g * OCG : (g + 1) * OCG, oh, ow] = np.tensordot(
                    window, w_g, axes=([1, 2, 3], [1, 2, 3])
                )  # N x OCG
    if b is not None:
        y += b[:, np.newaxis, np.newaxis]
    return y
