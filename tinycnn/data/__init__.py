"""Datasets, the DataLoader and image transforms, with torch.utils.data's and torchvision's names.

    from tinycnn.data import DataLoader, Digits, transforms

    augment = transforms.Compose([transforms.RandomCrop(32, padding=4)])
    loader = DataLoader(Digits(train=True, transform=augment), batch_size=64, shuffle=True)
    for images, labels in loader:    # Tensors (64, 1, 32, 32) float32 and (64,) int64
        ...

Datasets hand out (C, H, W) float32 ndarrays in [0, 1]; transforms act on those; the
DataLoader stacks them into Tensors. Nothing is downloaded: `Digits` ships with tinycnn,
and `MNIST`, `CIFAR10` and `ImageFolder` read files you already have. Every random draw
(shuffling, random crops and flips, colour jitter, `random_split`) comes from
`tinycnn.rng.generator()`, so `tinycnn.manual_seed` makes a run reproducible. A file
that is corrupt, not a regular file, or claims more memory than a stated multiple of its
size (`tinycnn.io.budget`; images: `image_file.MAX_PIXELS`) raises `DatasetError`.
"""

from tinycnn.data import transforms
from tinycnn.data.cifar import CIFAR10
from tinycnn.data.dataloader import DataLoader
from tinycnn.data.dataset import Dataset, Subset, TensorDataset, random_split
from tinycnn.data.digits import Digits
from tinycnn.data.errors import DatasetError
from tinycnn.data.image_folder import ImageFolder
from tinycnn.data.mnist import MNIST

__all__ = [
    "CIFAR10",
    "DataLoader",
    "Dataset",
    "DatasetError",
    "Digits",
    "ImageFolder",
    "MNIST",
    "Subset",
    "TensorDataset",
    "random_split",
    "transforms",
]
