"""Convolution forward and both backwards, by every algorithm, against the float64 oracles."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, float_dtypes, seeds
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import conv, reference
from tinycnn.kernels.conv import (
    choice,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    parts,
    via_im2col,
    via_windows,
    via_winograd,
)
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime import openblas, threads
from tinycnn.kernels.runtime.workspace import SCRATCH, WORKSPACE_BYTES


@pytest.fixture(params=["im2col", "taps", "rows"])
def algorithm(request):
    """Run every convolution of the test by one algorithm wherever it computes it (taps and
    rows: stride 1). The choice between them is only about speed."""
    with conv.forced(request.param):
        yield request.param


@pytest.fixture(params=list(choice.ALGORITHMS))
def any_algorithm(request):
    """As `algorithm`, Winograd included: for tests whose convolutions are 3x3, stride 1."""
    with conv.forced(request.param):
        yield request.param


def make_case(seed, dtype, N, C, OC, G, H, W, KH, KW, stride, padding, dilation):
    """Random x, w, b of the given dtype and a matching random output gradient dy."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((OC, C // G, KH, KW)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    geo = ConvGeometry.of(x.shape, w.shape, stride, padding, dilation, G)
    dy = rng.standard_normal((N, OC, geo.OH, geo.OW)).astype(dtype)
    return x, w, b, dy


def spy_on_spread(monkeypatch, module):
    """A list that records, in order, the ``spread`` of every call of ``module``'s forward
    pass and input gradient: whether it shared its images out over the cores itself."""
    spreads = []
    for name in ("conv2d_forward", "conv2d_backward_input"):
        real = getattr(module, name)

        def spied(*args, real=real, spread=False):
            spreads.append(spread)
            return real(*args, spread=spread)

        monkeypatch.setattr(module, name, spied)
    return spreads


def check_all(case, dtype, max_workspace_bytes=WORKSPACE_BYTES, seed=0):
    """Run forward and both backwards on ``case`` and compare each with its oracle.

    Each result may be off by rounding errors of the size of the products it sums, so the
    scale is the same oracle run on the absolute values.
    """
    N, C, OC, G, H, W, KH, KW, stride, padding, dilation = case
    x, w, b, dy = make_case(seed, dtype, *case)
    geometry = (stride, padding, dilation, G)
    limit = {"max_workspace_bytes": max_workspace_bytes}
    ax, aw, ab, ady = (np.abs(a) for a in (x, w, b, dy))

    for bias, scale_bias in ((b, ab), (None, None)):
        y = conv2d_forward(x, w, bias, *geometry, **limit)
        expected = reference.conv2d_forward(x, w, bias, *geometry)
        scale = reference.conv2d_forward(ax, aw, scale_bias, *geometry)
        assert_close(y, expected, dtype, scale)

    dx = conv2d_backward_input(dy, w, x.shape, *geometry, **limit)
    expected = reference.conv2d_backward_input(dy, w, x.shape, *geometry)
    assert_close(dx, expected, dtype, reference.conv2d_backward_input(ady, aw, x.shape, *geometry))

    dw = conv2d_backward_weight(dy, x, w.shape, *geometry, **limit)
    expected = reference.conv2d_backward_weight(dy, x, w.shape, *geometry)
    assert_close(dw, expected, dtype, reference.conv2d_backward_weight(ady, ax, w.shape, *geometry))


@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    conv_cases(),
    float_dtypes,
    # 1 byte forces bands of one output row; 2000 one image or a few rows per chunk; the
    # default fits the whole batch in one chunk.
    st.sampled_from([1, 2000, WORKSPACE_BYTES]),
    seeds,
)
def test_conv_matches_oracle(build, algorithm, case, dtype, max_workspace_bytes, seed):
    check_all(case, dtype, max_workspace_bytes, seed)


