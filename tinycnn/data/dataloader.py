"""`DataLoader`: iterate over a dataset in (optionally shuffled) batches, as torch's."""

import numpy as np

from tinycnn import rng
from tinycnn.data import checks
from tinycnn.tensor import Tensor


class DataLoader:
    """Batches of samples from a dataset, stacked into Tensors.

    Each epoch (each `for batch in loader`) visits every sample once. With shuffle=True
    the order is a fresh permutation drawn from `tinycnn.rng.generator()` when the epoch
    starts, so `tinycnn.manual_seed` makes the order of a run reproducible and each epoch
    still differs from the last.

    A batch is collated as torch's default: samples that are (image, label) pairs give a
    list [images, labels] of Tensors, images (N, C, H, W) stacked in their dtype (float32
    from tinycnn's datasets) and labels int64 (N,); a sample that is a single array gives
    one Tensor.

    Args:
        dataset: any Dataset (`__getitem__` and `__len__`).
        batch_size: samples per batch. Default: 1.
        shuffle: reshuffle the samples at the start of every epoch. Default: False.
        drop_last: drop the last batch when it is smaller than batch_size. Default: False.

    NOTE: a single process loads the batches (torch's num_workers=0); there are no
    workers, samplers or collate_fn.

    Example:
        >>> loader = DataLoader(Digits(train=True), batch_size=64, shuffle=True)
        >>> images, labels = next(iter(loader))   # (64, 1, 32, 32) float32, (64,) int64
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False):
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                "DataLoader: dataset must define __getitem__ and __len__, "
                f"got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = checks.int_at_least("DataLoader", "batch_size", batch_size, 1)
        self.shuffle = checks.boolean("DataLoader", "shuffle", shuffle)
        self.drop_last = checks.boolean("DataLoader", "drop_last", drop_last)

    def __len__(self):
        """Batches per epoch: ceil(N / batch_size), or floor with drop_last."""
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = rng.generator().permutation(n) if self.shuffle else np.arange(n)
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, n), self.batch_size):
            batch = order[start : start + self.batch_size]
            yield _collate([self.dataset[int(i)] for i in batch])


def _collate(samples):
    """Stack field k of every sample into one Tensor (recursively for tuples and lists)."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError("DataLoader: samples must have equal lengths to be batched")
        return [_collate([sample[k] for sample in samples]) for k in range(len(first))]
    arrays = [np.asarray(sample) for sample in samples]
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        raise ValueError(
            "DataLoader: samples in a batch must have equal shapes to be stacked, got shapes "
            f"{sorted(shapes)}; resize or crop them to one size with a transform"
        )
    return Tensor(np.stack(arrays))
