"""The shipped digits: the file, its checksum, and the fixed stratified train/test split."""

import hashlib
from importlib import resources

import numpy as np
import pytest

import tinycnn
from tinycnn.data import DataLoader, Digits
from tinycnn.data.digits import load_digits_file

DIGITS_SHA256 = "b385e16fea2e2d18753311b89ed7c90e71a2322f001269fae340709ddf50716a"
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # scikit-learn's load_digits


def test_the_shipped_file_has_the_recorded_checksum():
    data = resources.files("tinycnn.data").joinpath("digits.npz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGITS_SHA256
    notes = resources.files("tinycnn.data").joinpath("DIGITS_LICENSE.txt").read_text()
    assert "10.24432/C50P49" in notes and "CC BY 4.0" in notes and DIGITS_SHA256 in notes


def test_the_file_holds_1797_images_of_8x8_counts_and_their_labels():
    images, labels = load_digits_file()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16
    assert np.bincount(labels).tolist() == CLASS_COUNTS


def test_train_and_test_are_disjoint_stratified_and_cover_every_sample():
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1438, 359)
    assert not set(train.indices) & set(test.indices)
    assert sorted(np.concatenate([train.indices, test.indices])) == list(range(1797))
    _, labels = load_digits_file()
    np.testing.assert_array_equal(test.targets, labels[test.indices])
    assert np.bincount(test.targets).tolist() == [round(0.2 * n) for n in CLASS_COUNTS]
    assert (np.bincount(train.targets) + np.bincount(test.targets)).tolist() == CLASS_COUNTS


def test_the_split_is_pinned_and_ignores_manual_seed():
    tinycnn.manual_seed(123)
    test = Digits(train=False)
    assert test.indices[:8].tolist() == [2, 3, 11, 13, 15, 20, 21, 32]
    digest = hashlib.sha256(test.indices.astype("<i8").tobytes()).hexdigest()
    assert digest == "83ac77e38f69c6509975508efe447b0492dde793cd6876336a89ed4df998808d"
    tinycnn.manual_seed(0)
    np.testing.assert_array_equal(Digits(train=False).indices, test.indices)
    assert not np.array_equal(Digits(train=False, split_seed=1).indices, test.indices)


def test_samples_are_one_channel_unit_range_float32_images():
    train = Digits(train=True)
    image, label = train[0]
    assert image.shape == (1, 32, 32) and image.dtype == np.float32
    assert isinstance(label, int) and 0 <= label <= 9
    assert 0.0 <= train.data.min() and train.data.max() <= 1.0


def test_size_8_keeps_the_original_pixels_divided_by_16():
    images, _ = load_digits_file()
    test = Digits(train=False, size=8)
    image, _ = test[5]
    np.testing.assert_array_equal(image[0], images[test.indices[5]] / np.float32(16))


def test_transforms_apply_and_cannot_change_the_data():
    test = Digits(train=False, transform=lambda image: image * 2)
    image, _ = test[0]
    np.testing.assert_array_equal(image, 2 * test.data[0][None])
    with pytest.raises(ValueError, match="read-only"):
        Digits(train=False)[0][0][0, 0, 0] = 5.0


def test_a_loader_batches_the_digits():
    images, labels = next(iter(DataLoader(Digits(train=True, size=16), batch_size=64)))
    assert images.shape == (64, 1, 16, 16) and images.dtype == np.float32
    assert labels.shape == (64,) and labels.dtype == np.int64


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"test_fraction": 0.0}, r"digits: test_fraction must be in \(0, 1\)"),
        ({"test_fraction": 1.5}, r"digits: test_fraction must be in \[0.0, 1.0\]"),
        ({"size": 0}, "digits: size must be >= 1"),
        ({"split_seed": -1}, "digits: split_seed must be >= 0"),
        ({"transform": 3}, "digits: transform must be callable or None"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Digits(**kwargs)
