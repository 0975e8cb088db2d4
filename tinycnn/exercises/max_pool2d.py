"""Exercise max_pool2d: max pooling, forward (with the winners' indices) and backward."""

import numpy as np

from tinycnn.exercises import plug, pool_cases
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import CheckError, Mistake, call, check_dtype, compare
from tinycnn.exercises.gradients import check_gradient
from tinycnn.kernels import reference

NAME = "max_pool2d"
SUMMARY = "max pooling: the largest value of each window, and its gradient"
FUNCTIONS = ("max_pool2d_forward", "max_pool2d_backward")
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise max_pool2d. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True):
    """Max pooling, and where each maximum came from.

        y[n, c, oh, ow] = max over kh, kw of x[n, c, oh*SH - PH + kh, ow*SW - PW + kw]

    Positions in the padding never win (think of them as -inf). Ties: the first element
    in row-major (kh, kw) order wins. indices[n, c, oh, ow] = ih * W + iw, the position
    of the winner inside its own (H, W) plane; the backward pass needs it.

    Number of windows: OH = (H + 2*PH - KH) // SH + 1 (floor mode). With ceil_mode the
    division rounds up, so a last window may hang off the end of the padded input, as
    long as it starts inside the input or its left (top) padding; if it would start in
    the right (bottom) padding it is dropped.

    Args:
        x: input. kernel_size: (KH, KW). stride: (SH, SW). padding: (PH, PW), at most
            half the kernel. dilation: always (1, 1) here. ceil_mode: see above.
        return_indices: return (y, indices) if True, else y alone.

    Shape:
        x: (N, C, H, W); y: (N, C, OH, OW) of x's dtype; indices: (N, C, OH, OW) int64.
    """
    raise NotImplementedError


def max_pool2d_backward(dy, indices, x_shape):
    """Gradient of max pooling: each dy element goes to the input element that won.

        dx[n, c, i // W, i % W] += dy[n, c, oh, ow]   with i = indices[n, c, oh, ow]

    (+=: overlapping windows can share a winner.)

    Shape:
        dy, indices: (N, C, OH, OW); dx: x_shape = (N, C, H, W), of dy's dtype.
    """
    raise NotImplementedError
