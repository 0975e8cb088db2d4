"""The direct convolution (conv/via_direct.py), forward and both backwards, against the oracles.

`check_all` (from test_conv.py) compares each pass with the float64 loop oracle in
``kernels/reference.py``, within the tolerance of ``tests/tolerance.py``.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import conv_cases, float_dtypes, seeds
from test_conv import CUT_CASES, EDGE_CASES, check_all, make_case, spy_on_spread
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import conv, reference
from tinycnn.kernels.conv import parts, via_direct
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime import threads
from tinycnn.kernels.runtime.workspace import WORKSPACE_BYTES


@pytest.fixture
def direct():
    with conv.forced("direct"):
        yield


# Few examples: under NUMBA_DISABLE_JIT=1 (as CI runs tests/kernels) the kernels are
# Python loops.
@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURE_OK)
@given(conv_cases(), float_dtypes, st.sampled_from([1, WORKSPACE_BYTES]), seeds)
def test_direct_matches_oracle(build, direct, case, dtype, max_workspace_bytes, seed):
    # 1 byte of workspace: one image per chunk.
    check_all(case, dtype, max_workspace_bytes, seed)


# (N, C, OC, G, H, W, KH, KW, stride, padding, dilation): what the blocking of via_direct
# must get right beyond test_conv's edge cases.
DIRECT_CASES = {
    # 5 output and 5*2*2 = 20 summed rows per group: neither a multiple of the 4 x 4 block.
    "rows not a multiple of the block": (2, 10, 10, 2, 5, 5, 2, 2, (1, 1), (0, 1), (1, 1)),
    # 26 x 27 grid columns: more than one PIXEL_BLOCK of 512.
    "more columns than one pixel block": (1, 1, 2, 1, 24, 25, 3, 3, (1, 1), (1, 1), (1, 1)),
    # Taps at rows 0, 2, 4 with stride 3: phases 0, 2, 1; columns 0 and 3: phase 0 only, so
    # the phases (a, 1) and (a, 2) have no tap and their dx comes from no sum at all.
    "phases without taps": (2, 2, 3, 1, 10, 9, 3, 2, (3, 3), (1, 2), (2, 3)),
    "AlexNet-like first layer, stride 4": (1, 3, 5, 1, 19, 19, 11, 11, (4, 4), (2, 2), (1, 1)),
    "depthwise, 7 channels": (2, 7, 7, 7, 6, 5, 3, 3, (1, 2), (1, 1), (1, 1)),
    "one output pixel from a padded input": (2, 3, 4, 1, 2, 2, 4, 4, (1, 1), (1, 1), (1, 1)),
    # the narrower last tiles of a grid: 4x4 outputs of a padded 3x3 are 4 rows of 5 grid
    # columns, 20 (a 4 x 32 tile with AVX-512, 4 x 24 with AVX2); 7x7 are 7 rows of 8, 56,
    # 48 + 8 (4 x 48, then 4 x 16)
    "4x4 outputs: a narrow tile": (2, 5, 6, 1, 4, 4, 3, 3, (1, 1), (1, 1), (1, 1)),
    "7x7 outputs: a tile, then a narrowest": (1, 5, 6, 1, 7, 7, 3, 3, (1, 1), (1, 1), (1, 1)),
    # 10 output rows, 12 input channels: 3 blocks of 4 rows each way, with float32 and
    # AVX-512 a tile of 8 rows and one of 4 (`via_direct.tile_rows`)
    "a tall tile and a short one": (2, 12, 10, 1, 6, 7, 3, 3, (1, 1), (1, 1), (1, 1)),
    # Rows narrower than the padded row (`via_direct._pitch`) where the reads past a row's
    # end only just land on the next row's left padding: one column narrower and they
    # would read pixels (found by a sweep of random geometries against the oracle).
    "narrower rows, stride 2, dilated": (2, 3, 1, 1, 10, 7, 4, 5, (2, 2), (0, 3), (2, 1)),
    "narrower rows, stride 3 x 2": (2, 2, 3, 1, 11, 13, 5, 5, (3, 2), (2, 1), (2, 1)),
    "narrower rows, stride 1 x 2": (2, 4, 1, 1, 11, 13, 2, 6, (1, 2), (0, 3), (2, 2)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "case",
    [*EDGE_CASES.values(), *DIRECT_CASES.values()],
    ids=[*EDGE_CASES.keys(), *DIRECT_CASES.keys()],
)
def test_direct_edge_cases(build, direct, case, dtype):
    check_all(case, dtype)


SEVERAL_IMAGES = {k: v for k, v in {**EDGE_CASES, **DIRECT_CASES}.items() if v[0] >= 2}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", SEVERAL_IMAGES.values(), ids=SEVERAL_IMAGES.keys())
def test_images_shared_out_over_the_cores_match_the_oracle(direct, cut_over_images, case, dtype):
    check_all(case, dtype)


def spy_on_all_three(monkeypatch):
    """Whether each call of via_direct's three passes shared its images out, in order."""
    spreads = spy_on_spread(monkeypatch, via_direct)
    real_weight = via_direct.conv2d_backward_weight

    def spied_weight(*args, runs=None):
        spreads.append(runs is not None)
        return real_weight(*args, runs=runs)

    monkeypatch.setattr(via_direct, "conv2d_backward_weight", spied_weight)
    return spreads


