"""`ImageArrayDataset`: a dataset whose images all sit in one array in memory."""

import numpy as np

from tinycnn.data import checks
from tinycnn.data.dataset import Dataset
from tinycnn.data.transforms import to_tensor


class ImageArrayDataset(Dataset):
    """Images in one array, one integer label each; the base of MNIST, CIFAR10 and Digits.

    `dataset[i]` is `(image, label)`: image i made (C, H, W) by `transforms.to_tensor`
    (uint8 scaled to float32 [0, 1]), then passed through `transform`; label a Python int.

    Args:
        data: (N, H, W) or (N, H, W, C) images, channels last as torchvision keeps them.
        targets: (N,) integer labels.
        transform: a callable applied to each (C, H, W) image, or None.

    Attributes:
        data, targets (int64 ndarray), transform.
    """

    def __init__(self, data, targets, transform):
        self.data = data
        self.targets = np.asarray(targets, dtype=np.int64)
        self.transform = checks.optional_callable(
            type(self).__name__.lower(), "transform", transform
        )

    def __getitem__(self, index):
        image = to_tensor(self.data[index])
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.targets[index])

    def __len__(self):
        return len(self.data)
