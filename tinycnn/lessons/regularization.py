"""Lesson `regularization`: dropout and data augmentation narrow the train/test gap.

A network that can memorize its training set scores better on it than on images it has
not seen; the difference (the generalization gap) is what regularization is for. Dropout
(Srivastava et al., JMLR 2014; AlexNet's classifier uses it) zeroes a random half of the
units while training, so no unit can rely on any other; data augmentation (AlexNet's random
crops and flips) shows the network a slightly different image every epoch.

Measured: a small_cnn (three 3x3 conv stages, global pool, linear; tinycnn.models.small_cnn)
trained on a small share of the bundled digits, four ways: plain, with dropout (p = 0.5
before the classifier), with augmentation (random crops of the image padded by 1/8 of its
size, as `tinycnn train` augments digits), and with both. Training and test accuracy are
measured in evaluation mode on the un-augmented images. Same seed, same images for all four.
"""

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import rng
from tinycnn.lessons.report import Report
from tinycnn.lessons.short_runs import accuracy, digits, train_run
from tinycnn.models.small_cnn import SmallCNN

NAME = "regularization"
SIZE, LR, SEED, DROPOUT = 16, 0.05, 0, 0.5
FULL = {"train_images": 256, "epochs": 12, "batch_size": 32}
QUICK = {"train_images": 64, "epochs": 2, "batch_size": 32}
VARIANTS = {  # name: (dropout, augment)
    "plain": (False, False),
    "dropout": (True, False),
    "augmentation": (False, True),
    "both": (True, True),
}


class SmallCNNWithDropout(nn.Module):
    """`SmallCNN` with dropout of probability `p` before its classifier (p = 0: none).

    Shape: as `SmallCNN`: (N, 1, H, W) -> (N, 10).
    """

    def __init__(self, p):
        super().__init__()
        self.net = SmallCNN(num_classes=10, in_channels=1)
        self.p = p

    def forward(self, x):
        x = self.net.features(x)  # N x 64 x H/8 x W/8
        x = self.net.avgpool(x).flatten(1)  # N x 64
        x = F.dropout(x, p=self.p, training=self.training)  # N x 64, half zeroed in training
        return self.net.fc(x)  # N x 10


def measure(quick=False):
    """Train each variant; measure training and test accuracy.

    Returns:
        {"results": {variant: {"train_accuracy", "test_accuracy", "gap", "final_loss"}},
         "settings": the run's settings}; gap = train_accuracy - test_accuracy.
    """
    settings = QUICK if quick else FULL
    count = settings["train_images"]
    train_clean = digits(train=True, size=SIZE, count=count)
    test = digits(train=False, size=SIZE)
    results = {}
    for name, (dropout, augment) in VARIANTS.items():
        rng.manual_seed(SEED)  # the same initial weights for every variant
        model = SmallCNNWithDropout(DROPOUT if dropout else 0.0)
        train_set = digits(train=True, size=SIZE, count=count, augment=augment)
        losses = train_run(model, train_set, settings["epochs"], settings["batch_size"], LR, SEED)
        train_accuracy, test_accuracy = accuracy(model, train_clean), accuracy(model, test)
        results[name] = {
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "gap": train_accuracy - test_accuracy,
            "final_loss": losses[-1],
        }
    return {
        "results": results,
        "settings": {**settings, "size": SIZE, "lr": LR, "test_images": len(test)},
    }


def report(numbers):
    results, settings = numbers["results"], numbers["settings"]
    report = Report(
        "Regularization: dropout and data augmentation against the train/test gap",
        claim="Trained on few images, a network scores higher on its training images than on "
        "new ones. Dropout and data augmentation make memorizing harder, so the gap between "
        "training and test accuracy shrinks (and the test accuracy usually rises).",
    )
    report.table(
        ("variant", "train accuracy", "test accuracy", "gap", "last batch loss"),
        [
            (name, r["train_accuracy"], r["test_accuracy"], r["gap"], r["final_loss"])
            for name, r in results.items()
        ],
    )
    plain_gap = results["plain"]["gap"]
    for name in ("dropout", "augmentation", "both"):
        report.compare(
            f"gap with {name} < gap without",
            "yes",
            "yes" if results[name]["gap"] < plain_gap else "no",
        )
    report.note(
        f"Settings: {settings['train_images']} training digits and all {settings['test_images']} "
        f"test digits at {settings['size']} x {settings['size']}, {settings['epochs']} epochs "
        f"of batches of {settings['batch_size']}, SGD momentum 0.9, lr {settings['lr']}, "
        f"dropout p = {DROPOUT}, same seed for all four. Accuracies in evaluation mode "
        f"(dropout off, BatchNorm's running statistics) on un-augmented images."
    )
    underfit = [
        name for name in ("dropout", "augmentation", "both")
        if results[name]["train_accuracy"] < results["plain"]["train_accuracy"]
    ]  # fmt: skip
    if underfit:
        scores = ", ".join(f"{results[name]['train_accuracy']:.3f}" for name in underfit)
        report.note(
            f"Measured here: {', '.join(underfit)} fit the training images less well than the "
            f"plain run (train accuracy {scores} against "
            f"{results['plain']['train_accuracy']:.3f}): in a run this short, regularization "
            f"slows fitting before it can pay off on the test images."
        )
    report.note(
        "One short run per variant from one seed: with a few hundred test images, a "
        "difference of a few points is within the noise. Where a row says 'no', this is "
        "what was measured at this scale; the lesson does not tune the runs until it agrees."
    )
    return report
