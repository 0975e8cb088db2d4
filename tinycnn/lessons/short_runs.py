"""Short training runs on the bundled digits, for the lessons that train (`degradation`,
`regularization`): seeded, so each run is the same every time."""

from tinycnn import rng
from tinycnn.data import DataLoader, Digits, Subset, transforms
from tinycnn.optim import SGD
from tinycnn.training.loop import evaluate, train_one_epoch

CLASSES = 10


def digits(train, size, count=None, augment=False):
    """The first `count` images (all if None) of the digits' training or test split, S x S.

    `augment`: a random crop of the image padded by S/8 on each side, as `tinycnn train`
    augments the digits (no flips: a flipped 2 is no 2).
    """
    transform = transforms.RandomCrop(size, padding=size // 8) if augment else None
    dataset = Digits(train=train, size=size, transform=transform)
    return dataset if count is None else Subset(dataset, list(range(min(count, len(dataset)))))


def train_run(model, dataset, epochs, batch_size, lr, seed, weight_decay=0.0):
    """Train `model` on `dataset` with SGD (momentum 0.9), recording every batch's loss.

    `seed` seeds the shuffling, dropout and augmentation (the model was built before).

    Returns:
        a list of the mean cross-entropy of each batch, before that batch's update.
    """
    rng.manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    losses = []

    def record(meter):
        # The meter sums loss * images; what this batch added is its mean loss times its size.
        losses.append((meter.loss_sum - record.previous_sum) / (meter.images - record.images))
        record.previous_sum, record.images = meter.loss_sum, meter.images

    for _ in range(epochs):
        record.previous_sum, record.images = 0.0, 0
        train_one_epoch(model, loader, optimizer, CLASSES, on_batch=record)
    return losses


def accuracy(model, dataset, batch_size=256):
    """The share of `dataset` the model classifies right, in evaluation mode."""
    return evaluate(model, DataLoader(dataset, batch_size=batch_size), CLASSES).accuracy
