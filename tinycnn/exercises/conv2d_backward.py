"""Exercise conv2d_backward: the gradients of a convolution with respect to x, w and b."""

import numpy as np

from tinycnn.exercises import conv_cases, plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference

NAME = "conv2d_backward"
SUMMARY = "the convolution's backward pass: dx, dw and db"
FUNCTIONS = ("conv2d_backward_input", "conv2d_backward_weight", "conv2d_backward_bias")
SOLUTION = "tinycnn.exercises.solutions.conv2d_backward"
SKELETON = '''"""Exercise conv2d_backward. Check it with: tinycnn exercises check THIS_FILE

The forward pass (exercise conv2d_loops) is

    y[n, oc, oh, ow] = b[oc] + sum over cg, kh, kw of w[oc, cg, kh, kw] * x[n, c, ih, iw]
    with ih = oh*SH - PH + kh*DH, iw = ow*SW - PW + kw*DW, c = g*CG + cg

(CG = C // groups, g = oc // (OC // groups)). Given dy = dL/dy, the chain rule sends
dy[n, oc, oh, ow] * w[oc, cg, kh, kw] back to x[n, c, ih, iw] (unless (ih, iw) lies in
the padding), and dy[n, oc, oh, ow] * x[n, c, ih, iw] back to w[oc, cg, kh, kw].
With im2col: dcols = w.reshape(OC, C*KH*KW).T @ dy[n], then col2im adds each column
entry back onto its pixel; dw = sum over n of dy[n] @ cols[n].T.
"""

import numpy as np


def conv2d_backward_input(dy, w, x_shape, stride, padding, dilation, groups):
    """dL/dx of the convolution.

    Args:
        dy: dL/dy. w: the filters. x_shape: (N, C, H, W), the input's shape.
        stride, padding, dilation: (H, W) pairs. groups: G.

    Returns:
        dx, of dy's dtype.

    Shape:
        dy: (N, OC, OH, OW); w: (OC, C // G, KH, KW); dx: (N, C, H, W).
    """
    raise NotImplementedError


def conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, groups):
    """dL/dw of the convolution.

    Args:
        dy: dL/dy. x: the forward's input. w_shape: (OC, C // G, KH, KW).
        stride, padding, dilation, groups: as in the forward.

    Returns:
        dw, of dy's dtype.

    Shape:
        dy: (N, OC, OH, OW); x: (N, C, H, W); dw: (OC, C // G, KH, KW).
    """
    raise NotImplementedError


def conv2d_backward_bias(dy):
    """dL/db of the convolution: b[oc] is added to every output pixel of channel oc.

    Shape:
        dy: (N, OC, OH, OW); db: (OC,).
    """
    raise NotImplementedError
'''


def _mistakes_input(case, dy, w):
    x_shape, _, stride, padding, dilation, groups, _ = case
    N, C, H, W = x_shape
    PH, PW = padding

    def padded_dx():  # the gradient of the padded input, padding not cut off
        padded_shape = (N, C, H + 2 * PH, W + 2 * PW)
        return reference.conv2d_backward_input(dy, w, padded_shape, stride, (0, 0), dilation,
                                               groups)  # fmt: skip

    return [
        Mistake(
            "this is the gradient of the padded input: cut the padding off, "
            "dx = dx_padded[:, :, PH:PH + H, PW:PW + W]",
            padded_dx,
        ),
        Mistake(
            "the kernel is flipped: dx uses w as the forward did, "
            "dx[n, c, ih, iw] += dy[n, oc, oh, ow] * w[oc, cg, kh, kw]",
            lambda: reference.conv2d_backward_input(
                dy, w[:, :, ::-1, ::-1], x_shape, stride, padding, dilation, groups
            ),
        ),
    ]


