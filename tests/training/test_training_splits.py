"""Training, validation and test sets: sizes, disjointness, seeding, channels, errors."""

import numpy as np
import pytest

from tinycnn import rng
from tinycnn.data import Digits
from tinycnn.training import TrainingError
from tinycnn.training.datasets import RepeatChannels, Transformed, load_splits


def digits_splits(**changes):
    arguments = {
        "name": "digits", "data_dir": None, "image_size": 8, "model_channels": 1,
        "val_fraction": 0.1, "seed": 0, "augment": False,
    }  # fmt: skip
    return load_splits(**{**arguments, **changes})


def positions(subset):
    """The positions in the shipped digits file of a Transformed(Subset(Digits)) set."""
    return subset.dataset.dataset.indices[subset.dataset.indices]


def test_validation_is_a_seeded_share_of_the_training_split_never_the_test_split():
    splits = digits_splits()
    train, validation = positions(splits.train), positions(splits.validation)
    test = Digits(train=False, size=8).indices
    assert (len(train), len(validation), len(splits.test)) == (1438 - 144, 144, 359)
    assert not set(train) & set(validation)
    assert not (set(train) | set(validation)) & set(test)
    assert splits.classes == [str(digit) for digit in range(10)]

    rng.manual_seed(123)  # other draws do not move the split; the seed does
    np.testing.assert_array_equal(positions(digits_splits().validation), validation)
    assert set(positions(digits_splits(seed=1).validation)) != set(validation)


def test_a_subset_takes_n_training_and_n_test_images():
    splits = digits_splits(subset=50, val_fraction=0.2)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (40, 10, 50)


def test_grayscale_is_repeated_for_three_channel_models_and_validation_is_not_augmented():
    rng.manual_seed(0)
    splits = digits_splits(model_channels=3, augment=True)
    image, label = splits.validation[0]
    original = Digits(train=True, size=8)[int(splits.validation.dataset.indices[0])][0]
    assert image.shape == (3, 8, 8)
    for channel in image:
        np.testing.assert_array_equal(channel, original[0])
    assert splits.train[0][0].shape == (3, 8, 8)
    assert RepeatChannels(3)(np.zeros((3, 2, 2))).shape == (3, 2, 2)


def test_an_image_that_cannot_be_read_becomes_a_one_line_training_error():
    class Unreadable:
        def __getitem__(self, index):
            raise ValueError("image_folder: /data/cat/1.png is not a readable image")

        def __len__(self):
            return 1

    with pytest.raises(TrainingError, match="/data/cat/1.png is not a readable image"):
        Transformed(Unreadable(), RepeatChannels(3))[0]


def test_a_validation_share_that_leaves_nothing_to_train_on_is_refused():
    with pytest.raises(TrainingError, match="leaves no training image out of 3"):
        digits_splits(subset=3, val_fraction=0.9)
