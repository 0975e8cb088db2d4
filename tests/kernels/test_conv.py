"""Convolution forward and both backwards, by every algorithm, against the float64 oracles."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinycnn.kernels import (
    conv,
    conv_im2col,
    conv_rows,
    conv_taps,
    conv_winograd,
    grid,
    openblas,
    reference,
)
from tinycnn.kernels.conv import (
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
)
from tinycnn.kernels.im2col import conv_output_size
from tinycnn.kernels.workspace import WORKSPACE_BYTES

RTOL = {np.float32: 1e-4, np.float64: 1e-10}

# The `build` fixture is the same for every example, so sharing it is what we want.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


# Every algorithm but Winograd handles every geometry; Winograd only 3x3 kernels with
# stride 1 and no dilation.
GENERAL_ALGORITHMS = ["im2col", "taps", "rows"]


def _force(name, monkeypatch):
    chosen = conv.ALGORITHMS[name]
    monkeypatch.setattr(conv, "algorithm", lambda *geometry: chosen)
    return name


@pytest.fixture(params=GENERAL_ALGORITHMS)
def algorithm(request, monkeypatch):
    """Run every convolution of the test by one algorithm, whatever `conv.algorithm` picks.

    The choice between them is only about speed.
    """
    return _force(request.param, monkeypatch)


@pytest.fixture(params=list(conv.ALGORITHMS))
def any_algorithm(request, monkeypatch):
    """As `algorithm`, Winograd included: for tests whose convolutions are 3x3, stride 1."""
    return _force(request.param, monkeypatch)


def assert_close(actual, expected, dtype):
    """Agree to RTOL[dtype] of the largest magnitude in ``expected``."""
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    atol = RTOL[dtype] * np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=atol)


def make_case(seed, dtype, N, C, OC, G, H, W, KH, KW, stride, padding, dilation):
    """Random x, w, b of the given dtype and a matching random output gradient dy."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((OC, C // G, KH, KW)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    OH = conv_output_size(H, KH, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, KW, stride[1], padding[1], dilation[1])
    dy = rng.standard_normal((N, OC, OH, OW)).astype(dtype)
    return x, w, b, dy


def check_all(case, dtype, max_workspace_bytes=WORKSPACE_BYTES, seed=0):
    """Run forward and both backwards on ``case`` and compare each with its oracle."""
    N, C, OC, G, H, W, KH, KW, stride, padding, dilation = case
    x, w, b, dy = make_case(seed, dtype, *case)
    geometry = (stride, padding, dilation, G)
    limit = {"max_workspace_bytes": max_workspace_bytes}

    y = conv2d_forward(x, w, b, *geometry, **limit)
    assert_close(y, reference.conv2d_forward(x, w, b, *geometry), dtype)
    y = conv2d_forward(x, w, None, *geometry, **limit)
    assert_close(y, reference.conv2d_forward(x, w, None, *geometry), dtype)

    dx = conv2d_backward_input(dy, w, x.shape, *geometry, **limit)
    assert_close(dx, reference.conv2d_backward_input(dy, w, x.shape, *geometry), dtype)

    dw = conv2d_backward_weight(dy, x, w.shape, *geometry, **limit)
    assert_close(dw, reference.conv2d_backward_weight(dy, x, w.shape, *geometry), dtype)


@st.composite
def axes(draw):
    """One spatial axis: (size, K, S, P, D) with at least one output position."""
    K = draw(st.integers(1, 3))
    S = draw(st.integers(1, 3))
    P = draw(st.integers(0, 2))
    D = draw(st.integers(1, 2))
    span = D * (K - 1) + 1  # pixels covered by one window
    size = draw(st.integers(max(1, span - 2 * P), 7))
    return size, K, S, P, D


@st.composite
def conv_cases(draw):
    """(N, C, OC, G, H, W, KH, KW, stride, padding, dilation), G dividing C and OC."""
    G = draw(st.sampled_from([1, 2, 3]))
    C = G * draw(st.integers(1, 2))
    OC = G * draw(st.integers(1, 2))
    N = draw(st.integers(1, 3))
    H, KH, SH, PH, DH = draw(axes())
    W, KW, SW, PW, DW = draw(axes())
    return N, C, OC, G, H, W, KH, KW, (SH, SW), (PH, PW), (DH, DW)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    conv_cases(),
    st.sampled_from([np.float32, np.float64]),
    # 1 byte forces one image per chunk; the default fits the whole batch in one chunk.
    st.sampled_from([1, 2000, WORKSPACE_BYTES]),
    st.integers(0, 2**32 - 1),
)
def test_conv_matches_oracle(build, algorithm, case, dtype, max_workspace_bytes, seed):
    check_all(case, dtype, max_workspace_bytes, seed)


