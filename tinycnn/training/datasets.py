"""The datasets `tinycnn train` knows by name, split into training, validation and test sets.

    name         where it comes from                        images        test split
    digits       shipped with tinycnn (tinycnn.data.Digits)  1 x 32 x 32   Digits(train=False)
    mnist        --data-dir holding the four IDX files       1 x 28 x 28   the t10k files
    cifar10      --data-dir: the cifar-10-batches-py dir     3 x 32 x 32   test_batch
    imagefolder  --data-dir holding train/ and val/, each    3 x S x S     val/
                 with one folder per class (read by Pillow)

The validation set is carved out of the training set (a seeded random share of it), so
choices can be tuned on it while the test set stays unseen until the end of the run.

Images keep the [0, 1] range the datasets give (no Normalize): every model's first layers
adapt to it, and BatchNorm, where a model has it, rescales anyway. Models with a
three-channel stem (every torchvision builder) get grayscale images repeated into three
identical channels, as torchvision's `Grayscale(num_output_channels=3)` gives them; only
`small_cnn` takes the dataset's own channel count.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinycnn.data import CIFAR10, MNIST, Dataset, Digits, ImageFolder, Subset, transforms
from tinycnn.training.errors import TrainingError

# name -> (channels, native image size); an ImageFolder has no size of its own.
DATASETS = {"digits": (1, 32), "mnist": (1, 28), "cifar10": (3, 32), "imagefolder": (3, 32)}

# Augmentations that keep the class: a flip turns a 2 into something else, a photo of a
# cat into another photo of a cat.
_FLIPPABLE = ("cifar10", "imagefolder")


@dataclass
class Splits:
    """The three sets of a run, each yielding (image (C, S, S) float32, label) samples.

    Attributes:
        train: the training images, augmented.
        validation: the held-out share of the training images, not augmented.
        test: the dataset's test split, not augmented; used once, at the end.
        classes: the class names.
    """

    train: Dataset
    validation: Dataset
    test: Dataset
    classes: list


class Transformed(Dataset):
    """The samples of `dataset` with `transform` applied to each image.

    A sample that cannot be read (a corrupt image file found only when it is decoded)
    raises TrainingError naming it, instead of an error deep inside the training loop.

    Args:
        dataset: a Dataset of (image, label) samples.
        transform: a callable on (C, H, W) images.
    """

    def __init__(self, dataset, transform):
        self.dataset = dataset
        self.transform = transform

    def __getitem__(self, index):
        try:
            image, label = self.dataset[index]
        except (OSError, ValueError) as error:
            raise TrainingError(str(error)) from error
        return self.transform(image), label

    def __len__(self):
        return len(self.dataset)


class RepeatChannels:
    """Repeat a one-channel image into `channels` identical channels: (1, H, W) -> (C, H, W).

    Images that already have `channels` channels pass unchanged.
    """

    def __init__(self, channels):
        self.channels = channels

    def __call__(self, image):
        if image.shape[0] == self.channels:
            return image
        return np.repeat(image, self.channels, axis=0)

    def __repr__(self):
        return f"RepeatChannels({self.channels})"


def channels(name):
    """The number of channels of the dataset `name`'s images."""
    return DATASETS[check_name(name)][0]


def native_size(name):
    """The height and width at which dataset `name` comes (32 for an ImageFolder)."""
    return DATASETS[check_name(name)][1]


def check_name(name):
    """`name` if it is a key of DATASETS; else TrainingError naming it and the choices."""
    if name not in DATASETS:
        raise TrainingError(f"--dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    return name


def load_splits(
    name, data_dir, image_size, model_channels, val_fraction, seed, augment, subset=None
):
    """Open dataset `name` and split it for training.

    Args:
        name: a key of `DATASETS`.
        data_dir: the directory holding its files (None for digits).
        image_size: S, the height and width the model sees.
        model_channels: the channels the model takes (1-channel images are repeated).
        val_fraction: the share of the training images held out for validation, in (0, 1).
        seed: seeds the choice of the subset and of the validation images, with a
            generator of its own, so the split does not move when other draws change.
        augment: random crops (and flips, for photos) on the training images.
        subset: N, or None. Use only N random images of the training split (validation
            included) and N of the test split, for a run that takes seconds.

    Raises:
        TrainingError: an unknown name, a missing directory or file, a corrupt file.
    """
    train = open_split(name, data_dir, image_size, train=True)
    test = open_split(name, data_dir, image_size, train=False)
    classes = list(train.classes)
    if list(test.classes) != classes:
        raise TrainingError(
            f"{name}: the test split's classes must be the training split's, got "
            f"{list(test.classes)} and {classes}"
        )
    generator = np.random.default_rng(seed)
    if subset is not None:
        train = _random_subset(train, subset, generator)
        test = _random_subset(test, subset, generator)
    n_validation = max(1, round(val_fraction * len(train)))
    if n_validation >= len(train):
        raise TrainingError(
            f"{name}: --val-fraction {val_fraction} leaves no training image out of {len(train)}"
        )
    order = generator.permutation(len(train))
    to_model = RepeatChannels(model_channels)
    return Splits(
        train=Transformed(
            _subset(train, order[n_validation:]), _augmentation(name, image_size, augment, to_model)
        ),
        validation=Transformed(_subset(train, order[:n_validation]), to_model),
        test=Transformed(test, to_model),
        classes=classes,
    )


def _augmentation(name, S, augment, to_model):
    """The training transform: a random S x S crop of the image padded by S/8 on each side
    (a shift of up to 1/8 of the image), a random flip for photos, then `to_model`."""
    if not augment:
        return to_model
    steps = [transforms.RandomCrop(S, padding=S // 8)]
    if name in _FLIPPABLE:
        steps.append(transforms.RandomHorizontalFlip())
    return transforms.Compose([*steps, to_model])


def _random_subset(dataset, size, generator):
    """`size` images of `dataset` drawn without replacement (all of them if it has fewer)."""
    return _subset(dataset, generator.permutation(len(dataset))[:size])


def _subset(dataset, indices):
    """The images of `dataset` at `indices`, kept in dataset order."""
    return Subset(dataset, np.sort(indices).tolist())


def open_split(name, data_dir, image_size, train):
    """The training or test split of dataset `name`, images resized to S x S.

    Raises:
        TrainingError: as `load_splits`.
    """
    if check_name(name) == "digits":
        if data_dir is not None:
            raise TrainingError(
                f"--data-dir is not used by digits (it ships with tinycnn), got {data_dir}"
            )
        return Digits(train=train, size=image_size)
    if data_dir is None:
        raise TrainingError(f"--dataset {name} needs --data-dir, the directory of its files")
    try:
        return _open_from_files(name, Path(data_dir), image_size, train)
    except (OSError, ValueError, ImportError) as error:  # missing or corrupt files, no Pillow
        raise TrainingError(str(error)) from error


def _open_from_files(name, data_dir, S, train):
    if name == "mnist":
        resize = None if S == 28 else transforms.Resize((S, S))
        return MNIST(data_dir, train=train, transform=resize)
    if name == "cifar10":
        resize = None if S == 32 else transforms.Resize((S, S))
        return CIFAR10(data_dir, train=train, transform=resize)
    # As torchvision's ImageNet evaluation: shorter side to S, then the central S x S.
    resize = transforms.Compose([transforms.Resize(S), transforms.CenterCrop(S)])
    return ImageFolder(data_dir / ("train" if train else "val"), transform=resize)