def all_three_passes(case, dtype=np.float32, inf_in_image=None, **limit):
    N, C, OC, G, H, W, KH, KW, stride, padding, dilation = case
    x, w, b, dy = make_case(0, dtype, *case)
    if inf_in_image is not None:  # the weight gradient's sums of that image run row by row
        x[inf_in_image, 0, 0, 0] = np.inf
    geometry = (stride, padding, dilation, G)
    y = conv.conv2d_forward(x, w, b, *geometry, **limit)
    dx = conv.conv2d_backward_input(dy, w, x.shape, *geometry, **limit)
    return y, dx, conv.conv2d_backward_weight(dy, x, w.shape, *geometry, **limit)


@pytest.mark.parametrize("inf_in_image", [None, 0, 1])
def test_a_call_cut_into_parts_of_images_shares_them_out_itself(
    direct, cut_over_images, monkeypatch, inf_in_image
):
    case = DIRECT_CASES["rows not a multiple of the block"]  # 2 images
    spreads = spy_on_all_three(monkeypatch)
    shared_out = all_three_passes(case, inf_in_image=inf_in_image)
    assert spreads == [True, True, True]
    # The same sums in the same order as the two parts on the thread pool: the same bits.
    monkeypatch.setattr(conv, "_spreading", lambda *args: None)
    as_parts = all_three_passes(case, inf_in_image=inf_in_image)
    assert spreads == [True, True, True] + [False] * 6  # each pass: a call per part
    for a, b in zip(shared_out, as_parts, strict=True):
        np.testing.assert_array_equal(a, b)


def test_images_are_not_shared_out_when_a_call_is_cut_over_channels(direct, monkeypatch):
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    monkeypatch.setattr(parts, "MIN_PART_FLOP", 1)
    monkeypatch.setattr(parts, "CHANNEL_STEP", 1)
    spreads = spy_on_all_three(monkeypatch)
    all_three_passes(CUT_CASES["batch of one, 3x3"])  # one image: cut over channels
    assert spreads == [False] * 6  # two channel parts a pass


def test_images_are_not_shared_out_when_their_grids_need_several_chunks(
    direct, cut_over_images, monkeypatch
):
    spreads = spy_on_all_three(monkeypatch)
    all_three_passes(DIRECT_CASES["rows not a multiple of the block"],
                               max_workspace_bytes=1)  # fmt: skip
    assert spreads == [False] * 6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("P", [100, 80])
@pytest.mark.parametrize("rows", [via_direct.BLOCK, via_direct.TALL])
def test_block_sums_compute_the_sums_of_one_block(dtype, P, rows):
    # 10 output rows (padded to 12: with tiles of 8 rows, one of 8 and one of 4), 10 summed
    # rows (padded to 12 with zero weights) and P columns: not multiples of the blocks or
    # of a tile's columns (with AVX-512, 100 = 48 + 48 + 4, the last in a tile of 16, and
    # 80 = 48 + 32; with AVX2's tiles of 24, 100 = 4 * 24 + 4 and 80 = 3 * 24 + 8).
    rng = np.random.default_rng(0)
    M, R, p0 = 10, 10, 3
    offsets = rng.integers(0, 40, 12)
    w = np.zeros((12, 12))
    w[:M, :R] = rng.standard_normal((M, R))
    packed = via_direct._pack(w[None])[0]  # (3, 12, 4)
    x = rng.standard_normal(40 + p0 + P + via_direct.TILE_PIXELS)
    Y = np.full((12, via_direct.PIXEL_BLOCK), np.nan, dtype=dtype)
    via_direct._block_sums(x.astype(dtype), offsets, R, p0, P, packed.astype(dtype), Y, rows)
    runs = np.stack([x[o + p0 : o + p0 + P] for o in offsets[:R]])  # (R, P)
    assert_close(Y[:M, :P], w[:M, :R] @ runs, dtype, np.abs(w[:M, :R]) @ np.abs(runs))


