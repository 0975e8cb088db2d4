"""ToTensor, Normalize, CenterCrop, RandomCrop, RandomHorizontalFlip and Compose."""

import numpy as np
import pytest

import tinycnn
from tinycnn.data import transforms as T


def _image(C=1, H=4, W=4):
    """Distinct positive values, so every crop position gives a different window."""
    return np.arange(1, C * H * W + 1, dtype=np.float32).reshape(C, H, W)


# ------------------------------------------------------------------ ToTensor


def test_to_tensor_moves_channels_first_and_scales_uint8_to_unit_range():
    picture = np.array([[[0, 51, 255], [102, 204, 1]]], dtype=np.uint8)  # H=1, W=2, C=3
    image = T.ToTensor()(picture)
    assert image.shape == (3, 1, 2) and image.dtype == np.float32
    np.testing.assert_array_equal(image[:, 0, 0], np.float32([0, 51, 255]) / np.float32(255))
    np.testing.assert_array_equal(image[:, 0, 1], np.float32([102, 204, 1]) / np.float32(255))


def test_to_tensor_gives_gray_images_one_channel_and_leaves_floats_unscaled():
    assert T.to_tensor(np.zeros((5, 6), np.uint8)).shape == (1, 5, 6)
    floats = np.full((2, 2, 3), 7.0, np.float64)
    out = T.to_tensor(floats)
    assert out.shape == (3, 2, 2) and out.dtype == np.float64 and np.all(out == 7.0)


def test_to_tensor_refuses_other_ranks():
    with pytest.raises(ValueError, match=r"to_tensor: image must be \(H, W, C\) or \(H, W\)"):
        T.to_tensor(np.zeros((1, 2, 3, 4), np.uint8))


# ------------------------------------------------------------------ Normalize


def test_normalize_subtracts_mean_and_divides_by_std_per_channel():
    image = np.stack([np.full((2, 2), 0.5), np.full((2, 2), 0.25)]).astype(np.float32)
    out = T.Normalize(mean=(0.5, 0.75), std=(0.25, 0.5))(image)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[0], 0.0)  # (0.5 - 0.5) / 0.25
    np.testing.assert_array_equal(out[1], -1.0)  # (0.25 - 0.75) / 0.5


def test_normalize_accepts_one_value_for_all_channels():
    out = T.Normalize(0.5, 0.5)(np.ones((3, 2, 2), np.float32))
    np.testing.assert_array_equal(out, 1.0)


def test_normalize_refuses_zero_std_and_a_wrong_channel_count():
    with pytest.raises(ValueError, match="normalize: std must be nonzero"):
        T.Normalize((0.5, 0.5), (0.2, 0.0))
    with pytest.raises(ValueError, match="normalize: mean must have 1 or C values"):
        T.Normalize((0.1, 0.2), (1.0, 1.0))(np.zeros((3, 2, 2), np.float32))
    with pytest.raises(TypeError, match="normalize: mean must be a number or a sequence"):
        T.Normalize("abc", 1.0)
    with pytest.raises(TypeError, match="normalize: image must be float32 or float64, got uint8"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 2, 2), np.uint8))


# ------------------------------------------------------------------ CenterCrop


def test_center_crop_takes_the_middle():
    image = _image(H=5, W=5)
    np.testing.assert_array_equal(T.CenterCrop(3)(image), image[:, 1:4, 1:4])


def test_center_crop_rounds_half_offsets_to_even_as_torchvision():
    image = _image(H=6, W=4)
    # top = round((6 - 3) / 2) = round(1.5) = 2; left = round((4 - 1) / 2) = round(1.5) = 2
    np.testing.assert_array_equal(T.CenterCrop((3, 1))(image), image[:, 2:5, 2:3])
    # top = round(0.5) = 0
    np.testing.assert_array_equal(T.CenterCrop((5, 4))(image), image[:, 0:5, :])


def test_center_crop_pads_an_image_smaller_than_the_crop_with_zeros():
    image = _image(H=2, W=2)
    out = T.CenterCrop((4, 5))(image)
    expected = np.zeros((1, 4, 5), np.float32)
    expected[:, 1:3, 1:3] = image  # pads (left, top, right, bottom) = (1, 1, 2, 1)
    np.testing.assert_array_equal(out, expected)


# ------------------------------------------------------------------ RandomCrop


def _offsets(out, padded, h, w):
    """Every (top, left) at which `out` is the window of `padded`."""
    H, W = padded.shape[-2:]
    return [
        (i, j)
        for i in range(H - h + 1)
        for j in range(W - w + 1)
        if np.array_equal(padded[..., i : i + h, j : j + w], out)
    ]


