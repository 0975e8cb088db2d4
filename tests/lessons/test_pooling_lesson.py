"""Lesson `pooling`: the windows each pixel falls in, by hand, and a quick run."""

import numpy as np

from tinycnn.lessons import pooling


def test_windows_per_pixel_against_a_hand_count():
    np.testing.assert_allclose(pooling.windows_per_pixel(2, 2, 0), np.ones((16, 16)))
    # 3x3 windows at stride 2, padding 1, on 16 pixels: window o covers rows 2o-1 .. 2o+1
    # for o = 0..7. Even rows lie in one window, odd rows in two, except row 15 (only o = 7).
    per_row = np.array([1, 2] * 7 + [1, 1])
    np.testing.assert_allclose(pooling.windows_per_pixel(3, 2, 1), np.outer(per_row, per_row))


def test_quick_run_measures_both_poolings_per_seed():
    numbers = pooling.measure(scale="quick", seeds=3)
    shapes = numbers["geometry"]
    plain, overlap = shapes["2x2, stride 2"], shapes["3x3, stride 2 (overlapping)"]
    assert plain["output_size"] == overlap["output_size"] == 8
    assert (plain["mean_windows"], plain["max_windows"]) == (1.0, 1)
    assert overlap["mean_windows"] == (23 / 16) ** 2 and overlap["max_windows"] == 4
    assert overlap["last_conv_rf"] > plain["last_conv_rf"]
    for runs in numbers["results"].values():
        assert len(runs) == 3
        assert all(r["gap"] == r["train_accuracy"] - r["test_accuracy"] for r in runs)
    report = pooling.report(numbers)
    assert len(report.verdicts) == 2
    assert all("AlexNet" in claim.source for claim, _ in report.verdicts)
