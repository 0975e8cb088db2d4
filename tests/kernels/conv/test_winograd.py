"""Winograd's transforms against the matrices of Lavin and Gray's paper, and their adjoints."""

import numpy as np
import pytest

from tinycnn.kernels.conv import winograd

# F(2x2, 3x3), written out here as in the paper, independently of the kernels' formulas.
B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)

# (N, C, H, W, PH, PW): odd and even outputs, padding 0 to 2, a single pixel.
SHAPES = [(2, 3, 6, 6, 1, 1), (1, 2, 7, 5, 0, 2), (2, 1, 1, 1, 1, 1), (1, 2, 4, 9, 2, 0)]


def tiles_of(H, W, PH, PW):
    """(TH, TW, OH, OW) of a 3x3 convolution with stride 1."""
    OH, OW = H + 2 * PH - 2, W + 2 * PW - 2
    return -(-OH // 2), -(-OW // 2), OH, OW


def numpy_input_tiles(x, PH, PW, TH, TW):
    """B^T d B of every 4x4 tile d of the padded images, with NumPy."""
    N, C, H, W = x.shape
    padded = np.zeros((N, C, 2 * TH + 2, 2 * TW + 2))
    padded[:, :, PH : PH + H, PW : PW + W] = x
    V = np.empty((4, 4, C, N, TH, TW))
    for th in range(TH):
        for tw in range(TW):
            d = padded[:, :, 2 * th : 2 * th + 4, 2 * tw : 2 * tw + 4]  # (N, C, 4, 4)
            V[:, :, :, :, th, tw] = np.einsum("ik,nckl,jl->ijcn", B_T, d, B_T)
    return V.reshape(16, C, N * TH * TW)


def numpy_output_tiles(M, N, OC, TH, TW, OH, OW):
    """A^T M A of every tile, put in place and cut to OH x OW, with NumPy."""
    M = M.reshape(4, 4, OC, N, TH, TW)
    y = np.empty((N, OC, 2 * TH, 2 * TW))
    for th in range(TH):
        for tw in range(TW):
            block = np.einsum("ik,klon,jl->noij", A_T, M[:, :, :, :, th, tw], A_T)
            y[:, :, 2 * th : 2 * th + 2, 2 * tw : 2 * tw + 2] = block
    return y[:, :, :OH, :OW]


def test_filter_transform_is_g_g_gt(build):
    w = np.random.default_rng(0).standard_normal((6, 2, 3, 3))
    U = winograd.filter_transform(w, groups=2)  # (16, G, OC/G, C/G)
    expected = np.einsum("ik,ockl,jl->ijoc", G, w, G).reshape(16, 2, 3, 2)
    np.testing.assert_allclose(U, expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_input_tiles_are_bt_d_b(build, shape):
    N, C, H, W, PH, PW = shape
    TH, TW, _, _ = tiles_of(H, W, PH, PW)
    x = np.random.default_rng(1).standard_normal((N, C, H, W))
    V = np.full((16, C, N * TH * TW), np.nan)
    winograd.input_tiles(x, PH, PW, TH, TW, V, work=V.size)
    np.testing.assert_allclose(V, numpy_input_tiles(x, PH, PW, TH, TW), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape", SHAPES)
def test_output_tiles_are_at_m_a(build, shape):
    N, OC, H, W, PH, PW = shape
    TH, TW, OH, OW = tiles_of(H, W, PH, PW)
    M = np.random.default_rng(2).standard_normal((16, OC, N * TH * TW))
    y = np.full((N, OC, OH, OW), np.nan)
    winograd.output_tiles(M, TH, TW, y, work=y.size)
    expected = numpy_output_tiles(M, N, OC, TH, TW, OH, OW)
    np.testing.assert_allclose(y, expected, rtol=1e-14, atol=1e-14)


def assert_adjoint(forward_value, probe, adjoint_value, value):
    """<T value, probe> = <value, T^T probe>, to rounding of the terms."""
    left, right = np.vdot(forward_value, probe), np.vdot(value, adjoint_value)
    bound = 1e-12 * (np.abs(forward_value * probe).sum() + np.abs(value * adjoint_value).sum())
    assert abs(left - right) <= bound


@pytest.mark.parametrize("shape", SHAPES)
def test_tile_transforms_have_their_adjoints(build, shape):
    N, C, H, W, PH, PW = shape
    TH, TW, OH, OW = tiles_of(H, W, PH, PW)
    rng = np.random.default_rng(3)
    L = N * TH * TW

    x, dV = rng.standard_normal((N, C, H, W)), rng.standard_normal((16, C, L))
    V, dx = np.empty((16, C, L)), np.full_like(x, np.nan)
    winograd.input_tiles(x, PH, PW, TH, TW, V, work=V.size)
    winograd.input_tiles_adjoint(dV, PH, PW, TH, TW, dx, work=dx.size)
    assert_adjoint(V, dV, dx, x)

    M, dy = rng.standard_normal((16, C, L)), rng.standard_normal((N, C, OH, OW))
    y, dM = np.empty((N, C, OH, OW)), np.full((16, C, L), np.nan)
    winograd.output_tiles(M, TH, TW, y, work=y.size)
    winograd.output_tiles_adjoint(dy, TH, TW, dM, work=dM.size)
    assert_adjoint(y, dy, dM, M)


def test_filter_transform_has_its_adjoint(build):
    rng = np.random.default_rng(4)
    w, dU = rng.standard_normal((5, 3, 3, 3)), rng.standard_normal((16, 5, 3))
    U = winograd.filter_transform(w, groups=1).reshape(16, 5, 3)
    assert_adjoint(U, dU, winograd.filter_transform_adjoint(dU), w)


def test_float32_stays_float32():
    x = np.ones((1, 2, 4, 4), dtype=np.float32)
    V = np.empty((16, 2, 4), dtype=np.float32)
    winograd.input_tiles(x, 1, 1, 2, 2, V, work=V.size)
    assert winograd.filter_transform(np.ones((2, 2, 3, 3), np.float32), 1).dtype == np.float32
    assert winograd.filter_transform_adjoint(V[:, :, :2].copy()).dtype == np.float32
