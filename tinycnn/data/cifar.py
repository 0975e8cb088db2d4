"""`CIFAR10`: Krizhevsky's 32x32 colour images in 10 classes, from the python batches."""

import numpy as np

from tinycnn.data import checks, paths, restricted_pickle
from tinycnn.data.errors import DatasetError
from tinycnn.data.image_arrays import ImageArrayDataset

_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST_BATCHES = ("test_batch",)
_PIXELS = 3 * 32 * 32


class CIFAR10(ImageArrayDataset):
    """CIFAR-10 from the extracted `cifar-10-batches-py` directory. Nothing is downloaded.

    The directory must hold `data_batch_1` .. `data_batch_5` (train=True, 50,000 images)
    or `test_batch` (train=False, 10,000 images): pickled dicts whose b"data" is a uint8
    (N, 3072) array, each row the 1024 red, then green, then blue pixels of one image in
    row-major order, and whose b"labels" is a list of N ints in 0..9.

    The batches are read with `tinycnn.data.restricted_pickle`, which refuses any pickle
    that names a global other than numpy's array rebuilders: a tampered file cannot run
    code.

    Samples are `(image, label)`: image (3, 32, 32) float32 in [0, 1] after `transform`,
    label an int in 0..9 indexing `classes`.

    Args:
        root: the `cifar-10-batches-py` directory itself. NOTE: torchvision's root is its
            parent directory.
        train: the training batches, or the test batch. Default: True.
        transform: a callable applied to each (3, 32, 32) image. Default: None.

    Attributes:
        data: uint8 (N, 32, 32, 3), channels last as torchvision's. targets: int64 (N,).
        classes: the ten class names.

    Raises:
        FileNotFoundError: a missing directory or batch file, named.
        DatasetError (a ValueError): a corrupt batch, or one that names a forbidden global,
            named.

    Example:
        >>> train = CIFAR10("/data/cifar-10-batches-py", train=True)
    """

    classes = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]

    def __init__(self, root, train=True, transform=None):
        root = paths.directory("cifar10", root)
        train = checks.boolean("cifar10", "train", train)
        batches = [read_batch(root / name) for name in (_TRAIN_BATCHES if train else _TEST_BATCHES)]
        pixels = np.concatenate([pixels for pixels, _ in batches])
        labels = np.concatenate([labels for _, labels in batches])
        data = pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # NHWC view of NCHW memory
        super().__init__(data, labels, transform)


def read_batch(path):
    """(pixels uint8 (N, 3072), labels int64 (N,)) from one CIFAR-10 batch file."""
    path = paths.file("cifar10", path)
    try:
        with open(path, "rb") as file:
            batch = restricted_pickle.load(file)
    except Exception as error:  # any failure to decode untrusted bytes: the file is bad
        raise DatasetError(
            f"cifar10: {path} is not a readable CIFAR-10 batch: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(batch, dict):
        raise DatasetError(f"cifar10: {path} must hold a dict, got {type(batch).__name__}")
    fields = {
        key.decode() if isinstance(key, bytes) else key: value for key, value in batch.items()
    }
    if "data" not in fields or "labels" not in fields:
        raise DatasetError(
            f"cifar10: {path} must hold the keys b'data' and b'labels', "
            f"got {sorted(batch, key=str)}"
        )
    pixels, labels = fields["data"], _labels(path, fields["labels"])
    if not (isinstance(pixels, np.ndarray) and pixels.dtype == np.uint8 and pixels.ndim == 2):
        raise DatasetError(
            f"cifar10: data in {path} must be a uint8 (N, 3072) array, got {_describe(pixels)}"
        )
    if pixels.shape[1] != _PIXELS or len(labels) != len(pixels):
        raise DatasetError(
            f"cifar10: {path} must hold data (N, 3072) and N labels, got data {pixels.shape} "
            f"and {len(labels)} labels"
        )
    return pixels, labels


def _labels(path, value):
    """A batch's labels (a list of ints in 0..9, or an integer array) as int64 (N,)."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and np.issubdtype(value.dtype, np.integer):
        value = value.tolist()
    if not isinstance(value, list):
        raise DatasetError(f"cifar10: labels in {path} must be a list, got {_describe(value)}")
    wrong = [x for x in value if not (checks.is_int(x) and 0 <= x <= 9)]
    if wrong:
        raise DatasetError(f"cifar10: labels in {path} must be ints in 0..9, got {wrong[0]!r:.40}")
    return np.array(value, dtype=np.int64)


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__
