"""The algorithms, and the fixed rule that picks one when they are not timed.

Every algorithm computes the same convolution (up to float rounding; the tests hold them
to it), so the choice is only about time, and the time depends on the CPU. By default
``tuning.py`` times the algorithms on the machine that runs; this rule decides when timing
is off (``TINYCNN_CONV_TUNING=0``, as in the tests) or a layer is too small to time. Its
thresholds were measured on the machine ``docs/performance.md`` names, which has the
figures; each threshold carries its reason here. It never picks direct, panels or
winograd_panels, which came later.

    im2col    (via_im2col.py)    any convolution; copies the input KH*KW times
    winograd  (via_winograd.py)  3x3, stride 1: 16 multiplications per 2x2 outputs, not 36
    winograd_panels              the same, its GEMMs on the panels' kernel (panel_gemm.py)
    taps      (via_windows.py)   stride 1: one GEMM of depth C/G per tap, input copied once
    rows      (via_windows.py)   stride 1: one GEMM of depth KW*C/G per kernel row
    direct    (via_direct.py)    any convolution; no GEMM, blocked vector FMAs in Numba
    panels    (via_panels.py)    any convolution; im2col's product in Numba, panel by panel
    turned_panels                the same turned around: channels along the tile's columns
                                 (via_turned_panels.py)
"""

from tinycnn.kernels.conv import (
    via_direct,
    via_im2col,
    via_panels,
    via_turned_panels,
    via_windows,
    via_winograd,
)
from tinycnn.kernels.conv.window_grid import WindowGrid
from tinycnn.kernels.runtime import openblas

ALGORITHMS = {
    "im2col": via_im2col,
    "taps": via_windows.TAPS,
    "rows": via_windows.ROWS,
    "winograd": via_winograd,
    "winograd_panels": via_winograd.PANELS,
    "direct": via_direct,
    "panels": via_panels,
    "turned_panels": via_turned_panels,
}

# Winograd's transforms cost per channel and per tile, its GEMMs per pair of channels:
# with few channels, few tiles or short rows of tiles the transforms outweigh the savings.
WINOGRAD_MIN_CHANNELS = 64  # C/G
WINOGRAD_MIN_OUTPUT_SIZE = 14  # min(OH, OW)
WINOGRAD_MIN_TILES = 196  # 2x2 tiles in one part of the batch (a 14x14 output has 49)
# With at most this many output channels OC/G the GEMMs are thin, so only on outputs at
# least this large (DenseNet's 128->32 at 14x14 ran slower by Winograd than by taps).
WINOGRAD_FEW_OUT_CHANNELS = 32
WINOGRAD_FEW_OUT_CHANNELS_MIN_SIZE = 28
# Taps need GEMMs deep enough (C/G) to run near the BLAS peak, few output channels (where
# im2col's copy is dear next to its GEMM), and few taps (each adds into the whole output).
TAPS_MIN_CHANNELS = 64
TAPS_MAX_OUT_CHANNELS = 128
TAPS_MAX_TAPS = 9
# Rows, where taps do not run, pay only with few output channels OC/G.
ROWS_MAX_OUT_CHANNELS = 32
# The window GEMMs are as wide as the grid of a part of the batch: below this many grid
# columns they run far below the BLAS peak.
GRID_MIN_COLUMNS = 512
# The grid computes positions that are thrown away (1.04 per real output at 56x56 with a
# 3x3 kernel, 2.25 at 2x2); that waste costs a share of the GEMM, while im2col's copy costs
# about a share 1/(OC/G) of it. So the waste may exceed 1 by at most this over OC/G.
GRID_WASTE_OUT_CHANNELS = 32


def choose(geo, part_images):
    """The algorithm (a value of `ALGORITHMS`) that runs a convolution fastest, by the rule.

    Args:
        geo: the layer's `ConvGeometry`.
        part_images: images each core convolves (the batch is split over the cores).
    """
    if geo.is_pointwise or not via_windows.TAPS.computes(geo) or not openblas.HAS_CBLAS:
        return via_im2col  # taps, rows and Winograd call OpenBLAS directly, stride 1 only
    TH, TW = via_winograd.tile_counts(geo.OH, geo.OW)
    if (
        via_winograd.computes(geo)
        and geo.CG >= WINOGRAD_MIN_CHANNELS
        and min(geo.OH, geo.OW) >= WINOGRAD_MIN_OUTPUT_SIZE
        and part_images * TH * TW >= WINOGRAD_MIN_TILES
        and (
            geo.OCG > WINOGRAD_FEW_OUT_CHANNELS
            or min(geo.OH, geo.OW) >= WINOGRAD_FEW_OUT_CHANNELS_MIN_SIZE
        )
    ):
        return via_winograd
    window_grid = WindowGrid(geo)
    max_waste = 1 + GRID_WASTE_OUT_CHANNELS / geo.OCG
    if (
        part_images * window_grid.plane < GRID_MIN_COLUMNS
        or window_grid.waste(geo.OH, geo.OW) > max_waste
    ):
        return via_im2col
    taps = geo.KH * geo.KW
    if geo.CG >= TAPS_MIN_CHANNELS and geo.OCG <= TAPS_MAX_OUT_CHANNELS and taps <= TAPS_MAX_TAPS:
        return via_windows.TAPS
    if geo.OCG <= ROWS_MAX_OUT_CHANNELS:
        return via_windows.ROWS
    return via_im2col