def test_random_crop_with_padding_cuts_a_window_of_the_zero_padded_image():
    image = _image(C=2, H=4, W=4)
    padded = np.pad(image, ((0, 0), (2, 2), (2, 2)))
    crop = T.RandomCrop(4, padding=2)
    tinycnn.manual_seed(0)
    seen = set()
    for _ in range(400):
        out = crop(image)
        assert out.shape == (2, 4, 4)
        offsets = _offsets(out, padded, 4, 4)
        assert len(offsets) == 1  # the values are distinct, so the window is unique
        seen.add(offsets[0])
    assert seen == {(i, j) for i in range(5) for j in range(5)}  # every offset occurs


def test_random_crop_padding_forms_left_top_right_bottom():
    image = _image(H=3, W=3)
    tinycnn.manual_seed(1)
    for _ in range(50):
        # (left, top, right, bottom) = (2, 0, 0, 0): only the horizontal offset can vary
        out = T.RandomCrop(3, padding=(2, 0, 0, 0))(image)
        padded = np.pad(image, ((0, 0), (0, 0), (2, 0)))
        assert all(i == 0 for i, _ in _offsets(out, padded, 3, 3))
        # (left/right, top/bottom) = (0, 1): only the vertical offset can vary
        out = T.RandomCrop(3, padding=(0, 1))(image)
        padded = np.pad(image, ((0, 0), (1, 1), (0, 0)))
        assert all(j == 0 for _, j in _offsets(out, padded, 3, 3))


def test_random_crop_is_reproducible_under_manual_seed():
    image = _image(C=3, H=8, W=8)
    crop = T.RandomCrop(5, padding=1)
    tinycnn.manual_seed(7)
    first = [crop(image) for _ in range(10)]
    tinycnn.manual_seed(7)
    second = [crop(image) for _ in range(10)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_random_crop_edge_padding_and_fill():
    image = _image(H=2, W=2)
    out = T.RandomCrop((2, 4), padding=(1, 0), padding_mode="edge")(image)
    np.testing.assert_array_equal(out[0], [[1, 1, 2, 2], [3, 3, 4, 4]])
    out = T.RandomCrop((4, 2), padding=(0, 1), fill=-1)(image)
    np.testing.assert_array_equal(out[0], [[-1, -1], [1, 2], [3, 4], [-1, -1]])


def test_random_crop_pad_if_needed_and_too_small_images():
    image = _image(H=2, W=3)
    assert T.RandomCrop(4, pad_if_needed=True)(image).shape == (1, 4, 4)
    with pytest.raises(ValueError, match=r"random_crop: crop size \(h, w\) = \(4, 4\) must fit"):
        T.RandomCrop(4)(image)


def test_random_crop_refuses_bad_arguments():
    with pytest.raises(TypeError, match="random_crop: padding must be an int or a sequence"):
        T.RandomCrop(3, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="random_crop: padding must be >= 0"):
        T.RandomCrop(3, padding=-1)
    with pytest.raises(ValueError, match="random_crop: padding_mode must be one of"):
        T.RandomCrop(3, padding_mode="wrap")
    with pytest.raises(TypeError, match="random_crop: image must be an ndarray"):
        T.RandomCrop(3)([[1, 2], [3, 4]])


# ------------------------------------------------------------------ RandomHorizontalFlip


def test_flip_with_p_one_mirrors_and_with_p_zero_keeps():
    image = _image(C=2, H=3, W=4)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(image), image[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(image), image)


def test_flip_happens_about_half_the_time_reproducibly():
    image = _image(H=2, W=2)
    flip = T.RandomHorizontalFlip()
    tinycnn.manual_seed(3)
    flags = [flip(image)[0, 0, 0] == image[0, 0, -1] for _ in range(2000)]
    tinycnn.manual_seed(3)
    again = [flip(image)[0, 0, 0] == image[0, 0, -1] for _ in range(2000)]
    assert flags == again
    assert 900 < sum(flags) < 1100  # 1000 +- 4.5 standard deviations


def test_flip_refuses_a_probability_outside_0_1():
    with pytest.raises(ValueError, match=r"random_horizontal_flip: p must be in \[0.0, 1.0\]"):
        T.RandomHorizontalFlip(p=1.5)


# ------------------------------------------------------------------ Compose


def test_compose_applies_in_order():
    pipeline = T.Compose([T.CenterCrop(2), T.Normalize(1.0, 2.0)])
    image = _image(H=4, W=4)
    np.testing.assert_array_equal(pipeline(image), (image[:, 1:3, 1:3] - 1.0) / 2.0)
    assert "CenterCrop(size=(2, 2))" in repr(pipeline)


def test_compose_refuses_non_callables():
    with pytest.raises(TypeError, match="compose: each transform must be callable"):
        T.Compose([T.CenterCrop(2), 3])
