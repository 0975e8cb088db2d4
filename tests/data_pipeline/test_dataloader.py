"""DataLoader: batch shapes and dtypes, len, drop_last, shuffling under manual_seed."""

import numpy as np
import pytest

import tinycnn
from tinycnn.data import DataLoader, Dataset, TensorDataset
from tinycnn.tensor import Tensor


class _Numbered(Dataset):
    """Sample i is a (1, 2, 2) float32 image filled with i and the Python int label i."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, index):
        return np.full((1, 2, 2), index, np.float32), index

    def __len__(self):
        return self.n


def _epoch_labels(loader):
    return [int(label) for _, labels in loader for label in labels.numpy()]


def test_batches_are_tensors_of_stacked_images_and_int64_labels():
    batches = list(DataLoader(_Numbered(10), batch_size=4))
    assert [images.shape for images, _ in batches] == [(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)]
    images, labels = batches[0]
    assert isinstance(images, Tensor) and isinstance(labels, Tensor)
    assert images.dtype == np.float32 and labels.dtype == np.int64 and labels.shape == (4,)
    np.testing.assert_array_equal(images.numpy()[:, 0, 0, 0], [0, 1, 2, 3])


@pytest.mark.parametrize(
    "n, batch_size, drop_last, length",
    [
        (10, 4, False, 3),
        (10, 4, True, 2),
        (8, 4, True, 2),
        (3, 5, False, 1),
        (3, 5, True, 0),
        (0, 2, False, 0),
    ],
)
def test_len_counts_batches_as_torch(n, batch_size, drop_last, length):
    loader = DataLoader(_Numbered(n), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == length == len(list(loader))


def test_drop_last_drops_only_the_short_batch():
    labels = _epoch_labels(DataLoader(_Numbered(10), batch_size=4, drop_last=True))
    assert labels == list(range(8))


def test_without_shuffle_the_order_is_the_dataset_order():
    assert _epoch_labels(DataLoader(_Numbered(7), batch_size=3)) == list(range(7))


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    loader = DataLoader(_Numbered(50), batch_size=8, shuffle=True)
    tinycnn.manual_seed(0)
    first, second = _epoch_labels(loader), _epoch_labels(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second and first != list(range(50))


def test_shuffle_order_is_reproducible_under_manual_seed():
    loader = DataLoader(_Numbered(30), batch_size=4, shuffle=True)
    tinycnn.manual_seed(11)
    run = [_epoch_labels(loader) for _ in range(3)]
    tinycnn.manual_seed(11)
    assert [_epoch_labels(loader) for _ in range(3)] == run


def test_tensor_dataset_batches_keep_their_dtypes():
    data = TensorDataset(np.zeros((5, 3), np.float64), np.arange(5, dtype=np.int32))
    features, targets = next(iter(DataLoader(data, batch_size=5)))
    assert features.dtype == np.float64 and targets.dtype == np.int32


def test_samples_of_different_shapes_get_a_clear_error():
    data = [(np.zeros((1, 2, 2), np.float32), 0), (np.zeros((1, 3, 3), np.float32), 1)]
    with pytest.raises(ValueError, match="DataLoader: samples in a batch must have equal shapes"):
        next(iter(DataLoader(data, batch_size=2)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"batch_size": 0}, ValueError, "DataLoader: batch_size must be >= 1, got 0"),
        ({"batch_size": 2.0}, TypeError, "DataLoader: batch_size must be an int"),
        ({"shuffle": "yes"}, TypeError, "DataLoader: shuffle must be a bool"),
        ({"drop_last": 1}, TypeError, "DataLoader: drop_last must be a bool"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(_Numbered(4), **kwargs)


def test_a_dataset_must_be_indexable_and_sized():
    with pytest.raises(TypeError, match="DataLoader: dataset must define __getitem__ and __len__"):
        DataLoader(iter(range(3)))
