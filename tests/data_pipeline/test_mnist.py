"""MNIST from IDX files that each test writes, plain and gzipped, whole and damaged."""

import gzip
import re
import struct

import numpy as np
import pytest

from tinycnn.data import MNIST, DataLoader


def _idx(array):
    """The IDX encoding of a uint8 array: 0, 0, type 0x08, ndim, big-endian dims, bytes."""
    dims = b"".join(struct.pack(">I", d) for d in array.shape)
    return bytes([0, 0, 0x08, array.ndim]) + dims + array.tobytes()


def _write(path, payload, gz):
    if gz:
        path = path.with_name(path.name + ".gz")
        payload = gzip.compress(payload, mtime=0)
    path.write_bytes(payload)
    return path


def _write_mnist(root, prefix="train", n=5, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    _write(root / f"{prefix}-images-idx3-ubyte", _idx(images), gz)
    _write(root / f"{prefix}-labels-idx1-ubyte", _idx(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_reads_train_and_test_files_plain_or_gzipped(tmp_path, gz):
    images, labels = _write_mnist(tmp_path, "train", n=5, gz=gz)
    test_images, _ = _write_mnist(tmp_path, "t10k", n=3, gz=gz, seed=1)
    train = MNIST(tmp_path, train=True)
    assert len(train) == 5 and len(MNIST(tmp_path, train=False)) == 3
    np.testing.assert_array_equal(train.data, images)
    np.testing.assert_array_equal(MNIST(tmp_path, train=False).data, test_images)
    image, label = train[2]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32
    np.testing.assert_array_equal(image[0], images[2] / np.float32(255))
    assert label == labels[2] and isinstance(label, int)


def test_a_loader_batches_mnist(tmp_path):
    _write_mnist(tmp_path, n=5)
    images, labels = next(iter(DataLoader(MNIST(tmp_path, transform=lambda x: x - 0.5), 4)))
    assert images.shape == (4, 1, 28, 28) and labels.dtype == np.int64
    assert images.numpy().min() >= -0.5


def test_missing_directory_and_files_are_named(tmp_path):
    nope = tmp_path / "nope"
    with pytest.raises(
        FileNotFoundError, match=re.escape(f"mnist: root must be an existing directory, got {nope}")
    ):
        MNIST(nope)
    _write_mnist(tmp_path, "train")
    missing = tmp_path / "t10k-images-idx3-ubyte"
    with pytest.raises(
        FileNotFoundError, match=re.escape(f"mnist: found neither {missing} nor {missing}.gz")
    ):
        MNIST(tmp_path, train=False)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_pixels_are_reported_with_the_header_counts(tmp_path, gz):
    _write_mnist(tmp_path, n=5)
    images = np.zeros((5, 28, 28), np.uint8)
    path = _write(tmp_path / "train-images-idx3-ubyte", _idx(images)[:-100], gz)
    if gz:
        (tmp_path / "train-images-idx3-ubyte").unlink()
    expected = (
        f"mnist: {path} is truncated: header says 5 images of 28x28, "
        f"file holds {5 * 784 - 100} bytes of pixels"
    )
    with pytest.raises(ValueError) as error:
        MNIST(tmp_path)
    assert str(error.value) == expected


def test_a_cut_gzip_stream_is_reported(tmp_path):
    _write_mnist(tmp_path, n=5, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(ValueError, match=re.escape(f"mnist: {path} is not readable gzip data")):
        MNIST(tmp_path)


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x1f\x8b\x08\x03", "is not an IDX file: its magic number must start with two zero"),
        (b"\x00\x00\x0d\x03", r"must hold unsigned bytes \(IDX type 0x08\), got type 0x0d"),
        (b"\x00\x00\x08\x02", "must hold a 3-D IDX array, got 2-D"),
        (b"\x00\x00", "is truncated: it holds 2 bytes, no IDX header"),
        (b"\x00\x00\x08\x03\x00\x00", "is truncated: its header needs 16 bytes, the file holds 6"),
        (_idx(np.zeros((5, 28, 28), np.uint8)) + b"xx", "has trailing bytes: header says 5 images"),
    ],
)
def test_corrupt_image_files_are_refused_with_the_reason(tmp_path, payload, message):
    _write_mnist(tmp_path, n=5)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(payload)
    with pytest.raises(ValueError, match=message):
        MNIST(tmp_path)


def test_mismatched_counts_and_bad_labels_are_refused(tmp_path):
    _write_mnist(tmp_path, n=5)
    labels = tmp_path / "train-labels-idx1-ubyte"
    labels.write_bytes(_idx(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match="holds 5 images but .* holds 4 labels"):
        MNIST(tmp_path)
    labels.write_bytes(_idx(np.array([0, 1, 2, 3, 12], np.uint8)))
    with pytest.raises(
        ValueError, match=re.escape(f"mnist: labels in {labels} must be in 0..9, got 12")
    ):
        MNIST(tmp_path)
