"""The window grid's two copies against a NumPy construction, and their adjointness."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.conv.window_grid import WindowGrid, grid_to_images, images_to_grid


@st.composite
def grid_cases(draw):
    """(x, padding, HQ, WQ, margin): random images and a grid that holds them."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # A plane must hold the leading padding and the images (the padding after them may be
    # the next plane's); a convolution's grid may be larger (window_grid._pitch).
    HQ = H + PH + draw(st.integers(0, 2))
    WQ = W + PW + draw(st.integers(0, 2))
    margin = draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(seeds))
    x = rng.standard_normal((N, C, H, W))
    return x, (PH, PW), HQ, WQ, margin


def numpy_grid(x, padding, HQ, WQ, margin):
    """The grid built with a zero array and a slice: the definition in window_grid.py."""
    N, C, H, W = x.shape
    PH, PW = padding
    planes = np.zeros((C, N, HQ, WQ))
    planes[:, :, PH : PH + H, PW : PW + W] = x.transpose(1, 0, 2, 3)
    return np.concatenate([planes.reshape(C, -1), np.zeros((C, margin))], axis=1)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(grid_cases())
def test_images_to_grid_matches_numpy_and_overwrites_everything(build, case):
    x, padding, HQ, WQ, margin = case
    expected = numpy_grid(x, padding, HQ, WQ, margin)
    grid = np.full_like(expected, np.nan)  # stale contents must all be overwritten
    images_to_grid(x, *padding, HQ, WQ, grid, work=grid.size)
    np.testing.assert_array_equal(grid, expected)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(grid_cases(), seeds)
def test_grid_to_images_is_the_adjoint_and_inverts_images_to_grid(build, case, seed):
    x, padding, HQ, WQ, margin = case
    grid = np.empty_like(numpy_grid(x, padding, HQ, WQ, margin))
    images_to_grid(x, *padding, HQ, WQ, grid, work=grid.size)
    back = np.full_like(x, np.nan)
    grid_to_images(grid, *padding, HQ, WQ, back, work=back.size)
    np.testing.assert_array_equal(back, x)
    # <images_to_grid(x), g> == <x, grid_to_images(g)> for any g
    g = np.random.default_rng(seed).standard_normal(grid.shape)
    gathered = np.empty_like(x)
    grid_to_images(g, *padding, HQ, WQ, gathered, work=gathered.size)
    # Both sides sum the same products x*g in other orders: rounding of the size of their
    # sum of |x*g|, not of the (possibly cancelling) result.
    scale = np.vdot(np.abs(x), np.abs(gathered))
    assert_close(np.vdot(grid, g), np.vdot(x, gathered), np.float64, scale)


def test_each_padding_is_stored_once_between_neighbours():
    # 56x56 images, 3x3 kernel, padding 1: planes of 57 x 57, not 58 x 58; the windows of
    # the last tap read 2*57 + 2 columns past the last plane.
    geo = ConvGeometry.of((8, 64, 56, 56), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    grid = WindowGrid(geo)
    assert (grid.HQ, grid.WQ, grid.margin) == (57, 57, 2 * 57 + 2)
    assert grid.waste(geo.OH, geo.OW) == 57 * 57 / (56 * 56)
