"""The cases the convolution exercises share: edge cases, drawn cases, arrays, mistakes.

A case is (x_shape, w_shape, stride, padding, dilation, groups, dtype), with
x_shape = (N, C, H, W), w_shape = (OC, C/G, KH, KW) and (H, W) pairs.
"""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.kernels import reference

F64, F32 = np.float64, np.float32

# Simplest first: the first failure is then the easiest to understand.
EDGE_CASES = [
    ((1, 1, 1, 1), (1, 1, 1, 1), (1, 1), (0, 0), (1, 1), 1, F64),  # 1x1 everything
    ((1, 2, 5, 5), (3, 2, 3, 3), (1, 1), (0, 0), (1, 1), 1, F64),  # a plain 3x3
    ((2, 2, 4, 5), (2, 2, 3, 3), (1, 1), (1, 1), (1, 1), 1, F64),  # padding
    ((1, 1, 7, 6), (2, 1, 3, 3), (2, 2), (1, 1), (1, 1), 1, F64),  # stride 2 and padding
    ((1, 2, 3, 3), (2, 2, 3, 3), (1, 1), (0, 0), (1, 1), 1, F64),  # one output pixel
    ((1, 1, 5, 7), (2, 1, 2, 3), (1, 2), (0, 1), (1, 1), 1, F64),  # unequal H and W
    ((1, 1, 7, 7), (1, 1, 3, 3), (1, 1), (0, 0), (2, 2), 1, F64),  # dilation
    ((1, 4, 5, 5), (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2, F64),  # two groups
    ((2, 3, 6, 6), (4, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1, F32),  # float32 stays float32
]


@st.composite
def drawn_case(draw):
    """A small case with any stride, padding, dilation and groups whose kernel fits."""
    G = draw(st.integers(1, 2))
    C, OC = G * draw(st.integers(1, 2)), G * draw(st.integers(1, 2))
    KH, KW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kernel = (KH, KW)
    smallest = [max(1, dilation[i] * (kernel[i] - 1) + 1 - 2 * padding[i]) for i in (0, 1)]
    H = draw(st.integers(smallest[0], smallest[0] + 4))
    W = draw(st.integers(smallest[1], smallest[1] + 4))
    N = draw(st.integers(1, 2))
    return (N, C, H, W), (OC, C // G, KH, KW), stride, padding, dilation, G, F64


def describe(case):
    x_shape, w_shape, stride, padding, dilation, groups, dtype = case
    return (
        f"x (N, C, H, W) = {x_shape}, w (OC, C/groups, KH, KW) = {w_shape}, "
        f"stride (SH, SW) = {stride}, padding (PH, PW) = {padding}, "
        f"dilation (DH, DW) = {dilation}, groups = {groups}, {np.dtype(dtype).name}"
    )


def output_size(size, kernel, stride, padding, dilation):
    """Window positions along one axis: (size + 2P - D*(K-1) - 1) // S + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def output_shape(case):
    """(N, OC, OH, OW) of the case's convolution."""
    x_shape, w_shape, stride, padding, dilation, _, _ = case
    sizes = [output_size(x_shape[2 + i], w_shape[2 + i], stride[i], padding[i], dilation[i])
             for i in (0, 1)]  # fmt: skip
    return (x_shape[0], w_shape[0], *sizes)


def arrays(case, seed=0):
    """x, w, b and an output gradient dy for the case, in its dtype."""
    x_shape, w_shape, *_, dtype = case
    generator = np.random.default_rng(seed)
    x = generator.standard_normal(x_shape).astype(dtype)
    w = generator.standard_normal(w_shape).astype(dtype)
    b = generator.standard_normal(w_shape[0]).astype(dtype)
    dy = generator.standard_normal(output_shape(case)).astype(dtype)
    return x, w, b, dy


def forward_mistakes(case, x, w, b):
    """What a conv2d_forward with a classic mistake returns on this case."""
    _, _, stride, padding, dilation, groups, _ = case

    def conv(x=x, w=w, b=b, stride=stride, padding=padding, dilation=dilation):
        return reference.conv2d_forward(x, w, b, stride, padding, dilation, groups)

    return [
        Mistake(
            "the zero padding is missing: pad x with PH rows above and below and PW columns "
            "left and right (np.pad) before sliding the kernel",
            lambda: conv(padding=(0, 0)),
        ),
        Mistake(
            "the stride is ignored: output pixel (oh, ow) starts at row oh*SH - PH and "
            "column ow*SW - PW",
            lambda: conv(stride=(1, 1)),
        ),
        Mistake(
            "the kernel is flipped: a CNN's 'convolution' is a cross-correlation, "
            "w[oc, c, kh, kw] multiplies x[..., ih + kh, iw + kw] without flipping",
            lambda: conv(w=w[:, :, ::-1, ::-1]),
        ),
        Mistake(
            "the bias is missing: add b[oc] to every pixel of channel oc", lambda: conv(b=None)
        ),
        Mistake(
            "the dilation is ignored: tap kh reads row oh*SH - PH + kh*DH",
            lambda: conv(dilation=(1, 1)),
        ),
    ]


def check_conv2d_forward(learner):
    """Check learner.conv2d_forward against the loop oracle; returns the number of cases."""

    def check_case(case):
        _, _, stride, padding, dilation, groups, dtype = case
        x, w, b, _ = arrays(case)
        words = describe(case)
        geometry = (stride, padding, dilation, groups)
        y = call("conv2d_forward", words, learner.conv2d_forward, x, w, b, *geometry)
        expected = reference.conv2d_forward(x, w, b, *geometry)
        compare("conv2d_forward", words, "y", y, expected, forward_mistakes(case, x, w, b))
        check_dtype("conv2d_forward", words, "y", y, dtype)

    return run(check_case, EDGE_CASES, drawn_case())


# The function a learner writes in exercises conv2d_loops and conv2d_im2col (the same
# signature and formula; the two differ in how they ask for it to be computed).
CONV2D_FORWARD_STUB = '''
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


def plug_conv2d_forward(learner, progress):
    """Train SmallCNN with the learner's convolution forward in every layer."""
    ops = {"conv2d_forward": learner.conv2d_forward}
    accuracy = plug.train_small_cnn(ops, progress=progress)
    return f"SmallCNN trained with your conv2d_forward: {accuracy:.1%} test accuracy"
