"""Exercise conv2d_loops: the convolution's forward pass, written with loops."""

from tinycnn.exercises import conv_cases, plug

NAME = "conv2d_loops"
SUMMARY = "the convolution's forward pass with for loops over output pixels"
FUNCTIONS = ("conv2d_forward",)
SOLUTION = "tinycnn.exercises.solutions.conv2d_loops"
SKELETON = '''"""Exercise conv2d_loops. Check it with: tinycnn exercises check THIS_FILE

Write it with for loops: over the output pixels (oh, ow), and inside each, a sum of
products over a window of the padded input. (Exercise conv2d_im2col does it again
without the loops.)
"""

import numpy as np


def conv2d_forward(x, w, b, stride, padding, dilation, groups):
    """2-D convolution (cross-correlation, as every deep-learning library computes it).

        y[n, oc, oh, ow] = b[oc] + sum over cg, kh, kw of w[oc, cg, kh, kw] * x[n, c, ih, iw]
        with ih = oh*SH - PH + kh*DH, iw = ow*SW - PW + kw*DW, c = g*CG + cg,

    where positions outside x count as 0 (the zero padding), CG = C // groups is the number
    of input channels each filter sees, and g = oc // (OC // groups) is the group of
    filter oc (groups = 1: every filter sees every channel).

    Args:
        x: input images. w: filters. b: one bias per filter, or None.
        stride: (SH, SW). padding: (PH, PW). dilation: (DH, DW) (1 = adjacent taps).
        groups: G, splitting the channels and the filters into G independent convolutions.

    Returns:
        y, of x's dtype.

    Shape:
        x: (N, C, H, W); w: (OC, C // G, KH, KW); b: (OC,); y: (N, OC, OH, OW) with
        OH = (H + 2*PH - DH*(KH-1) - 1) // SH + 1, OW likewise.
    """
    raise NotImplementedError
'''


def check(learner):
    """Check learner.conv2d_forward against the loop oracle; returns the number of cases."""
    return conv_cases.check_conv2d_forward(learner)


def plug_in(learner, progress):
    """Train SmallCNN with the learner's convolution forward in every layer."""
    ops = {"conv2d_forward": learner.conv2d_forward}
    accuracy = plug.train_small_cnn(ops, progress=progress)
    return f"SmallCNN trained with your conv2d_forward: {accuracy:.1%} test accuracy"
