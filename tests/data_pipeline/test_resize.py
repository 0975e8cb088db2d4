"""Bilinear Resize: hand-worked weights, exact reproduction of linear ramps, torchvision's sizes."""

import numpy as np
import pytest

from tinycnn.data.resample import bilinear_weights
from tinycnn.data.transforms import Resize


def test_weights_for_doubling_are_the_hand_worked_ones():
    # Output centres 0.25, 0.75, 1.25, 1.75 against input centres 0.5 and 1.5.
    expected = [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    np.testing.assert_array_equal(bilinear_weights(2, 4, antialias=False), expected)


def test_doubling_a_2x2_image_matches_the_hand_computation():
    image = np.array([[[0.0, 1.0], [2.0, 3.0]]])
    expected = [
        [0.0, 0.25, 0.75, 1.0],
        [0.5, 0.75, 1.25, 1.5],
        [1.5, 1.75, 2.25, 2.5],
        [2.0, 2.25, 2.75, 3.0],
    ]
    np.testing.assert_allclose(Resize((4, 4))(image)[0], expected, rtol=0, atol=1e-15)


def test_antialiased_halving_uses_the_widened_tent():
    # scale 2, support 2: interior output i mixes inputs 2i-1 .. 2i+2 with weights 1,3,3,1 / 8;
    # output 0 has no input -1, so its weights 3,3,1 are renormalized by 7.
    weights = bilinear_weights(8, 4, antialias=True)
    np.testing.assert_allclose(weights[0], [3 / 7, 3 / 7, 1 / 7, 0, 0, 0, 0, 0])
    np.testing.assert_allclose(weights[1], [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0])
    np.testing.assert_allclose(weights[3], weights[0][::-1])


def test_halving_without_antialias_averages_the_two_middle_pixels():
    np.testing.assert_allclose(
        bilinear_weights(8, 4, antialias=False)[1], [0, 0, 0.5, 0.5, 0, 0, 0, 0]
    )


@pytest.mark.parametrize("in_size, out_size", [(2, 7), (5, 16), (8, 32), (3, 3)])
def test_antialias_changes_nothing_when_enlarging(in_size, out_size):
    np.testing.assert_array_equal(
        bilinear_weights(in_size, out_size, antialias=True),
        bilinear_weights(in_size, out_size, antialias=False),
    )


@pytest.mark.parametrize(
    "shape, out_shape, antialias",
    [((7, 9), (23, 31), True), ((8, 8), (32, 32), True), ((30, 20), (11, 7), False)],
)
def test_affine_ramps_are_reproduced_exactly_away_from_the_borders(shape, out_shape, antialias):
    # Bilinear interpolation is exact for f(y, x) = a y + b x + c wherever the output
    # centre lies between input centres; there the output is f at the source coordinate.
    H, W = shape
    OH, OW = out_shape
    a, b, c = 0.7, -1.3, 2.0
    y, x = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    image = (a * y + b * x + c)[None].astype(np.float64)
    out = Resize(out_shape, antialias=antialias)(image)[0]
    source_y = (np.arange(OH) + 0.5) * H / OH - 0.5
    source_x = (np.arange(OW) + 0.5) * W / OW - 0.5
    inside_y = (source_y >= 0) & (source_y <= H - 1)
    inside_x = (source_x >= 0) & (source_x <= W - 1)
    expected = a * source_y[:, None] + b * source_x[None, :] + c
    assert inside_y.sum() >= OH - 4 and inside_x.sum() >= OW - 4
    np.testing.assert_allclose(
        out[np.ix_(inside_y, inside_x)], expected[np.ix_(inside_y, inside_x)], atol=1e-12
    )
    # Outside, the border pixels are held: the output stays within the input's range.
    assert image.min() - 1e-12 <= out.min() and out.max() <= image.max() + 1e-12


def test_constant_images_stay_constant_and_float32_stays_float32():
    image = np.full((3, 5, 7), 0.25, np.float32)
    for antialias in (True, False):
        out = Resize((13, 3), antialias=antialias)(image)
        assert out.shape == (3, 13, 3) and out.dtype == np.float32
        np.testing.assert_allclose(out, 0.25, rtol=1e-6)


def test_same_size_is_the_identity():
    image = np.random.default_rng(0).random((2, 6, 9)).astype(np.float32)
    np.testing.assert_array_equal(Resize((6, 9))(image), image)


@pytest.mark.parametrize(
    "size, shape, out_shape",
    [
        (4, (1, 8, 16), (1, 4, 8)),  # shorter side H -> 4, W keeps the ratio
        (5, (1, 10, 7), (1, 7, 5)),  # int(5 * 10 / 7) = 7
        (3, (1, 10, 7), (1, 4, 3)),  # int(3 * 10 / 7) = int(4.28) = 4, truncated
        ([6], (1, 3, 3), (1, 6, 6)),  # a 1-sequence means the shorter side too
        ((5, 2), (1, 3, 9), (1, 5, 2)),  # an (h, w) pair is exact
    ],
)
def test_output_size_follows_torchvision(size, shape, out_shape):
    assert Resize(size)(np.zeros(shape, np.float32)).shape == out_shape


def test_leading_axes_ride_along():
    images = np.random.default_rng(1).random((4, 3, 5, 6))
    batch = Resize((7, 2))(images)
    np.testing.assert_allclose(batch[2, 1], Resize((7, 2))(images[2, 1][None])[0])


@pytest.mark.parametrize("size", [0, (3, 0), (1, 2, 3), 2.5, "32"])
def test_bad_sizes_are_refused(size):
    with pytest.raises((TypeError, ValueError), match="resize: size must be"):
        Resize(size)


def test_integer_images_are_refused():
    with pytest.raises(TypeError, match="resize: image must be float32 or float64, got uint8"):
        Resize(4)(np.zeros((1, 8, 8), np.uint8))
