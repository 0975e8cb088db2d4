"""Dataset, TensorDataset, Subset and random_split."""

import numpy as np
import pytest

import tinycnn
from tinycnn.data import Dataset, Subset, TensorDataset, random_split


def test_the_base_class_asks_subclasses_for_getitem_and_len():
    with pytest.raises(NotImplementedError, match="Dataset must define __getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="Dataset must define __len__"):
        len(Dataset())


def test_tensor_dataset_slices_every_array_along_the_first_axis():
    images = np.arange(24, dtype=np.float32).reshape(6, 1, 2, 2)
    data = TensorDataset(tinycnn.tensor(images), np.arange(6) * 10)
    assert len(data) == 6
    image, label = data[4]
    np.testing.assert_array_equal(image, images[4])
    assert label == 40


def test_tensor_dataset_refuses_unequal_lengths():
    with pytest.raises(ValueError, match="TensorDataset: tensors must have equal first dim"):
        TensorDataset(np.zeros((5, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="TensorDataset: tensors must hold at least one"):
        TensorDataset()


def test_subset_maps_indices():
    data = TensorDataset(np.arange(10))
    subset = Subset(data, [7, 2, 2])
    assert len(subset) == 3
    assert [subset[i][0] for i in range(3)] == [7, 2, 2]


def test_random_split_with_counts_partitions_the_dataset():
    tinycnn.manual_seed(0)
    parts = random_split(TensorDataset(np.arange(10)), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert parts[0].indices != [0, 1, 2]  # shuffled (1 chance in 120 of being sorted)


def test_random_split_with_fractions_deals_the_remainder_in_order_as_torch():
    # floor(10 * 0.33) = 3 each; the one sample left over goes to the first subset.
    parts = random_split(TensorDataset(np.arange(10)), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]


def test_random_split_is_reproducible_under_manual_seed_or_a_generator():
    data = TensorDataset(np.arange(50))
    tinycnn.manual_seed(3)
    first = random_split(data, [20, 30])[0].indices
    tinycnn.manual_seed(3)
    assert random_split(data, [20, 30])[0].indices == first
    own = [random_split(data, [0.5, 0.5], np.random.default_rng(9))[0].indices for _ in range(2)]
    assert own[0] == own[1]


@pytest.mark.parametrize("lengths", [[3, 4], [5, 6], [0.5, 0.6], [-1, 11], [2.5, 7.5]])
def test_random_split_refuses_lengths_that_do_not_add_up(lengths):
    with pytest.raises(ValueError, match=r"random_split: lengths must be ints >= 0 summing to"):
        random_split(TensorDataset(np.arange(10)), lengths)
