"""`Dataset`, `TensorDataset`, `Subset` and `random_split`, as torch.utils.data's."""

import math
import numbers

import numpy as np

from tinycnn import rng
from tinycnn.data import checks


class Dataset:
    """A sized collection of samples: subclasses define `__getitem__` and `__len__`.

    `dataset[i]` returns sample i, typically an `(image, label)` pair; the DataLoader
    stacks samples into batches.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are slices along the first axis of equally long arrays.

    Args:
        *tensors: Tensors or ndarrays with equal first dimensions, e.g. images (N, C, H, W)
            and labels (N,).

    NOTE: items are ndarray slices (`tensors[k][i]`), not Tensors: tinycnn datasets yield
    ndarrays and the DataLoader builds the batch Tensors.

    Example:
        >>> data = TensorDataset(np.zeros((10, 1, 8, 8), np.float32), np.arange(10))
        >>> image, label = data[3]
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: tensors must hold at least one array, got none")
        self.tensors = tuple(np.asarray(tensor) for tensor in tensors)
        sizes = [len(tensor) if tensor.ndim else None for tensor in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = [tensor.shape for tensor in self.tensors]
            raise ValueError(
                f"TensorDataset: tensors must have equal first dimensions, got shapes {shapes}"
            )

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order.

    Args:
        dataset: any Dataset.
        indices: a sequence of ints; `subset[i]` is `dataset[indices[i]]`.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping random `Subset`s of the given lengths.

    As torch's: `lengths` are either ints summing to len(dataset), or fractions summing
    to 1; fractions become floor(fraction * len(dataset)) samples each, and the samples
    left over are dealt one at a time to the subsets in order.

    Args:
        dataset: any Dataset.
        lengths: a sequence of ints, or of fractions in [0, 1].
        generator: the `np.random.Generator` that draws the permutation. Default: None,
            meaning `tinycnn.rng.generator()` (seeded by `tinycnn.manual_seed`). Pass
            `np.random.default_rng(seed)` for a split that other draws do not move.

    Example:
        >>> train, validation = random_split(data, [0.8, 0.2])
    """
    n = len(dataset)
    lengths = _split_lengths(list(lengths), n)
    order = (generator if generator is not None else rng.generator()).permutation(n).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start : start + length]))
        start += length
    return subsets


def _split_lengths(lengths, n):
    if not lengths or any(isinstance(x, bool) or not isinstance(x, numbers.Real) for x in lengths):
        raise TypeError(f"random_split: lengths must be a sequence of numbers, got {lengths!r}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and all(0 <= x <= 1 for x in lengths):
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if not all(checks.is_int(x) and x >= 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths must be ints >= 0 summing to len(dataset)={n} or fractions "
            f"summing to 1, got {lengths}"
        )
    return [int(x) for x in lengths]
