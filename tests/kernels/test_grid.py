"""The tap grid's two copies against a NumPy construction, and their adjointness."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinycnn.kernels.grid import grid_to_images, images_to_grid

FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@st.composite
def grid_cases(draw):
    """(x, stride, padding, HQ, WQ, margin): random images and a grid that holds them."""
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    SH, SW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    # A plane must hold the leading padding and the images (the padding after them may be
    # the next plane's); a convolution's grid may be larger (grid._phase_pitch).
    HQ = -(-(H + PH) // SH) + draw(st.integers(0, 2))
    WQ = -(-(W + PW) // SW) + draw(st.integers(0, 2))
    margin = draw(st.integers(0, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((N, C, H, W))
    return x, (SH, SW), (PH, PW), HQ, WQ, margin


def numpy_grid(x, stride, padding, HQ, WQ, margin):
    """The grid built with np.pad and strided slices: the definition in grid.py, directly."""
    N, C = x.shape[:2]
    (SH, SW), (PH, PW) = stride, padding
    padded = np.zeros((N, C, HQ * SH, WQ * SW))
    padded[:, :, PH : PH + x.shape[2], PW : PW + x.shape[3]] = x
    grid = np.zeros((SH, SW, C, N * HQ * WQ + margin))
    for a in range(SH):
        for b in range(SW):
            phase = padded[:, :, a::SH, b::SW]  # (N, C, HQ, WQ)
            grid[a, b, :, : N * HQ * WQ] = phase.transpose(1, 0, 2, 3).reshape(C, -1)
    return grid


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(grid_cases())
def test_images_to_grid_matches_numpy_and_overwrites_everything(build, case):
    x, stride, padding, HQ, WQ, margin = case
    expected = numpy_grid(x, stride, padding, HQ, WQ, margin)
    grid = np.full_like(expected, np.nan)  # stale contents must all be overwritten
    images_to_grid(x, *stride, *padding, HQ, WQ, grid, work=grid.size)
    np.testing.assert_array_equal(grid, expected)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(grid_cases(), st.integers(0, 2**32 - 1))
def test_grid_to_images_is_the_adjoint_and_inverts_images_to_grid(build, case, seed):
    x, stride, padding, HQ, WQ, margin = case
    grid = np.empty_like(numpy_grid(x, stride, padding, HQ, WQ, margin))
    images_to_grid(x, *stride, *padding, HQ, WQ, grid, work=grid.size)
    back = np.full_like(x, np.nan)
    grid_to_images(grid, *stride, *padding, HQ, WQ, back, work=back.size)
    np.testing.assert_array_equal(back, x)
    # <images_to_grid(x), g> == <x, grid_to_images(g)> for any g
    g = np.random.default_rng(seed).standard_normal(grid.shape)
    gathered = np.empty_like(x)
    grid_to_images(g, *stride, *padding, HQ, WQ, gathered, work=gathered.size)
    # Both sides sum the same products x*g in other orders, so they may differ by rounding
    # errors of the size of the sum of |x*g|, not of the (possibly cancelling) result.
    scale = np.vdot(np.abs(x), np.abs(gathered))
    np.testing.assert_allclose(np.vdot(grid, g), np.vdot(x, gathered), rtol=0, atol=1e-12 * scale)
