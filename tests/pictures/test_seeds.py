"""Pictures of measurements over seeds: the numbers they draw, and a PNG of each kind."""

import numpy as np
import pytest

from tinycnn import pictures


def test_seed_band_is_the_mean_and_the_range_at_each_step():
    mean, low, high = pictures.seed_band([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]])
    np.testing.assert_array_equal(mean, [2.0, 1.0])
    np.testing.assert_array_equal(low, [1.0, 0.0])
    np.testing.assert_array_equal(high, [3.0, 2.0])
    with pytest.raises(
        ValueError, match=r"curves must be one or more of equal length, got \[2, 1\]"
    ):
        pictures.seed_band([[1.0, 2.0], [1.0]])


def test_seed_summary_is_the_mean_and_sample_standard_deviation():
    # By hand: mean 2, squared deviations 1 + 0 + 1 over n - 1 = 2.
    assert pictures.seed_summary([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert pictures.seed_summary([4.0]) == (4.0, 0.0)
    with pytest.raises(ValueError, match="values must be a non-empty list"):
        pictures.seed_summary([])


def test_both_seed_pictures_render_a_png(tmp_path):
    curves = {"a": [[2.0, 1.0, 0.5], [2.1, 0.8, 0.4]], "b": [[2.0, 1.5, 1.2], [2.2, 1.6, 1.0]]}
    paths = [
        pictures.plot_seed_curves(curves, tmp_path / "curves.png", "loss", log=True),
        pictures.plot_seed_values({"a": [0.1, 0.2, 0.15], "b": [0.3]}, tmp_path / "v.png", "gap"),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