@st.composite
def winograd_cases(draw):
    """conv_cases with a 3x3 kernel, stride 1 and no dilation: what Winograd runs. Up to 9
    pixels a side, so that outputs of odd and even size cut the last tiles or not."""
    G = draw(st.sampled_from([1, 2, 3]))
    C, OC, N = G * draw(st.integers(1, 2)), G * draw(st.integers(1, 2)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H, W = draw(st.integers(max(1, 3 - 2 * PH), 9)), draw(st.integers(max(1, 3 - 2 * PW), 9))
    return N, C, OC, G, H, W, 3, 3, (1, 1), (PH, PW), (1, 1)


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    winograd_cases(),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from([1, 2000, WORKSPACE_BYTES]),
    st.integers(0, 2**32 - 1),
)
def test_winograd_matches_oracle(build, monkeypatch, case, dtype, max_workspace_bytes, seed):
    _force("winograd", monkeypatch)
    check_all(case, dtype, max_workspace_bytes, seed)


@pytest.mark.parametrize(
    "kernel, stride, dilation",
    [((5, 5), (1, 1), (1, 1)), ((3, 3), (2, 1), (1, 1)), ((3, 3), (1, 1), (1, 2))],
)
def test_winograd_refuses_what_it_cannot_compute(kernel, stride, dilation):
    x = np.ones((1, 2, 8, 8), dtype=np.float32)
    w = np.ones((2, 2, *kernel), dtype=np.float32)
    with pytest.raises(ValueError, match=r"3x3 kernel, stride \(1, 1\) and dilation \(1, 1\)"):
        conv2d_forward(x, w, None, stride, (1, 1), dilation, 1, use="winograd")


