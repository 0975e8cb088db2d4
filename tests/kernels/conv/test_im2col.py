"""im2col / col2im against the loop oracles, their adjointness, and the output-size formula."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import float_dtypes, seeds, window_axes
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import reference
from tinycnn.kernels.conv.geometry import conv_output_size
from tinycnn.kernels.conv.im2col import col2im, col2im_into, im2col, im2col_into


@st.composite
def geometries(draw):
    """x shape (N, C, H, W) and the 8 ints KH, KW, SH, SW, PH, PW, DH, DW."""
    H, KH, SH, PH, DH = draw(window_axes(max_kernel=4, max_size=8))
    W, KW, SW, PW, DW = draw(window_axes(max_kernel=4, max_size=8))
    N = draw(st.integers(1, 3))
    C = draw(st.integers(1, 3))
    return (N, C, H, W), (KH, KW, SH, SW, PH, PW, DH, DW)


def side_by_side(oracle_cols):
    """Swap the first two axes: oracle (N, C*KH*KW, OH*OW) <-> ours (C*KH*KW, N, OH*OW)."""
    return oracle_cols.transpose(1, 0, 2)


@pytest.mark.parametrize(
    "size, kernel, stride, padding, dilation, expected",
    [
        (224, 11, 4, 2, 1, 55),  # AlexNet conv1
        (224, 7, 2, 3, 1, 112),  # ResNet conv1
        (56, 3, 1, 1, 1, 56),  # "same" 3x3
        (7, 3, 1, 0, 2, 3),  # dilated: the window spans 5 pixels
        (5, 5, 1, 0, 1, 1),  # kernel as large as the input
        (6, 1, 4, 0, 1, 2),  # stride larger than the kernel
    ],
)
def test_conv_output_size_known_values(size, kernel, stride, padding, dilation, expected):
    assert conv_output_size(size, kernel, stride, padding, dilation) == expected


@settings(max_examples=100, deadline=None)
@given(window_axes(max_kernel=4, max_size=8))
def test_conv_output_size_counts_windows_that_fit(axis):
    size, K, S, P, D = axis
    count = conv_output_size(size, K, S, P, D)
    last_tap = D * (K - 1)  # offset of a window's last tap from its first

    def fits(o):
        return o * S - P + last_tap <= size - 1 + P

    assert count >= 1
    assert fits(count - 1)
    assert not fits(count)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(geometries(), seeds, float_dtypes)
def test_im2col_matches_oracle(build, geometry, seed, dtype):
    x_shape, params = geometry
    x = np.random.default_rng(seed).standard_normal(x_shape).astype(dtype)
    cols = im2col(x, *params)
    assert cols.dtype == dtype
    # im2col only copies values, so it must agree exactly.
    np.testing.assert_array_equal(cols, side_by_side(reference.im2col(x, *params)))


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(geometries(), seeds, float_dtypes)
def test_col2im_matches_oracle(build, geometry, seed, dtype):
    x_shape, params = geometry
    cols_shape = side_by_side(reference.im2col(np.zeros(x_shape), *params)).shape
    cols = np.random.default_rng(seed).standard_normal(cols_shape).astype(dtype)
    dx = col2im(cols, x_shape, *params)
    expected = reference.col2im(side_by_side(cols), x_shape, *params)
    scale = reference.col2im(side_by_side(np.abs(cols)), x_shape, *params)
    assert_close(dx, expected, dtype, scale)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(geometries(), seeds)
def test_col2im_is_adjoint_of_im2col(build, geometry, seed):
    x_shape, params = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    cols_x = im2col(x, *params)
    c = rng.standard_normal(cols_x.shape)
    # <im2col(x), c> == <x, col2im(c)>
    np.testing.assert_allclose(np.vdot(cols_x, c), np.vdot(x, col2im(c, x_shape, *params)))


def test_col2im_sums_overlapping_windows(build):
    # A 2x2 window sliding by 1 over a 3x3 image sees the centre pixel four times.
    cols = np.ones((4, 1, 4), dtype=np.float32)
    dx = col2im(cols, (1, 1, 3, 3), 2, 2, 1, 1, 0, 0, 1, 1)
    expected = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32)
    np.testing.assert_array_equal(dx[0, 0], expected)


def test_into_kernels_overwrite_stale_outputs(build):
    # conv.py hands these kernels reused buffers full of old values, padding included.
    params = (3, 3, 1, 1, 1, 1, 1, 1)
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4))
    cols = np.full((2 * 9, 2, 16), np.nan)
    im2col_into(x, *params, cols, work=cols.size)
    np.testing.assert_array_equal(cols, side_by_side(reference.im2col(x, *params)))
    dx = np.full(x.shape, np.nan)
    col2im_into(cols, *params, dx, False, work=cols.size)
    np.testing.assert_allclose(dx, reference.col2im(side_by_side(cols), x.shape, *params))


def test_im2col_top_left_window():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(im2col(x, 2, 2, 2, 2, 0, 0, 1, 1)[:, 0, 0], [0, 1, 4, 5])


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(geometries(), seeds, st.data())
def test_a_band_of_output_rows_is_those_rows_of_the_whole(build, geometry, seed, data):
    # via_im2col builds the columns of a large image a band of output rows at a time, by
    # moving the padding up: rows oh0 .. oh0 + n - 1 of the whole, and col2im of the bands,
    # added up, is col2im of the whole.
    x_shape, (KH, KW, SH, SW, PH, PW, DH, DW) = geometry
    N, C, H, W = x_shape
    OH = conv_output_size(H, KH, SH, PH, DH)
    OW = conv_output_size(W, KW, SW, PW, DW)
    bounds = sorted(data.draw(st.sets(st.integers(1, OH - 1), max_size=3)) if OH > 1 else [])
    edges = [0, *bounds, OH]
    x = np.random.default_rng(seed).standard_normal(x_shape)
    whole = im2col(x, KH, KW, SH, SW, PH, PW, DH, DW).reshape(C * KH * KW, N, OH, OW)
    dx = np.full(x_shape, np.nan)
    for oh0, oh1 in zip(edges[:-1], edges[1:], strict=True):
        band = np.empty((C * KH * KW, N, (oh1 - oh0) * OW))
        im2col_into(x, KH, KW, SH, SW, PH - oh0 * SH, PW, DH, DW, band, work=band.size)
        np.testing.assert_array_equal(band.reshape(-1, N, oh1 - oh0, OW), whole[:, :, oh0:oh1])
        col2im_into(band, KH, KW, SH, SW, PH - oh0 * SH, PW, DH, DW, dx, oh0 > 0, work=band.size)
    params = (KH, KW, SH, SW, PH, PW, DH, DW)
    whole = whole.reshape(C * KH * KW, N, OH * OW)
    scale = col2im(np.abs(whole), x_shape, *params)
    assert_close(dx, col2im(whole, x_shape, *params), np.float64, scale)