def test_direct_runs_every_geometry():
    strided_dilated_grouped = ((2, 6, 9, 9), (4, 3, 3, 3), (2, 3), (1, 0), (2, 1), 2)
    assert via_direct.computes(ConvGeometry.of(*strided_dilated_grouped))
    with conv.forced("direct"):
        assert set(conv.algorithm_for(*strided_dilated_grouped).values()) == {via_direct}


def test_nan_and_inf_reach_exactly_the_outputs_whose_windows_hold_them(direct):
    # The kernels reassociate sums but assume nothing about inf or NaN (no fastmath nnan,
    # ninf): each reaches the outputs it should, and no other, as in the oracle.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 9, 8))
    x[0, 1, 4, 0], x[1, 2, 8, 7] = np.nan, np.inf
    w = rng.standard_normal((5, 3, 3, 3))
    geometry = ((2, 1), (1, 1), (1, 2), 1)
    y = conv.conv2d_forward(x, w, None, *geometry)
    expected = reference.conv2d_forward(x, w, None, *geometry)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(y), np.isinf(expected))
    assert np.isnan(y).any() and np.isfinite(y).any()
    finite = np.isfinite(expected)
    np.testing.assert_allclose(y[finite], expected[finite], rtol=1e-10, atol=1e-10)


def test_an_inf_in_x_reaches_only_the_weight_gradients_of_taps_that_see_it(direct):
    # Tap kw = 0 of a 3-wide kernel never sees the last input column (OW = W - 2), but the
    # direct kernels' grid runs past it: dw must stay finite where the oracle's is.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2, 5, 6))
    x[1, 0, 2, 5] = np.inf
    w_shape = (3, 2, 3, 3)
    geometry = ((1, 1), (0, 0), (1, 1), 1)
    dy = rng.standard_normal((2, 3, 3, 4))
    dw = conv.conv2d_backward_weight(dy, x, w_shape, *geometry)
    expected = reference.conv2d_backward_weight(dy, x, w_shape, *geometry)
    np.testing.assert_array_equal(np.isfinite(dw), np.isfinite(expected))
    assert np.isfinite(dw).any() and not np.isfinite(dw).all()
    finite = np.isfinite(expected)
    np.testing.assert_allclose(dw[finite], expected[finite], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "shape, padding, stride",
    [
        ((2, 3, 5, 7), (1, 2), (1, 1)),  # padded, stride 1: the plain padded image
        ((1, 2, 9, 8), (2, 1), (3, 2)),  # phases of uneven sizes, padding in some only
        ((1, 1, 3, 3), (0, 0), (4, 4)),  # a stride past the image: phases with no pixel
        ((2, 2, 4, 6), (3, 0), (2, 1)),  # more padding rows than a phase has pixels
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phases_into_splits_the_padded_images_and_zeroes_the_rest(shape, padding, stride, dtype):
    # Against np.pad and slicing: phase (a, b) of the padded image, then zeros up to HQ x WQ.
    n, C, H, W = shape
    (PH, PW), (SH, SW) = padding, stride
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    HQ, WQ = -(-(H + 2 * PH) // SH), -(-(W + 2 * PW) // SW)
    x_pad = np.pad(x, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
    expected = np.zeros((n, C, SH, SW, HQ, WQ), dtype)
    for a in range(SH):
        for b in range(SW):
            phase = x_pad[:, :, a::SH, b::SW]
            expected[:, :, a, b, : phase.shape[2], : phase.shape[3]] = phase
    Q = SH * SW * HQ * WQ
    out = np.full((n, C * Q + 3), 7, dtype)  # 7: any value left unwritten shows
    via_direct.phases_into(x, PH, PW, SH, SW, HQ, WQ, Q, HQ * WQ, out)
    np.testing.assert_array_equal(out[:, : C * Q].reshape(expected.shape), expected)
    assert (out[:, C * Q :] == 7).all()  # nothing written past the last plane


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_all_finite_finds_any_inf_or_nan(dtype, bad):
    # rows of 1001 values: the vectorized loop and its remainder; large and negative values
    # too, whose products with 0 are 0 and -0.
    values = np.random.default_rng(0).standard_normal((2, 1001)).astype(dtype) * 1e30
    assert via_direct._all_finite(values)
    for where in ((0, 0), (1, 500), (1, 1000)):
        spoiled = values.copy()
        spoiled[where] = bad
        assert not via_direct._all_finite(spoiled)