@pytest.fixture
def cut_over_channels(monkeypatch):
    """Cut every call of the test over channels, as on 6 cores with fewer images than that:
    any layer, into runs of any number of channels."""
    monkeypatch.setattr(threads, "BATCH_PARTS", 6)
    monkeypatch.setattr(parts, "MIN_PART_FLOP", 1)
    monkeypatch.setattr(parts, "CHANNEL_STEP", 1)


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(conv_cases(), float_dtypes, seeds)
def test_conv_cut_over_channels_matches_oracle(
    build, any_algorithm, cut_over_channels, case, dtype, seed
):
    check_all(case, dtype, seed=seed)


# (N, C, OC, G, H, W, KH, KW, stride, padding, dilation), each cut into 2 to 6 parts a pass
CUT_CASES = {
    "batch of one, 3x3": (1, 5, 6, 1, 7, 6, 3, 3, (1, 1), (1, 1), (1, 1)),
    "batch of one, strided": (1, 4, 6, 1, 9, 8, 3, 2, (2, 3), (1, 0), (1, 2)),
    "two images, three parts each": (2, 3, 7, 1, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1)),
    "runs inside 2 groups": (1, 6, 8, 2, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1)),
    "whole groups": (1, 6, 12, 6, 5, 5, 3, 3, (2, 2), (1, 1), (1, 1)),
    "1x1 pointwise": (1, 5, 6, 1, 5, 4, 1, 1, (1, 1), (0, 0), (1, 1)),
    # dw over output channels of the whole batch (parts.weight_heavy), dx over images
    "deep layer on small images": (3, 4, 12, 1, 2, 2, 3, 3, (1, 1), (1, 1), (1, 1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CUT_CASES.values(), ids=CUT_CASES.keys())
def test_conv_cut_over_channels_edge_cases(build, any_algorithm, cut_over_channels, case, dtype):
    N, C, OC, G, H, W, KH, KW, *window = case
    geo = ConvGeometry.of((N, C, H, W), (OC, C // G, KH, KW), *window, G)
    for along in ("out", "in", "weight"):
        split = parts.split(geo, N, along)
        assert all(part.geo != geo for part in split)  # every pass is cut
    check_all(case, dtype)


@st.composite
def winograd_cases(draw):
    """conv_cases with a 3x3 kernel, stride 1 and no dilation: what Winograd runs. Up to 9
    pixels a side, so that outputs of odd and even size cut the last tiles or not."""
    G = draw(st.sampled_from([1, 2, 3]))
    C, OC, N = G * draw(st.integers(1, 2)), G * draw(st.integers(1, 2)), draw(st.integers(1, 3))
    PH, PW = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H, W = draw(st.integers(max(1, 3 - 2 * PH), 9)), draw(st.integers(max(1, 3 - 2 * PW), 9))
    return N, C, OC, G, H, W, 3, 3, (1, 1), (PH, PW), (1, 1)


@pytest.mark.parametrize("name", ["winograd", "winograd_panels"])  # its GEMMs: BLAS, Numba
@settings(max_examples=100, deadline=None, suppress_health_check=FIXTURE_OK)
@given(winograd_cases(), float_dtypes, st.sampled_from([1, 2000, WORKSPACE_BYTES]), seeds)
def test_winograd_matches_oracle(build, name, case, dtype, max_workspace_bytes, seed):
    with conv.forced(name):
        check_all(case, dtype, max_workspace_bytes, seed)


@pytest.mark.parametrize(
    "kernel, stride, dilation",
    [((5, 5), (1, 1), (1, 1)), ((3, 3), (2, 1), (1, 1)), ((3, 3), (1, 1), (1, 2))],
)
def test_winograd_refuses_what_it_cannot_compute(kernel, stride, dilation):
    x = np.ones((1, 2, 8, 8), dtype=np.float32)
    w = np.ones((2, 2, *kernel), dtype=np.float32)
    geo = ConvGeometry.of(x.shape, w.shape, stride, (1, 1), dilation, 1)
    y = np.empty((1, 2, geo.OH, geo.OW), dtype=np.float32)
    with pytest.raises(ValueError, match=r"3x3 kernel, stride \(1, 1\) and dilation \(1, 1\)"):
        via_winograd.conv2d_forward(x, w, None, geo, WORKSPACE_BYTES, y)


def test_forced_refuses_an_unknown_algorithm():
    with pytest.raises(ValueError, match="forced: name must be one of"), conv.forced("fft"):
        pass


def test_forced_applies_where_the_algorithm_computes_and_nowhere_else():
    stride_1 = ((8, 16, 9, 9), (4, 16, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    stride_2 = ((8, 16, 9, 9), (4, 16, 3, 3), (2, 2), (1, 1), (1, 1), 1)
    with conv.forced("winograd"):
        assert set(conv.algorithm_for(*stride_1).values()) == {via_winograd}
        assert set(conv.algorithm_for(*stride_2).values()) == {via_im2col}  # the only one


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
    "dilated, stride 1, wide kernel": (2, 3, 2, 1, 7, 9, 2, 4, (1, 1), (1, 2), (2, 2)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_conv_edge_cases(build, algorithm, case, dtype):
    check_all(case, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_window_gemms_sum_over_column_blocks(build, algorithm, case, dtype, monkeypatch):
    # 64 bytes of output per block: a few grid columns, so every GEMM is split many times.
    monkeypatch.setattr(via_windows, "BLOCK_BYTES", 64)
    check_all(case, dtype)


def test_pointwise_images_are_used_in_place_only_for_1x1_stride_1_unpadded_from_16_pixels():
    def geometry(kernel, stride, padding, size):
        return ConvGeometry.of((1, 4, size, size), (4, 4, kernel, kernel), stride, padding,
                               (1, 1), 1)  # fmt: skip

    assert via_im2col.multiplies_in_place(geometry(1, (1, 1), (0, 0), 4))
    assert not via_im2col.multiplies_in_place(geometry(1, (1, 1), (0, 0), 3))  # 9 pixels
    assert not via_im2col.multiplies_in_place(geometry(1, (2, 2), (0, 0), 8))
    assert not via_im2col.multiplies_in_place(geometry(1, (1, 1), (0, 1), 8))
    assert not via_im2col.multiplies_in_place(geometry(3, (1, 1), (0, 0), 8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("min_pixels", [1, 10**9], ids=["in place", "side by side"])
@pytest.mark.parametrize("name", ["1x1 pointwise", "1x1 grouped", "single pixel input"])
def test_pointwise_kernels_both_ways(build, name, min_pixels, dtype, monkeypatch):
    monkeypatch.setattr(via_im2col, "POINTWISE_MIN_PIXELS", min_pixels)
    check_all(EDGE_CASES[name], dtype)


# Layers of the five architectures at batch 2 (x shape, w shape, stride, padding, groups):
# whichever algorithm the rule picks for them on any machine, each computes the same.
REAL_LAYERS = {
    "ResNet 3x3 64->64 at 56": ((2, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1),
    "ResNet 3x3 256 at 14": ((2, 256, 14, 14), (256, 256, 3, 3), 1, 1, 1),
    "DenseNet 3x3 128->32 at 14": ((2, 128, 14, 14), (32, 128, 3, 3), 1, 1, 1),
    "DenseNet 3x3 128->32 at 4": ((2, 128, 4, 4), (32, 128, 3, 3), 1, 1, 1),
    "GoogLeNet 5x5 16->32 at 28": ((2, 16, 28, 28), (32, 16, 5, 5), 1, 2, 1),
    "AlexNet 5x5 in 2 groups at 27": ((2, 96, 27, 27), (256, 48, 5, 5), 1, 2, 2),
    "ResNet 3x3/2 128": ((2, 128, 28, 28), (128, 128, 3, 3), 2, 1, 1),
    "ResNet 1x1 256->64": ((2, 256, 14, 14), (64, 256, 1, 1), 1, 0, 1),
}


@pytest.mark.parametrize("layer", REAL_LAYERS.values(), ids=REAL_LAYERS.keys())
def test_every_algorithm_computes_the_same_on_real_layers(layer):
    x_shape, w_shape, s, p, groups = layer
    geometry = ((s, s), (p, p), (1, 1), groups)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(x_shape), rng.standard_normal(w_shape)
    geo = ConvGeometry.of(x_shape, w_shape, *geometry)
    dy = rng.standard_normal((x_shape[0], geo.OC, geo.OH, geo.OW))
    # float64 im2col, held to the loop oracles by the tests above, is the reference here.
    with conv.forced("im2col"):
        expected = (
            conv2d_forward(x, w, None, *geometry),
            conv2d_backward_input(dy, w, x_shape, *geometry),
            conv2d_backward_weight(dy, x, w_shape, *geometry),
        )
        scales = (
            conv2d_forward(np.abs(x), np.abs(w), None, *geometry),
            conv2d_backward_input(np.abs(dy), np.abs(w), x_shape, *geometry),
            conv2d_backward_weight(np.abs(dy), np.abs(x), w_shape, *geometry),
        )
    x32, w32, dy32 = (a.astype(np.float32) for a in (x, w, dy))
    for name, algorithm in choice.ALGORITHMS.items():
        if not algorithm.computes(geo):
            continue
        with conv.forced(name):
            results = (
                conv2d_forward(x32, w32, None, *geometry),
                conv2d_backward_input(dy32, w32, x_shape, *geometry),
                conv2d_backward_weight(dy32, x32, w_shape, *geometry),
            )
        for result, reference_result, scale in zip(results, expected, scales, strict=True):
            assert_close(result, reference_result.astype(np.float32), np.float32, scale)


def test_without_numpys_openblas_im2col_runs_everything(monkeypatch):
    # Winograd and the window GEMMs call NumPy's OpenBLAS directly; without it, im2col runs.
    monkeypatch.setattr(openblas, "HAS_CBLAS", False)
    geo = ConvGeometry.of((8, 64, 56, 56), (64, 64, 3, 3), (1, 1), (1, 1), (1, 1), 1)
    assert choice.choose(geo, part_images=4) is via_im2col


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_larger_than_one_chunk(build, any_algorithm, dtype):
    # im2col's workspace of one image: columns plus GEMM output, (C*KH*KW + OC) * OH*OW =
    # (27 + 4) * 36 values; allow 2 images per chunk, so 7 images take 4 chunks, the last one
    # partial. The taps' workspace, (C + OC) * (6+1)**2 values, allows 4: 2 chunks; the
    # rows', (C + KW*C + OC) * (6+1)**2, allows 2: 4 chunks. Winograd's, 16 * (C + OC) * 3*3
    # tiles, allows 2: 4 chunks.
    case = (7, 3, 4, 1, 6, 6, 3, 3, (1, 1), (1, 1), (1, 1))
    bytes_per_image = (27 + 4) * 36 * np.dtype(dtype).itemsize
    check_all(case, dtype, max_workspace_bytes=2 * bytes_per_image + 1)


def test_one_large_image_is_convolved_in_bands_within_the_workspace_limit(build):
    # One image whose column matrix and GEMM output, (C*KH*KW + OC) * OH*OW * 8 =
    # (3*9*9 + 4) * 40*40 * 8 bytes = 3.2 MB, are 100 times the limit: im2col builds them
    # one output row at a time (79 kB, the least it can), and holds nothing larger.
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 3, 40, 40)), rng.standard_normal((4, 3, 9, 9))
    geometry = ((1, 1), (4, 4), (1, 1), 1)
    dy = rng.standard_normal((1, 4, 40, 40))
    limit = 32_000
    with conv.forced("im2col"):
        whole = (
            conv2d_forward(x, w, None, *geometry),
            conv2d_backward_input(dy, w, x.shape, *geometry),
            conv2d_backward_weight(dy, x, w.shape, *geometry),
        )
        SCRATCH.buffers.clear()  # this thread's buffers, as a new thread would start
        in_bands = (
            conv2d_forward(x, w, None, *geometry, max_workspace_bytes=limit),
            conv2d_backward_input(dy, w, x.shape, *geometry, max_workspace_bytes=limit),
            conv2d_backward_weight(dy, x, w.shape, *geometry, max_workspace_bytes=limit),
        )
    geo = ConvGeometry.of(x.shape, w.shape, *geometry)
    assert len(via_im2col.bands(1, geo, 8, limit // threads.BATCH_PARTS)) > 20
    for banded, reference_result in zip(in_bands, whole, strict=True):
        np.testing.assert_allclose(banded, reference_result, rtol=1e-12, atol=1e-12)
    one_row = (geo.K + geo.OC) * geo.OW * 8
    assert max(buffer.nbytes for buffer in SCRATCH.buffers.values()) <= one_row


@pytest.mark.parametrize(
    "x_shape, w_shape",
    [((0, 3, 5, 5), (4, 3, 3, 3)), ((2, 0, 5, 5), (4, 0, 3, 3))],
    ids=["no images", "no input channels"],
)
def test_empty_inputs_give_empty_or_zero_results(x_shape, w_shape):
    x, w = np.ones(x_shape, np.float32), np.ones(w_shape, np.float32)
    b = np.arange(4, dtype=np.float32)
    geometry = ((1, 1), (0, 0), (1, 1), 1)
    y = conv2d_forward(x, w, b, *geometry)
    assert y.shape == (x_shape[0], 4, 3, 3)
    # With no input channels each output sums no products: it is the bias alone.
    np.testing.assert_array_equal(y, np.broadcast_to(b.reshape(1, 4, 1, 1), y.shape))
    dy = np.ones(y.shape, np.float32)
    assert conv2d_backward_input(dy, w, x_shape, *geometry).shape == x_shape
    dw = conv2d_backward_weight(dy, x, w_shape, *geometry)
    np.testing.assert_array_equal(dw, np.zeros(w_shape, np.float32))


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
    scale = reference.conv2d_backward_input(ones, np.abs(w), x.shape, *geometry)
    expected = reference.conv2d_backward_input(ones, w, x.shape, *geometry)
    assert_close(conv2d_backward_input(ones, w, x.shape, *geometry), expected, np.float64, scale)
    scale = reference.conv2d_backward_weight(ones, np.abs(x), w.shape, *geometry)
    expected = reference.conv2d_backward_weight(ones, x, w.shape, *geometry)
    assert_close(conv2d_backward_weight(ones, x, w.shape, *geometry), expected, np.float64, scale)


def test_a_huge_kernel_on_a_large_image_runs_in_a_process_capped_at_2_gib():
    # A (1, 3, 340, 340) image and a 63x63 kernel: its whole column matrix would take 3.7 GB
    # (3*63*63 rows by 278*278 columns). Built in bands of output rows it fits in the
    # workspace limit, and a process that may not map more than 2 GiB convolves it. One
    # output pixel is checked against its definition, a sum over one window.
    program = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))\n"
        "import numpy as np\n"
        "from tinycnn.kernels import conv\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.standard_normal((1, 3, 340, 340)).astype(np.float32)\n"
        "w = rng.standard_normal((1, 3, 63, 63)).astype(np.float32)\n"
        "with conv.forced('im2col'):\n"
        "    y = conv.conv2d_forward(x, w, None, (1, 1), (0, 0), (1, 1), 1)\n"
        "terms = x[0, :, 100:163, 200:263].astype(np.float64) * w[0]\n"
        "print(y.shape, float(y[0, 0, 100, 200]), terms.sum(), np.abs(terms).sum())\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    shape, figures = done.stdout.rsplit(")", 1)
    value, expected, scale = map(float, figures.split())
    assert shape + ")" == "(1, 1, 278, 278)"
    assert_close(np.float32(value), np.float32(expected), np.float32, scale)
