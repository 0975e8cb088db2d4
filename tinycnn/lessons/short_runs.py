"""Short training runs on the bundled digits, for the lessons that train: seeded, so each
run is the same every time, and trained as `tinycnn train` trains (SGD with Nesterov
momentum 0.9, a cosine learning-rate schedule stepped once per epoch)."""

from dataclasses import dataclass

from tinycnn import rng
from tinycnn.data import DataLoader, Digits, Subset, transforms
from tinycnn.optim import SGD
from tinycnn.optim.lr_scheduler import CosineAnnealingLR
from tinycnn.training.loop import evaluate, train_one_epoch

CLASSES = 10
CHANCE = 1 / CLASSES  # the accuracy of guessing


def digits(train, size, count=None, augment=False):
    """The first `count` images (all if None) of the digits' training or test split, S x S.

    `augment`: a random crop of the image padded by S/8 on each side, as `tinycnn train`
    augments the digits (no flips: a flipped 2 is no 2).
    """
    transform = transforms.RandomCrop(size, padding=max(1, size // 8)) if augment else None
    dataset = Digits(train=train, size=size, transform=transform)
    return dataset if count is None else Subset(dataset, list(range(min(count, len(dataset)))))


@dataclass
class Run:
    """What a training run recorded.

    Attributes:
        batch_losses: the mean cross-entropy of each batch, before its update.
        epoch_losses, epoch_accuracies: each epoch's mean over its batches (training mode,
            before each update: what `tinycnn train` logs as train_loss / train_accuracy).
    """

    batch_losses: list
    epoch_losses: list
    epoch_accuracies: list


def train_run(model, dataset, epochs, batch_size, lr, seed, weight_decay=0.0):
    """Train `model` on `dataset` as `tinycnn train` does, recording every batch's loss.

    `seed` seeds the shuffling, dropout and augmentation (the model was built before).

    Returns:
        a Run.
    """
    rng.manual_seed(seed)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
    optimizer = SGD(
        model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay, nesterov=True
    )
    schedule = CosineAnnealingLR(optimizer, T_max=epochs)
    run = Run([], [], [])

    def record(meter):
        # The meter sums loss * images; what this batch added is its mean loss times its size.
        run.batch_losses.append((meter.loss_sum - record.sum) / (meter.images - record.images))
        record.sum, record.images = meter.loss_sum, meter.images

    for _ in range(epochs):
        record.sum, record.images = 0.0, 0
        meter = train_one_epoch(model, loader, optimizer, CLASSES, on_batch=record)
        run.epoch_losses.append(meter.loss)
        run.epoch_accuracies.append(meter.accuracy)
        schedule.step()
    return run


def accuracy(model, dataset, batch_size=256):
    """The share of `dataset` the model classifies right, in evaluation mode."""
    return evaluate(model, DataLoader(dataset, batch_size=batch_size), CLASSES).accuracy


def train_and_test_accuracy(model, train_set, test):
    """{"train_accuracy", "test_accuracy", "gap"} of a trained model, where the gap,
    train - test accuracy, measures how much it overfits."""
    train_accuracy, test_accuracy = accuracy(model, train_set), accuracy(model, test)
    return {
        "train_accuracy": train_accuracy,
        "test_accuracy": test_accuracy,
        "gap": train_accuracy - test_accuracy,
    }