'''


def _forward_mistakes(x, geometry, ceil_mode):
    kernel, stride, padding, dilation = geometry

    def zero_padding():
        padded = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
        return reference.max_pool2d_forward(padded, kernel, stride, (0, 0), dilation, ceil_mode)

    def last_tie():
        flipped = x[:, :, ::-1, ::-1]  # scanning backwards makes the last tie the first
        y, i = reference.max_pool2d_forward(flipped, kernel, stride, padding, dilation,
                                            ceil_mode)  # fmt: skip
        H, W = x.shape[2:]
        return y, (H - 1 - i // W) * W + (W - 1 - i % W)

    def window_indices():
        y, i = reference.max_pool2d_forward(x, *geometry, ceil_mode)
        W = x.shape[3]
        oh = np.arange(y.shape[2])[:, None]
        ow = np.arange(y.shape[3])
        kh = i // W - (oh * stride[0] - padding[0])
        kw = i % W - (ow * stride[1] - padding[1])
        return y, kh * kernel[1] + kw

    return [
        Mistake(
            "the padding counts as 0 and wins over negative values: pad with -inf "
            "(np.pad(..., constant_values=-np.inf)) or skip positions outside the input",
            zero_padding,
        ),
        Mistake(
            "ties go to the last element: the first in row-major order wins (compare with "
            "> not >=, or np.argmax, which returns the first)",
            last_tie,
        ),
        Mistake(
            "indices count inside the window: they must be ih * W + iw, the position in "
            "the whole (H, W) plane",
            window_indices,
        ),
        Mistake(
            "ceil_mode is ignored: with ceil_mode the number of windows rounds up",
            lambda: reference.max_pool2d_forward(x, *geometry, not ceil_mode),
        ),
    ]


def check(learner):
    """Check forward and backward against the loop oracles, then gradcheck."""

    def check_case(case):
        x_shape, kernel, stride, padding, ceil_mode, dtype = case
        geometry = (kernel, stride, padding, (1, 1))
        x = pool_cases.input_array(case)
        if case == pool_cases.EDGE_CASES[2]:
            x = np.round(x)  # many ties
        words = pool_cases.describe(case)
        result = call("max_pool2d_forward", words, learner.max_pool2d_forward,
                      x, *geometry, ceil_mode)  # fmt: skip
        if not (isinstance(result, tuple) and len(result) == 2):
            raise CheckError(
                "max_pool2d_forward", words, "must return (y, indices) when return_indices=True"
            )
        y, indices = result
        expected_y, expected_indices = reference.max_pool2d_forward(x, *geometry, ceil_mode)
        mistakes = _forward_mistakes(x, geometry, ceil_mode)
        y_mistakes = [Mistake(m.hint, lambda m=m: m.result()[0]) for m in mistakes]
        compare("max_pool2d_forward", words, "y", y, expected_y, y_mistakes)
        check_dtype("max_pool2d_forward", words, "y", y, dtype)
        compare("max_pool2d_forward", words, "indices", np.asarray(indices), expected_indices,
                mistakes, all_results=result)  # fmt: skip
        y_only = call("max_pool2d_forward", words, learner.max_pool2d_forward,
                      x, *geometry, ceil_mode, return_indices=False)  # fmt: skip
        compare("max_pool2d_forward (return_indices=False)", words, "y", y_only, expected_y)

        dy = pool_cases.output_gradient(expected_y.shape, dtype)
        dx = call("max_pool2d_backward", words, learner.max_pool2d_backward,
                  dy, expected_indices, x_shape)  # fmt: skip
        overwrite = Mistake(
            "overlapping windows that share a winner must add up: dx[...] += dy, or "
            "np.add.at (a fancy-indexed `dx[idx] += dy` keeps only one of the repeats)",
            lambda: _scatter_overwriting(dy, expected_indices, x_shape),
        )
        expected_dx = reference.max_pool2d_backward(dy, expected_indices, x_shape)
        compare("max_pool2d_backward", words, "dx", dx, expected_dx, [overwrite])
        check_dtype("max_pool2d_backward", words, "dx", dx, dtype)

    cases = run(check_case, pool_cases.EDGE_CASES, pool_cases.drawn_case())
    _gradcheck(learner)
    return cases + 1


def _scatter_overwriting(dy, indices, x_shape):
    N, C, H, W = x_shape
    dx = np.zeros((N, C, H * W))
    for n in range(N):
        for c in range(C):
            dx[n, c, indices[n, c].ravel()] = dy[n, c].ravel()  # repeats: the last one stays
    return dx.reshape(x_shape)


def _gradcheck(learner):
    """gradcheck on overlapping 3x3 windows with stride 2 and padding."""
    case = ((1, 2, 5, 6), (3, 3), (2, 2), (1, 1), False, np.float64)
    geometry = ((3, 3), (2, 2), (1, 1), (1, 1), False)
    x = pool_cases.input_array(case, seed=3)

    def forward(x):
        y, indices = learner.max_pool2d_forward(x, *geometry)
        return y, (indices, x.shape)

    def backward(dy, saved):
        return (learner.max_pool2d_backward(dy, *saved),)

    check_gradient("max_pool2d_backward", pool_cases.describe(case), forward, backward, (x,),
                   (True,))  # fmt: skip


def plug_in(learner, progress):
    """Train SmallCNN with the learner's max pooling in its three pooling layers."""
    ops = {
        "max_pool2d_forward": learner.max_pool2d_forward,
        "max_pool2d_backward": learner.max_pool2d_backward,
    }
    accuracy = plug.train_small_cnn(ops, progress=progress)
    return f"SmallCNN trained with your max pooling: {accuracy:.1%} test accuracy"
