"""CIFAR10 from batch pickles that each test writes in the real structure, and bad batches."""

import os
import pickle
import re

import numpy as np
import pytest

from tinycnn.data import CIFAR10, DataLoader, DatasetError

_NAMES = [f"data_batch_{i}" for i in range(1, 6)]


def _write_batch(path, data, labels, protocol=2):
    batch = {
        b"batch_label": b"training batch 1 of 5",
        b"labels": list(labels),
        b"data": data,
        b"filenames": [f"image_{i}.png".encode() for i in range(len(labels))],
    }
    with open(path, "wb") as file:
        pickle.dump(batch, file, protocol=protocol)


def _write_cifar(root, per_batch=2, protocol=2):
    """Five training batches and a test batch of random images; returns the train data."""
    rng = np.random.default_rng(0)
    all_data, all_labels = [], []
    for name in [*_NAMES, "test_batch"]:
        data = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, size=per_batch).tolist()
        _write_batch(root / name, data, labels, protocol)
        if name != "test_batch":
            all_data.append(data)
            all_labels += labels
    return np.concatenate(all_data), all_labels


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_reads_the_five_training_batches_in_order(tmp_path, protocol):
    rows, labels = _write_cifar(tmp_path, per_batch=2, protocol=protocol)
    train = CIFAR10(tmp_path, train=True)
    assert len(train) == 10 and train.targets.tolist() == labels
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    image, label = train[7]
    assert image.shape == (3, 32, 32) and image.dtype == np.float32 and label == labels[7]
    # Row layout: 1024 red, 1024 green, 1024 blue values, each plane row-major.
    c, h, w = 1, 5, 30
    assert image[c, h, w] == np.float32(rows[7, c * 1024 + h * 32 + w]) / np.float32(255)
    np.testing.assert_array_equal(image, rows[7].reshape(3, 32, 32) / np.float32(255))


def test_reads_the_test_batch_and_batches_it(tmp_path):
    _write_cifar(tmp_path, per_batch=3)
    test = CIFAR10(tmp_path, train=False)
    assert len(test) == 3 and test.classes[0] == "airplane"
    images, labels = next(iter(DataLoader(test, batch_size=3)))
    assert images.shape == (3, 3, 32, 32) and labels.dtype == np.int64


def test_a_missing_directory_or_batch_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar10: root must be an existing directory"):
        CIFAR10(tmp_path / "cifar-10-batches-py")
    _write_cifar(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    missing = tmp_path / "data_batch_3"
    with pytest.raises(FileNotFoundError, match=re.escape(f"cifar10: missing file {missing}")):
        CIFAR10(tmp_path)


def test_a_truncated_batch_is_named(tmp_path):
    _write_cifar(tmp_path)
    path = tmp_path / "data_batch_2"
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(DatasetError, match=re.escape(f"cifar10: {path} is not a readable CIFAR")):
        CIFAR10(tmp_path)


def test_a_fifo_in_place_of_a_batch_is_refused_without_opening_it(tmp_path):
    _write_cifar(tmp_path)
    (tmp_path / "data_batch_3").unlink()
    os.mkfifo(tmp_path / "data_batch_3")  # opening it would block until a writer comes
    with pytest.raises(DatasetError, match="data_batch_3 must be a regular file, got a FIFO"):
        CIFAR10(tmp_path)


@pytest.mark.parametrize(
    "batch, message",
    [
        ([1, 2], "must hold a dict, got list"),
        ({b"data": np.zeros((2, 3072), np.uint8)}, "must hold the keys b'data' and b'labels'"),
        ({b"data": np.zeros((2, 3072)), b"labels": [0, 1]}, "must be a uint8 .N, 3072. array"),
        ({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, "got data .2, 100."),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, "and 1 labels"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, "ints in 0..9, got 10"),
        ({b"data": np.zeros((2, 3072), np.uint8), b"labels": "ab"}, "must be a list, got str"),
    ],
)
def test_batches_of_the_wrong_structure_are_refused(tmp_path, batch, message):
    _write_cifar(tmp_path)
    with open(tmp_path / "data_batch_4", "wb") as file:
        pickle.dump(batch, file, protocol=2)
    with pytest.raises(ValueError, match=message) as error:
        CIFAR10(tmp_path)
    assert str(tmp_path / "data_batch_4") in str(error.value)
    assert "\n" not in str(error.value)


class _Hostile:
    """Unpickling this runs `touch <marker>` through os.system, unless refused."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("where", ["whole file", "inside labels"])
def test_a_pickle_that_would_run_a_command_is_refused_and_does_not_run(tmp_path, where):
    _write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    hostile = _Hostile(marker)
    payload = (
        hostile
        if where == "whole file"
        else {b"data": np.zeros((1, 3072), np.uint8), b"labels": [hostile]}
    )
    with open(tmp_path / "data_batch_1", "wb") as file:
        pickle.dump(payload, file, protocol=2)
    with pytest.raises(ValueError, match=r"names the global \w+\.system, .*refusing to unpickle"):
        CIFAR10(tmp_path)
    assert not marker.exists()
