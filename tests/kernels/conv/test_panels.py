"""The panel convolutions (via_panels.py, via_turned_panels.py), every pass, against oracles.

`check_all` (from test_conv.py) compares each pass with the float64 loop oracle in
``kernels/reference.py``, within the tolerance of ``tests/tolerance.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, float_dtypes, seeds
from test_conv import EDGE_CASES, check_all, make_case, spy_on_spread
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import conv
from tinycnn.kernels.conv import panel_gemm, via_panels
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime.workspace import WORKSPACE_BYTES


@pytest.fixture
def panels():
    with conv.forced("panels"):
        yield


# Few examples: under NUMBA_DISABLE_JIT=1 (as CI runs tests/kernels) the kernels are
# Python loops.
@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(conv_cases(), float_dtypes, st.sampled_from([1, WORKSPACE_BYTES]), seeds)
def test_panels_matches_oracle(build, panels, case, dtype, max_workspace_bytes, seed):
    # 1 byte of workspace: one image per chunk.
    check_all(case, dtype, max_workspace_bytes, seed)


# (N, C, OC, G, H, W, KH, KW, stride, padding, dilation): what the panels and tiles of
# via_panels must get right beyond test_conv's edge cases.
PANELS_CASES = {
    # 5 images of 3 x 3 pixels: 45 pixels, so one panel of 48 columns holds all the images
    # and 3 columns that repeat the first pixel; a run of 3 per output row.
    "images side by side in one panel": (5, 3, 6, 1, 5, 5, 3, 3, (1, 1), (1, 1), (1, 1)),
    # 2 groups of 7 output channels (rows of A padded to 8 by repeating the last) and
    # 17*3*3 = 153 summed rows: two blocks of ROW_BLOCK = 128, the last of 25.
    "past one row block, 7 outputs a group": (2, 34, 14, 2, 6, 7, 3, 3, (1, 1), (1, 1), (1, 1)),
    # 2 images of 26 x 21 outputs = 1092 pixels: 23 panels, several macro panels, and runs
    # of 21 cut at panels' edges.
    "several macro panels": (2, 2, 3, 1, 26, 21, 1, 1, (1, 1), (0, 0), (1, 1)),
    # the narrower tiles of a last panel: 2 images of 4x4 are 32 pixels (a tile of 4 x 32),
    # 1 image of 4x4 is 16 (4 x 16), 3 images of 5x5 are 75 (48, then 27 in a 4 x 32)
    "32 pixels: the 4 x 32 tile": (2, 5, 6, 1, 4, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    "16 pixels: the 4 x 16 tile": (1, 5, 6, 1, 4, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    "75 pixels: a panel of 48, then 27": (3, 5, 6, 1, 5, 5, 3, 3, (1, 1), (1, 1), (1, 1)),
    "dilated, padded unevenly": (2, 3, 4, 1, 9, 8, 3, 2, (1, 1), (2, 1), (2, 3)),
    "1x1 unpadded: runs as long as a panel": (3, 4, 5, 1, 8, 6, 1, 1, (1, 1), (0, 0), (1, 1)),
    # 2 x 3 phases of 5 x 4 padded pixels (the last row and column of some phases unused);
    # dilation 2 with stride 2 puts every tap of a row in the same phase
    "strided 3x3, dilated": (2, 3, 5, 1, 9, 9, 3, 3, (2, 3), (1, 2), (2, 1)),
    # ResNet's downsampling 1x1/2: one phase of four read; AlexNet's stem, 11x11/4
    "1x1 stride 2, odd size": (2, 6, 4, 1, 7, 9, 1, 1, (2, 2), (0, 0), (1, 1)),
    "11x11 stride 4": (1, 3, 4, 1, 23, 27, 11, 11, (4, 4), (2, 2), (1, 1)),
    # input gradients by phases: padding wider than the kernel's reach (one phase), a
    # phase that no tap of a 2x2 kernel with stride 3 reads (it is 0), and 2 groups strided
    # and padded beyond the kernel
    "padding wider than the kernel": (2, 3, 4, 1, 5, 5, 3, 3, (1, 1), (3, 0), (1, 1)),
    "stride 3, 2x2: a phase no tap reads": (2, 3, 4, 1, 8, 7, 2, 2, (3, 3), (0, 1), (1, 1)),
    "2 groups, stride 2, wide padding": (2, 4, 6, 2, 6, 5, 3, 3, (2, 2), (3, 2), (1, 1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "case",
    list(EDGE_CASES.values()) + list(PANELS_CASES.values()),
    ids=list(EDGE_CASES) + list(PANELS_CASES),
)
def test_panels_edge_cases(build, panels, case, dtype):
    check_all(case, dtype)


SEVERAL_IMAGES = {k: v for k, v in {**EDGE_CASES, **PANELS_CASES}.items() if v[0] >= 2}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SEVERAL_IMAGES.values(), ids=SEVERAL_IMAGES.keys())
def test_images_shared_out_over_the_cores_match_the_oracle(panels, cut_over_images, case, dtype):
    check_all(case, dtype)


def test_a_call_cut_into_parts_of_images_shares_them_out_itself(
    panels, cut_over_images, monkeypatch
):
    spreads = spy_on_spread(monkeypatch, via_panels)
    # 5 images: runs of 3 and 2; a padded 3x3, so the input gradient is by the flipped kernel
    case = PANELS_CASES["images side by side in one panel"]
    x, w, b, dy = make_case(0, np.float32, *case)
    geometry = (case[8], case[9], case[10], case[3])

    def forward_and_input_gradient():
        y = conv.conv2d_forward(x, w, b, *geometry)
        return y, conv.conv2d_backward_input(dy, w, x.shape, *geometry)

    shared_out = forward_and_input_gradient()
    assert spreads == [True, True]
    # Each pixel's sum is the same as the parts' on the thread pool: the same bits.
    monkeypatch.setattr(conv, "_spreading", lambda *args: None)
    as_parts = forward_and_input_gradient()
    assert spreads == [True, True] + [False] * 4  # each pass: a call per part
    for a, b in zip(shared_out, as_parts, strict=True):
        np.testing.assert_array_equal(a, b)


# (N, C, OC, G, H, W, KH, KW, stride, padding, dilation): the turned panels' blocks of 48
# channels, in the forward pass (output channels) and the input gradient (input channels);
# the weight gradient's blocks of output channels are the panels' (test_panels_edge_cases)
TURNED_CASES = {
    "49 output channels: a second block of 1": (2, 3, 49, 1, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    "50 input channels, 2 groups of 48 and 2": (2, 100, 6, 2, 4, 5, 3, 3, (1, 1), (1, 1), (1, 1)),
    "96 channels, strided (dx by phases)": (1, 96, 96, 1, 7, 6, 3, 3, (2, 2), (1, 1), (1, 1)),
    # the last block's narrower tiles: 48 + 32 output channels (a tile of 32), and 20
    # input channels (a block of one tile of 32) with 2 groups of 30 output channels
    "80 output channels: 48, then 32": (2, 3, 80, 1, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    "20 input channels, 2 groups of 30": (2, 40, 60, 2, 5, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    # 3 images of 10x10: 300 pixels, summed PIXELS_AT_ONCE = 256 at a time, then 44
    "300 pixels: two runs of pixels": (3, 4, 20, 1, 10, 10, 3, 3, (1, 1), (1, 1), (1, 1)),
}


@pytest.mark.parametrize("case", TURNED_CASES.values(), ids=TURNED_CASES.keys())
def test_turned_panels_blocks_of_48_channels(build, case):
    with conv.forced("turned_panels"):
        check_all(case, np.float32)


@pytest.mark.parametrize(
    "stride, padding, dilation, flipped",
    [
        ((1, 1), (1, 1), (1, 1), True),
        ((2, 2), (1, 1), (1, 1), False),  # the input gradient is no stride-1 convolution
        ((1, 1), (3, 1), (1, 1), False),  # padding wider than the kernel: P' = 2 - 3 < 0
        ((1, 1), (2, 1), (1, 1), True),  # P' = 2 - 2 = 0
        ((1, 1), (2, 2), (2, 2), True),  # dilated: the kernel spans 5, P' = 4 - 2
    ],
)
def test_panels_computes_every_layer_and_the_flipped_kernel_where_it_is_dx(
    stride, padding, dilation, flipped
):
    geo = ConvGeometry.of((1, 2, 9, 9), (3, 2, 3, 3), stride, padding, dilation, 1)
    assert via_panels.computes(geo)
    assert via_panels.flipped_kernel_computes(geo) is flipped


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "M, K, N",
    [
        (7, 13, 50),  # rows not a multiple of 4, one panel and a bit
        (12, 300, 100),  # several row blocks of 128 and panels of 48
        (130, 5, 3),  # fewer columns than one panel
        # the last panel's tile: 4 x 16 (16 columns and 64 = 48 + 16), 4 x 32 (17, 32, 80),
        # 4 x 48 (33)
        (6, 20, 16),
        (6, 20, 17),
        (6, 140, 32),
        (6, 20, 33),
        (6, 20, 64),
        (6, 20, 80),
        # and as the channels of matrix_product_transposed (its tile runs along M): 4 x 32
        # (30, and 75 = 48 + 27), 4 x 16 after 48 (60)
        (30, 20, 9),
        (75, 20, 9),
        (60, 20, 9),
    ],
)
def test_matrix_products_equal_numpys(M, K, N, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((M, K)).astype(dtype), rng.standard_normal((K, N)).astype(dtype)
    expected, scale = a @ b, np.abs(a) @ np.abs(b)
    out = np.full((M, N), np.nan, dtype)
    panel_gemm.matrix_product(a, b, out)
    assert_close(out, expected, dtype, scale)
    out[...] = np.nan
    panel_gemm.matrix_product(np.ascontiguousarray(a.T), b, out, a_transposed=True)
    assert_close(out, expected, dtype, scale)
    summed = np.ones((M, N), dtype)  # matrix_product_transposed adds to what is there
    panel_gemm.matrix_product_transposed(a, np.ascontiguousarray(b.T), summed)
    assert_close(summed - 1, expected, dtype, scale + 1)


@pytest.mark.parametrize("stride, padding", [((2, 2), (1, 1)), ((1, 1), (3, 0))])
def test_the_flipped_kernel_tables_refuse_an_input_gradient_they_do_not_describe(stride, padding):
    geo = ConvGeometry.of((1, 2, 9, 9), (3, 2, 3, 3), stride, padding, (1, 1), 1)
    message = r"via_panels: the input gradient by the flipped kernel needs stride \(1, 1\)"
    with pytest.raises(ValueError, match=message):
        via_panels.offset_tables(geo, True, 1, 4)
