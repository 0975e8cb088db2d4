"""`MNIST`: the handwritten digits of LeCun et al., read from the four IDX files."""

import gzip
import math
import zlib

import numpy as np

from tinycnn.data import checks, paths
from tinycnn.data.errors import DatasetError
from tinycnn.data.image_arrays import ImageArrayDataset
from tinycnn.io.budget import AllocationBudget, read_into

_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_UNSIGNED_BYTE = 0x08  # the IDX type code of uint8 data


class MNIST(ImageArrayDataset):
    """MNIST from a directory holding its IDX files, gzipped or not. Nothing is downloaded.

    The directory must hold `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`
    (train=True) or `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (train=False),
    each optionally ending in `.gz`, as published by LeCun, Cortes and Burges.

    Samples are `(image, label)`: image (1, 28, 28) float32 in [0, 1] after `transform`,
    label an int in 0..9.

    Args:
        root: the directory holding the files. NOTE: torchvision's root is two levels up
            (it reads root/MNIST/raw); pass that raw directory here.
        train: the 60,000 training images, or the 10,000 test images. Default: True.
        transform: a callable applied to each (1, 28, 28) image. Default: None.

    Attributes:
        data: uint8 (N, 28, 28). targets: int64 (N,). classes: the ten class names.

    Raises:
        FileNotFoundError: a missing directory or file, named.
        DatasetError (a ValueError): a corrupt, truncated or oversized file, named, with
            what is wrong.

    Example:
        >>> train = MNIST("/data/mnist", train=True)
    """

    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(self, root, train=True, transform=None):
        root = paths.directory("mnist", root)
        images_name, labels_name = _FILES[checks.boolean("mnist", "train", train)]
        images_path, labels_path = _find(root, images_name), _find(root, labels_name)
        images = read_idx(images_path, ndim=3)
        labels = read_idx(labels_path, ndim=1)
        if len(images) != len(labels):
            raise DatasetError(
                f"mnist: {images_path} holds {len(images)} images but {labels_path} holds "
                f"{len(labels)} labels"
            )
        if labels.size and labels.max() > 9:
            raise DatasetError(
                f"mnist: labels in {labels_path} must be in 0..9, got {labels.max()}"
            )
        super().__init__(images, labels, transform)


def _find(root, name):
    for path in (root / name, root / f"{name}.gz"):
        if path.is_file():
            return path
    raise FileNotFoundError(f"mnist: found neither {root / name} nor {root / name}.gz")


def read_idx(path, ndim):
    """The uint8 array stored in the IDX file at `path` (gunzipped if it ends in .gz).

    IDX layout: two zero bytes, a type code (0x08 for unsigned bytes), the number of
    dimensions, each dimension as a big-endian 32-bit int, then the values in C order.

    The header is read first; the array it describes is counted against
    `tinycnn.io.budget` (16 times the file's size, or 64 MiB) before it is allocated,
    then filled a chunk at a time, so a .gz file is never inflated beyond what its header
    says: a small file cannot claim, or inflate to, gigabytes.

    Args:
        path: a pathlib.Path.
        ndim: the number of dimensions the file must have (3 for images, 1 for labels).

    Raises:
        DatasetError: a corrupt, truncated or oversized file, naming it.
    """
    gzipped = path.suffix == ".gz"
    try:
        with gzip.open(path) if gzipped else open(path, "rb") as file:
            return _read_idx(file, path, ndim)
    except (OSError, EOFError, zlib.error) as error:
        if not gzipped:
            raise
        raise DatasetError(f"mnist: {path} is not readable gzip data: {error}") from None


def _read_idx(file, path, ndim):
    header_size = 4 + 4 * ndim
    raw = file.read(header_size)
    if len(raw) < 4:
        raise DatasetError(f"mnist: {path} is truncated: it holds {len(raw)} bytes, no IDX header")
    if raw[0] != 0 or raw[1] != 0:
        raise DatasetError(
            f"mnist: {path} is not an IDX file: its magic number must start with two zero "
            f"bytes, got 0x{raw[:4].hex()}"
        )
    if raw[2] != _UNSIGNED_BYTE:
        raise DatasetError(
            f"mnist: {path} must hold unsigned bytes (IDX type 0x08), got type 0x{raw[2]:02x}"
        )
    if raw[3] != ndim:
        raise DatasetError(f"mnist: {path} must hold a {ndim}-D IDX array, got {raw[3]}-D")
    if len(raw) < header_size:
        raise DatasetError(
            f"mnist: {path} is truncated: its header needs {header_size} bytes, "
            f"the file holds {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    items = f"{dims[0]} images of {dims[1]}x{dims[2]}" if ndim == 3 else f"{dims[0]} labels"
    kind = "pixels" if ndim == 3 else "labels"
    budget = AllocationBudget(path.stat().st_size, DatasetError)
    budget.take(math.prod(dims), f"mnist: {path}: its header's {items}")
    data = np.empty(dims, dtype=np.uint8)
    held = read_into(file, data)
    if held < data.size:
        raise DatasetError(
            f"mnist: {path} is truncated: header says {items}, file holds {held} bytes of {kind}"
        )
    if file.read(1):
        raise DatasetError(
            f"mnist: {path} has trailing bytes: header says {items}, the file holds more "
            f"than those {held} bytes of {kind}"
        )
    return data
