"""`Digits`: 1,797 small handwritten digits shipped with tinycnn, for training offline.

The data is the test set of the UCI "Optical Recognition of Handwritten Digits" data set
(Alpaydin & Kaynak 1998, https://doi.org/10.24432/C50P49, CC BY 4.0), as scikit-learn
ships it, converted once by tools/make_digits.py into `digits.npz` beside this file; see
DIGITS_LICENSE.txt there. Each image is 8x8; each pixel counts the set bits (0..16) in a
4x4 block of a 32x32 bitmap of a digit written by one of 13 people.
"""

from importlib import resources

import numpy as np

from tinycnn.data import checks
from tinycnn.data.image_arrays import ImageArrayDataset
from tinycnn.data.transforms import Resize


class Digits(ImageArrayDataset):
    """The shipped handwritten digits, split into a fixed train and test set.

    The split. Keys u_0 .. u_1796, one per sample in file order, are drawn at once as
    `np.random.default_rng(split_seed).random(1797)`. Within each digit class the samples
    are sorted by key, and the first round(test_fraction * class size) of them form the
    test set; the rest form the training set. So the split is stratified (each class is
    ~test_fraction test), it is the same on every call for a given split_seed (its own
    PCG64 stream, read by `Generator.random`; tests/data_pipeline/test_digits.py pins it),
    and `tinycnn.manual_seed` does not move it. With the defaults it has 1,438 training and
    359 test images. Train on the training set only: the test set estimates accuracy on
    unseen writers' digits only while no choice has been tuned on it.

    Samples are `(image, label)`: image (1, size, size) float32 in [0, 1] (pixel / 16,
    upscaled with bilinear `Resize`) after `transform`, label the digit 0..9.

    Args:
        train: the training set, or the test set. Default: True.
        transform: a callable applied to each (1, size, size) image. Default: None.
        size: output height and width; 8 keeps the original pixels. Default: 32.
        split_seed: seed of the split keys. Default: 0.
        test_fraction: share of each class in the test set, in (0, 1). Default: 0.2.

    Attributes:
        data: float32 (N, size, size), read-only. targets: int64 (N,).
        indices: int64 (N,), each sample's position in the shipped file.
        classes: "0" .. "9".

    Example:
        >>> train, test = Digits(train=True), Digits(train=False)
        >>> len(train), len(test)
        (1438, 359)
    """

    classes = [str(digit) for digit in range(10)]

    def __init__(self, train=True, transform=None, size=32, split_seed=0, test_fraction=0.2):
        train = checks.boolean("digits", "train", train)
        size = checks.int_at_least("digits", "size", size, 1)
        split_seed = checks.int_at_least("digits", "split_seed", split_seed, 0)
        test_fraction = checks.number_in("digits", "test_fraction", test_fraction, 0.0, 1.0)
        if test_fraction in (0.0, 1.0):
            raise ValueError(f"digits: test_fraction must be in (0, 1), got {test_fraction}")
        images, labels = load_digits_file()
        is_test = _test_mask(labels, split_seed, test_fraction)
        self.indices = np.flatnonzero(~is_test if train else is_test)
        pixels = images[self.indices].astype(np.float32) / np.float32(16)
        data = Resize((size, size))(pixels)
        data.flags.writeable = False  # transforms get views of it; none may change the set
        super().__init__(data, labels[self.indices], transform)


def load_digits_file():
    """The shipped arrays: images uint8 (1797, 8, 8) in 0..16, labels int64 (1797,)."""
    with resources.files(__package__).joinpath("digits.npz").open("rb") as file:
        with np.load(file) as archive:
            return archive["images"], archive["labels"]


def _test_mask(labels, split_seed, test_fraction):
    """Boolean (1797,): True for the samples of the test set (see `Digits`)."""
    keys = np.random.default_rng(split_seed).random(len(labels))
    is_test = np.zeros(len(labels), dtype=bool)
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        by_key = members[np.argsort(keys[members], kind="stable")]
        is_test[by_key[: round(test_fraction * len(members))]] = True
    return is_test