# (N, C, OC, G, H, W, KH, KW, stride, padding, dilation)
EDGE_CASES = {
    "kernel equals padded input": (2, 3, 4, 1, 3, 4, 5, 6, (1, 1), (1, 1), (1, 1)),
    "dilated kernel equals input": (2, 2, 3, 1, 5, 5, 3, 3, (2, 1), (0, 0), (2, 2)),
    "stride larger than kernel": (2, 3, 4, 1, 9, 8, 2, 1, (3, 4), (0, 1), (1, 1)),
    "1x1 pointwise": (3, 4, 6, 1, 5, 4, 1, 1, (1, 1), (0, 0), (1, 1)),
    "1x1 pointwise, dilation ignored": (2, 4, 6, 2, 5, 4, 1, 1, (1, 1), (0, 0), (3, 2)),
    "1x1 stride 2": (2, 4, 6, 1, 5, 4, 1, 1, (2, 2), (0, 0), (1, 1)),
    "1x1 padding 1": (2, 4, 6, 1, 3, 4, 1, 1, (1, 1), (1, 1), (1, 1)),
    "1x1 grouped": (2, 6, 4, 2, 3, 3, 1, 1, (1, 1), (0, 0), (1, 1)),
    "depthwise": (2, 5, 5, 5, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1)),
    "depthwise, channel multiplier 2": (2, 3, 6, 3, 5, 5, 3, 3, (2, 2), (1, 1), (1, 1)),
    "two towers (AlexNet groups=2)": (2, 4, 6, 2, 7, 7, 3, 3, (1, 1), (1, 1), (1, 1)),
    "batch of one": (1, 3, 4, 1, 6, 5, 3, 2, (1, 2), (1, 0), (1, 1)),
    "single pixel input": (2, 3, 4, 1, 1, 1, 1, 1, (1, 1), (0, 0), (1, 1)),
    "asymmetric everything": (2, 2, 2, 1, 8, 6, 3, 2, (2, 1), (2, 0), (1, 3)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_conv_edge_cases(build, algorithm, case, dtype):
    check_all(case, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
@pytest.mark.parametrize("blocked", [conv_taps, conv_rows], ids=["taps", "rows"])
def test_grid_algorithms_sum_over_column_blocks(build, blocked, case, dtype, monkeypatch):
    # 64 bytes of output per block: a few grid columns, so every GEMM is split many times.
    monkeypatch.setattr(conv, "algorithm", lambda *geometry: blocked)
    monkeypatch.setattr(grid, "BLOCK_BYTES", 64)
    check_all(case, dtype)


def test_pointwise_fast_path_is_taken_only_for_1x1_stride_1_no_padding():
    assert conv_im2col.is_pointwise(1, 1, (1, 1), (0, 0))
    assert not conv_im2col.is_pointwise(1, 1, (2, 2), (0, 0))
    assert not conv_im2col.is_pointwise(1, 1, (1, 1), (0, 1))
    assert not conv_im2col.is_pointwise(1, 3, (1, 1), (0, 0))


def test_pointwise_images_are_used_in_place_only_from_16_pixels():
    assert conv_im2col.multiplies_in_place(1, 1, (1, 1), (0, 0), 16)
    assert not conv_im2col.multiplies_in_place(1, 1, (1, 1), (0, 0), 15)
    assert not conv_im2col.multiplies_in_place(3, 3, (1, 1), (0, 0), 3136)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("min_pixels", [1, 10**9], ids=["in place", "side by side"])
@pytest.mark.parametrize("name", ["1x1 pointwise", "1x1 grouped", "single pixel input"])
def test_pointwise_kernels_both_ways(build, name, min_pixels, dtype, monkeypatch):
    monkeypatch.setattr(conv_im2col, "POINTWISE_MIN_PIXELS", min_pixels)
    check_all(EDGE_CASES[name], dtype)


# (x shape, w shape, stride, padding, groups): the layer, and the algorithm that should run it.
ALGORITHM_CASES = {
    "ResNet 3x3 64->64 at 56: Winograd": ((8, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1, conv_winograd),
    "5x5 64->32 at 56: rows": ((8, 64, 56, 56), (32, 64, 5, 5), 1, 2, 1, conv_rows),
    "ResNet 3x3 256 at 14: Winograd": ((8, 256, 14, 14), (256, 256, 3, 3), 1, 1, 1, conv_winograd),
    "ResNet 3x3 512 at 7: im2col": ((8, 512, 7, 7), (512, 512, 3, 3), 1, 1, 1, conv_im2col),
    "DenseNet 128->32 at 28: Winograd": ((8, 128, 28, 28), (32, 128, 3, 3), 1, 1, 1, conv_winograd),
    "ResNet 3x3/2 128, strided: im2col": ((8, 128, 56, 56), (128, 128, 3, 3), 2, 1, 1, conv_im2col),
    "DenseNet 3x3 128->32 at 14: taps": ((8, 128, 14, 14), (32, 128, 3, 3), 1, 1, 1, conv_taps),
    "GoogLeNet 5x5 16->32: rows": ((8, 16, 28, 28), (32, 16, 5, 5), 1, 2, 1, conv_rows),
    "3x3 32->32 at 16: rows": ((64, 32, 16, 16), (32, 32, 3, 3), 1, 1, 1, conv_rows),
    "3x3/2 16->32, stride 2: im2col": ((64, 16, 32, 32), (32, 16, 3, 3), 2, 1, 1, conv_im2col),
    "3x3 32->96, many outputs: im2col": ((8, 32, 28, 28), (96, 32, 3, 3), 1, 1, 1, conv_im2col),
    "VGG 512 at 28: Winograd": ((8, 512, 28, 28), (512, 512, 3, 3), 1, 1, 1, conv_winograd),
    "AlexNet 5x5 in 2 groups: im2col": ((8, 96, 27, 27), (256, 48, 5, 5), 1, 2, 2, conv_im2col),
    "AlexNet conv1, 3 channels: im2col": ((8, 3, 224, 224), (64, 3, 11, 11), 4, 2, 1, conv_im2col),
    "1x1 stride 1: no copy at all": ((8, 256, 56, 56), (64, 256, 1, 1), 1, 0, 1, conv_im2col),
    "1x1 stride 2: im2col": ((8, 64, 56, 56), (128, 64, 1, 1), 2, 0, 1, conv_im2col),
    "DenseNet at 7x7, batch 64: taps": ((64, 128, 7, 7), (32, 128, 3, 3), 1, 1, 1, conv_taps),
    "DenseNet 7x7 batch 8: im2col": ((8, 128, 7, 7), (32, 128, 3, 3), 1, 1, 1, conv_im2col),
    "DenseNet 2x2, waste 2.25": ((512, 128, 2, 2), (32, 128, 3, 3), 1, 1, 1, conv_im2col),
    "DenseNet 4x4, waste 1.56: taps": ((64, 128, 4, 4), (32, 128, 3, 3), 1, 1, 1, conv_taps),
    "3x3 128->128 4x4, waste 1.56": ((64, 128, 4, 4), (128, 128, 3, 3), 1, 1, 1, conv_im2col),
}


@pytest.mark.parametrize("case", ALGORITHM_CASES.values(), ids=ALGORITHM_CASES.keys())
def test_algorithm_choice(case, monkeypatch):
    monkeypatch.setattr(conv, "BATCH_PARTS", 2)  # the batch split as on a 2-core machine
    x_shape, w_shape, stride, padding, groups, expected = case
    geometry = ((stride, stride), (padding, padding), (1, 1), groups)
    assert conv.algorithm(x_shape, w_shape, *geometry) is expected


def test_without_numpys_openblas_im2col_runs_everything(monkeypatch):
    monkeypatch.setattr(openblas, "HAS_CBLAS", False)
    geometry = ((1, 1), (1, 1), (1, 1), 1)
    assert conv.algorithm((8, 64, 56, 56), (64, 64, 3, 3), *geometry) is conv_im2col


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_larger_than_one_chunk(build, any_algorithm, dtype):
    # im2col's workspace of one image: columns plus GEMM output, (C*KH*KW + OC) * OH*OW =
    # (27 + 4) * 36 values; allow 2 images per chunk, so 7 images take 4 chunks, the last one
    # partial. The taps' workspace, (C + OC) * (6+2)**2 values, allows 4: 2 chunks; the
    # rows', (C + KW*C + OC) * (6+2)**2, allows 2: 4 chunks. Winograd's, 16 * (C + OC) * 3*3
    # tiles, allows 2: 4 chunks.
    case = (7, 3, 4, 1, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1))
    bytes_per_image = (27 + 4) * 36 * np.dtype(dtype).itemsize
    check_all(case, dtype, max_workspace_bytes=2 * bytes_per_image + 1)


def test_returned_arrays_survive_later_calls(any_algorithm):
    # The scratch buffers are reused between calls; no result may alias them.
    case = (2, 3, 4, 1, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1))
    x, w, b, dy = make_case(0, np.float32, *case)
    geometry = ((1, 1), (1, 1), (1, 1), 1)
    y = conv2d_forward(x, w, b, *geometry)
    dx = conv2d_backward_input(dy, w, x.shape, *geometry)
    dw = conv2d_backward_weight(dy, x, w.shape, *geometry)
    saved = y.copy(), dx.copy(), dw.copy()
    for dtype in (np.float32, np.float64):
        x2, w2, b2, dy2 = make_case(1, dtype, *case)
        conv2d_forward(x2, w2, b2, *geometry)
        conv2d_backward_input(dy2, w2, x2.shape, *geometry)
        conv2d_backward_weight(dy2, x2, w2.shape, *geometry)
    for before, after in zip(saved, (y, dx, dw), strict=True):
        np.testing.assert_array_equal(before, after)


def test_backward_accepts_a_broadcast_gradient(build, any_algorithm):
    # The gradient of y.sum() reaches the kernels as a read-only, zero-stride view of ones.
    case = (2, 4, 6, 2, 5, 5, 3, 3, (1, 1), (1, 1), (1, 1))
    x, w, _, dy = make_case(0, np.float64, *case)
    ones = np.broadcast_to(np.float64(1.0), dy.shape)
    geometry = ((1, 1), (1, 1), (1, 1), 2)
    expected = reference.conv2d_backward_input(ones, w, x.shape, *geometry)
    assert_close(conv2d_backward_input(ones, w, x.shape, *geometry), expected, np.float64)
    expected = reference.conv2d_backward_weight(ones, x, w.shape, *geometry)
    assert_close(conv2d_backward_weight(ones, x, w.shape, *geometry), expected, np.float64)
