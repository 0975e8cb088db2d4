"""Exercise im2col: copy every receptive field of an image into a column of a matrix."""

import numpy as np

from tinycnn.exercises import conv_cases, plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.kernels import reference

NAME = "im2col"
SUMMARY = "copy every receptive field into a column, so a convolution is one matrix product"
FUNCTIONS = ("im2col",)
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise im2col. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def im2col(x, KH, KW, SH, SW, PH, PW, DH, DW):
    """Copy each receptive field of x into a column of a matrix.

        cols[n, c*KH*KW + kh*KW + kw, oh*OW + ow] = x[n, c, ih, iw]
        with ih = oh*SH - PH + kh*DH and iw = ow*SW - PW + kw*DW,

    and 0 where that position lies in the zero padding. Then a convolution is one matrix
    product: y[n] = w.reshape(OC, C*KH*KW) @ cols[n].

    Args:
        x: the input images.
        KH, KW: kernel height and width.
        SH, SW: stride (how far the window moves between output pixels).
        PH, PW: zero padding added above and below (PH), left and right (PW).
        DH, DW: dilation (the distance between two taps of the kernel; 1 = adjacent).

    Returns:
        cols, of x's dtype.

    Shape:
        x: (N, C, H, W)
        cols: (N, C*KH*KW, OH*OW), with OH = (H + 2*PH - DH*(KH-1) - 1) // SH + 1
        and OW = (W + 2*PW - DW*(KW-1) - 1) // SW + 1.
    """
    raise NotImplementedError
'''


def _mistakes(case, x, cols_shape):
    _, (_, _, KH, KW), stride, padding, dilation, _, _ = case
    geometry = (KH, KW, *stride, *padding, *dilation)

    def channel_last():  # rows ordered (kh, kw, c) instead of (c, kh, kw)
        N, C = x.shape[:2]
        cols = reference.im2col(x, *geometry).reshape(N, C, KH * KW, -1)
        return cols.transpose(0, 2, 1, 3).reshape(N, C * KH * KW, -1)

    return [
        Mistake(
            "cols is transposed: each output pixel is a column, cols[n] is "
            "(C*KH*KW, OH*OW), not (OH*OW, C*KH*KW)",
            lambda: reference.im2col(x, *geometry).transpose(0, 2, 1),
        ),
        Mistake(
            "the rows are in the wrong order: row c*KH*KW + kh*KW + kw holds channel c, "
            "tap (kh, kw) (channel first, as w.reshape(OC, C*KH*KW) orders the weights)",
            channel_last,
        ),
        Mistake(
            "the zero padding is missing: pad x first (np.pad with ((0, 0), (0, 0), "
            "(PH, PH), (PW, PW)))",
            lambda: reference.im2col(x, KH, KW, *stride, 0, 0, *dilation),
        ),
        Mistake(
            "the stride is ignored: output pixel (oh, ow) starts at row oh*SH - PH",
            lambda: reference.im2col(x, KH, KW, 1, 1, *padding, *dilation),
        ),
        Mistake(
            "the dilation is ignored: tap kh reads row oh*SH - PH + kh*DH",
            lambda: reference.im2col(x, KH, KW, *stride, *padding, 1, 1),
        ),
    ]


def check(learner):
    """Check learner.im2col against the loop oracle; returns the number of cases."""

    def check_case(case):
        _, (_, _, KH, KW), stride, padding, dilation, _, dtype = case
        x, *_ = conv_cases.arrays(case)
        x_shape, dtype = case[0], np.dtype(case[-1]).name
        words = (
            f"x (N, C, H, W) = {x_shape}, kernel (KH, KW) = {(KH, KW)}, stride (SH, SW) = "
            f"{stride}, padding (PH, PW) = {padding}, dilation (DH, DW) = {dilation}, {dtype}"
        )
        cols = call("im2col", words, learner.im2col, x, KH, KW, *stride, *padding, *dilation)
        expected = reference.im2col(x, KH, KW, *stride, *padding, *dilation)
        compare("im2col", words, "cols", cols, expected, _mistakes(case, x, expected.shape))
        check_dtype("im2col", words, "cols", cols, dtype)

    return run(check_case, conv_cases.EDGE_CASES, conv_cases.drawn_case())


def conv2d_forward_by(im2col):
    """A conv2d_forward kernel built on an im2col function: one matrix product per group."""

    def conv2d_forward(x, w, b, stride, padding, dilation, groups):
        N = x.shape[0]
        OC, CG, KH, KW = w.shape
        cols = im2col(x, KH, KW, *stride, *padding, *dilation)  # N x C*KH*KW x OH*OW
        OCG, K = OC // groups, CG * KH * KW
        y = np.concatenate(
            [
                w[g * OCG : (g + 1) * OCG].reshape(OCG, K) @ cols[:, g * K : (g + 1) * K]
                for g in range(groups)
            ],
            axis=1,
        )  # N x OC x OH*OW
        if b is not None:
            y = y + b[:, np.newaxis]
        OH, OW = (
            conv_cases.output_size(x.shape[2 + i], w.shape[2 + i], stride[i], padding[i],
                                   dilation[i])
            for i in (0, 1)
        )  # fmt: skip
        return y.reshape(N, OC, OH, OW)

    return conv2d_forward


def plug_in(learner, progress):
    """Train SmallCNN with every convolution's forward pass built on the learner's im2col."""
    accuracy = plug.train_small_cnn(
        {"conv2d_forward": conv2d_forward_by(learner.im2col)}, progress=progress
    )
    return f"SmallCNN trained with your im2col in every convolution: {accuracy:.1%} test accuracy"
