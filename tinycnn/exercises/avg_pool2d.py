"""Exercise avg_pool2d: average pooling, forward and backward, with torch's divisors."""

import numpy as np

from tinycnn.exercises import plug, pool_cases
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference
from tinycnn.nn import AvgPool2d, MaxPool2d

NAME = "avg_pool2d"
SUMMARY = "average pooling: each window's mean (torch's divisors), and its gradient"
FUNCTIONS = ("avg_pool2d_forward", "avg_pool2d_backward")
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise avg_pool2d. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override=None):
    """Average pooling.

        y[n, c, oh, ow] = (sum of x over the window's positions inside x) / divisor

    The window of output row oh spans rows oh*SH - PH .. oh*SH - PH + KH - 1, cut at the
    end of the padded input (row H + PH - 1); columns likewise. The divisor:
    - divisor_override, if it is not None;
    - else, if count_include_pad, the number of the window's positions on the padded input
      (padding counts, the part of a ceil-mode window beyond the padding does not);
    - else the number of its positions inside x.
    OH = (H + 2*PH - KH) // SH + 1, rounded up instead with ceil_mode, as in max_pool2d
    (a last window must start inside the input or its top/left padding).

    Args:
        x: input. kernel_size: (KH, KW). stride: (SH, SW). padding: (PH, PW), at most
            half the kernel. ceil_mode, count_include_pad: booleans, see above.
        divisor_override: None or an int.

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW), of x's dtype.
    """
    raise NotImplementedError


def avg_pool2d_backward(dy, x_shape, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override=None):
    """Gradient of average pooling: each window shares dy / divisor among its positions.

        dx[n, c, ih, iw] = sum over windows (oh, ow) holding (ih, iw) of dy[n, c, oh, ow] / divisor

    Shape:
        dy: (N, C, OH, OW); dx: x_shape = (N, C, H, W), of dy's dtype.
    """
    raise NotImplementedError
'''


def _mistakes(x, geometry):
    kernel, stride, padding, ceil_mode, count_include_pad = geometry
    window = kernel[0] * kernel[1]
    return [
        Mistake(
            "the window sums are not divided: divide each by its divisor",
            lambda: reference.avg_pool2d_forward(x, *geometry) * window,
        ),
        Mistake(
            "count_include_pad=False divides by the number of positions inside x, not by KH*KW",
            lambda: reference.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, True),
        ),
        Mistake(
            "count_include_pad=True divides by the window's size on the padded input, "
            "padding included",
            lambda: reference.avg_pool2d_forward(x, kernel, stride, padding, ceil_mode, False),
        ),
        Mistake(
            "ceil_mode is ignored: with ceil_mode the number of windows rounds up",
            lambda: reference.avg_pool2d_forward(
                x, kernel, stride, padding, not ceil_mode, count_include_pad
            ),  # fmt: skip
        ),
    ]


def _backward_mistakes(dy, x_shape, geometry):
    window = geometry[0][0] * geometry[0][1]
    return [
        Mistake(
            "each window's dy is not divided: every position gets dy / divisor",
            lambda: reference.avg_pool2d_backward(dy, x_shape, *geometry) * window,
        ),
    ]


def check(learner):
    """Check forward and backward against the loop oracles (both count_include_pad), then
    divisor_override, then gradcheck."""

    def check_case(case):
        x_shape, kernel, stride, padding, ceil_mode, dtype = case
        x = pool_cases.input_array(case)
        for count_include_pad in (True, False):
            geometry = (kernel, stride, padding, ceil_mode, count_include_pad)
            words = f"{pool_cases.describe(case)}, count_include_pad = {count_include_pad}"
            y = call("avg_pool2d_forward", words, learner.avg_pool2d_forward, x, *geometry)
            expected = reference.avg_pool2d_forward(x, *geometry)
            compare("avg_pool2d_forward", words, "y", y, expected, _mistakes(x, geometry))
            check_dtype("avg_pool2d_forward", words, "y", y, dtype)
            dy = pool_cases.output_gradient(expected.shape, dtype)
            dx = call("avg_pool2d_backward", words, learner.avg_pool2d_backward,
                      dy, x_shape, *geometry)  # fmt: skip
            expected = reference.avg_pool2d_backward(dy, x_shape, *geometry)
            compare("avg_pool2d_backward", words, "dx", dx, expected,
                    _backward_mistakes(dy, x_shape, geometry))  # fmt: skip
            check_dtype("avg_pool2d_backward", words, "dx", dx, dtype)

    cases = run(check_case, pool_cases.EDGE_CASES, pool_cases.drawn_case())
    _check_divisor_override(learner)
    _gradcheck(learner)
    return cases + 2


def _check_divisor_override(learner):
    case = ((1, 2, 5, 4), (3, 3), (2, 1), (1, 1), True, np.float64)
    geometry = ((3, 3), (2, 1), (1, 1), True, True, 4)
    x = pool_cases.input_array(case)
    words = f"{pool_cases.describe(case)}, divisor_override = 4"
    y = call("avg_pool2d_forward", words, learner.avg_pool2d_forward, x, *geometry)
    expected = reference.avg_pool2d_forward(x, *geometry)
    compare("avg_pool2d_forward", words, "y", y, expected)
    dy = pool_cases.output_gradient(expected.shape, np.float64)
    dx = call("avg_pool2d_backward", words, learner.avg_pool2d_backward,
              dy, x.shape, *geometry)  # fmt: skip
    compare("avg_pool2d_backward", words, "dx", dx,
            reference.avg_pool2d_backward(dy, x.shape, *geometry))  # fmt: skip


def _gradcheck(learner):
    """gradcheck on ceil-mode windows without counting the padding."""
    case = ((1, 2, 5, 6), (3, 2), (2, 2), (1, 1), True, np.float64)
    geometry = ((3, 2), (2, 2), (1, 1), True, False)
    x = pool_cases.input_array(case, seed=3)

    def forward(x):
        return learner.avg_pool2d_forward(x, *geometry), x.shape

    def backward(dy, x_shape):
        return (learner.avg_pool2d_backward(dy, x_shape, *geometry),)

    words = f"{pool_cases.describe(case)}, count_include_pad = False"
    check_gradient("avg_pool2d_backward", words, forward, backward, (x,), (True,))


def plug_in(learner, progress):
    """Train SmallCNN with average pooling (the learner's) in place of its max pooling."""
    ops = {
        "avg_pool2d_forward": learner.avg_pool2d_forward,
        "avg_pool2d_backward": learner.avg_pool2d_backward,
    }

    def average_pooling(model):
        return plug.replace_each(model, MaxPool2d, lambda layer: AvgPool2d(2))

    accuracy = plug.train_small_cnn(ops, average_pooling, progress=progress)
    return f"SmallCNN with your average pooling for max pooling: {accuracy:.1%} test accuracy"
