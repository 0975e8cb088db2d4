"""The textbook im2col, col2im and convolution against the float64 loop oracles."""

import numpy as np
from hypothesis import example, given, settings
from strategies import conv_cases, random_array
from textbook_cases import DTYPES, SEEDS, conv_scales
from tolerance import assert_close

from tinycnn.kernels import reference, textbook
from tinycnn.kernels.textbook.im2col import conv_output_size

EDGE_CASES = [  # as conv_cases draws them: N, C, OC, G, H, W, KH, KW, stride, padding, dilation
    (1, 1, 1, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1)),  # 1x1 everything
    (2, 2, 2, 1, 5, 5, 5, 5, (1, 1), (0, 0), (1, 1)),  # one output pixel
    (1, 2, 4, 2, 7, 6, 3, 2, (3, 2), (2, 1), (2, 1)),  # stride, padding, dilation, groups
]


def shapes_and_geometry(case):
    """x_shape, w_shape and (stride, padding, dilation, groups) of a conv_cases case."""
    N, C, OC, G, H, W, KH, KW, stride, padding, dilation = case
    return (N, C, H, W), (OC, C // G, KH, KW), (stride, padding, dilation, G)


@settings(max_examples=25, deadline=None)
@given(conv_cases(), DTYPES, SEEDS)
@example(EDGE_CASES[0], np.float32, 0)
@example(EDGE_CASES[1], np.float64, 1)
@example(EDGE_CASES[2], np.float32, 2)
def test_conv2d_matches_oracle(case, dtype, seed):
    x_shape, w_shape, geometry = shapes_and_geometry(case)
    stride, padding, dilation, _ = geometry
    x = random_array(seed, x_shape, dtype)
    w = random_array(seed + 1, w_shape, dtype)
    b = random_array(seed + 2, w_shape[:1], dtype)
    OH = conv_output_size(x_shape[2], w_shape[2], stride[0], padding[0], dilation[0])
    OW = conv_output_size(x_shape[3], w_shape[3], stride[1], padding[1], dilation[1])
    dy = random_array(seed + 3, (x_shape[0], w_shape[0], OH, OW), dtype)
    forward, backward_input, backward_weight = conv_scales(x, w, dy, *geometry)

    y = textbook.conv2d_forward(x, w, b, *geometry)
    assert_close(y, reference.conv2d_forward(x, w, b, *geometry), dtype, forward + np.abs(b).max())
    no_bias = textbook.conv2d_forward(x, w, None, *geometry)
    assert_close(no_bias, reference.conv2d_forward(x, w, None, *geometry), dtype, forward)
    dx = textbook.conv2d_backward_input(dy, w, x_shape, *geometry)
    dx_ref = reference.conv2d_backward_input(dy, w, x_shape, *geometry)
    assert_close(dx, dx_ref, dtype, backward_input)
    dw = textbook.conv2d_backward_weight(dy, x, w_shape, *geometry)
    dw_ref = reference.conv2d_backward_weight(dy, x, w_shape, *geometry)
    assert_close(dw, dw_ref, dtype, backward_weight)


@settings(max_examples=25, deadline=None)
@given(conv_cases(), DTYPES, SEEDS)
def test_im2col_and_col2im_match_oracles(case, dtype, seed):
    x_shape, (_, _, KH, KW), (stride, padding, dilation, _) = shapes_and_geometry(case)
    geometry = (KH, KW, *stride, *padding, *dilation)
    x = random_array(seed, x_shape, dtype)
    cols = textbook.im2col(x, *geometry)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, reference.im2col(x, *geometry))  # copies: exact
    dcols = random_array(seed + 1, cols.shape, dtype)
    dx = textbook.col2im(dcols, x_shape, *geometry)
    dx_ref = reference.col2im(dcols, x_shape, *geometry)
    assert_close(dx, dx_ref, dtype, np.abs(dcols).max() * KH * KW)