def _mistakes_weight(case, dy, x):
    _, w_shape, stride, padding, dilation, groups, _ = case
    geometry = (stride, padding, dilation, groups)
    return [
        Mistake(
            "only the first image counts: dw sums over every image n of the batch",
            lambda: reference.conv2d_backward_weight(dy[:1], x[:1], w_shape, *geometry),
        ),
        Mistake(
            "the result is divided by N: the loss's gradient is a sum over the batch, "
            "with no 1/N (a mean, if any, is in the loss and so already in dy)",
            lambda: reference.conv2d_backward_weight(dy, x, w_shape, *geometry) / len(x),
        ),
    ]


def _mistakes_bias(dy):
    return [
        Mistake("db sums dy over n, oh and ow: dy.sum(axis=(0, 2, 3))", lambda: dy.sum(axis=0)),
        Mistake(
            "db sums over n too (every image adds its gradient): dy.sum(axis=(0, 2, 3))",
            lambda: dy[0].sum(axis=(1, 2)),
        ),
        Mistake("db is a sum, not a mean", lambda: dy.mean(axis=(0, 2, 3))),
    ]


def check(learner):
    """Check the three gradients against the loop oracles and by gradcheck."""

    def check_case(case):
        x_shape, w_shape, stride, padding, dilation, groups, dtype = case
        x, w, _, dy = conv_cases.arrays(case)
        words = conv_cases.describe(case)
        geometry = (stride, padding, dilation, groups)

        dx = call("conv2d_backward_input", words, learner.conv2d_backward_input,
                  dy, w, x_shape, *geometry)  # fmt: skip
        expected = reference.conv2d_backward_input(dy, w, x_shape, *geometry)
        compare("conv2d_backward_input", words, "dx", dx, expected, _mistakes_input(case, dy, w))
        check_dtype("conv2d_backward_input", words, "dx", dx, dtype)

        dw = call("conv2d_backward_weight", words, learner.conv2d_backward_weight,
                  dy, x, w_shape, *geometry)  # fmt: skip
        expected = reference.conv2d_backward_weight(dy, x, w_shape, *geometry)
        compare("conv2d_backward_weight", words, "dw", dw, expected, _mistakes_weight(case, dy, x))
        check_dtype("conv2d_backward_weight", words, "dw", dw, dtype)

        db = call("conv2d_backward_bias", words, learner.conv2d_backward_bias, dy)
        expected = dy.astype(np.float64).sum(axis=(0, 2, 3))  # b[oc] is in every y[:, oc]
        compare("conv2d_backward_bias", words, "db", db, expected, _mistakes_bias(dy))

    cases = run(check_case, conv_cases.EDGE_CASES, conv_cases.drawn_case())
    _gradcheck(learner)
    return cases + 1


def _gradcheck(learner):
    """gradcheck of the three gradients on one small case with stride, padding, groups."""
    case = ((1, 2, 4, 5), (2, 1, 3, 2), (2, 1), (1, 1), (1, 1), 2, np.float64)
    _, _, stride, padding, dilation, groups, _ = case
    geometry = (stride, padding, dilation, groups)
    x, w, b, _ = conv_cases.arrays(case, seed=1)

    def forward(x, w, b):
        return reference.conv2d_forward(x, w, b, *geometry), (x, w)

    def backward(dy, saved):
        x, w = saved
        return (
            learner.conv2d_backward_input(dy, w, x.shape, *geometry),
            learner.conv2d_backward_weight(dy, x, w.shape, *geometry),
            learner.conv2d_backward_bias(dy),
        )

    words = conv_cases.describe(case)
    check_gradient("conv2d_backward_*", words, forward, backward, (x, w, b), (True,) * 3)


def plug_in(learner, progress):
    """Train SmallCNN with the learner's gradients in every convolution."""
    ops = {
        "conv2d_backward_input": learner.conv2d_backward_input,
        "conv2d_backward_weight": learner.conv2d_backward_weight,
    }
    accuracy = plug.train_small_cnn(ops, progress=progress)
    return f"SmallCNN trained with your dx and dw: {accuracy:.1%} test accuracy"
