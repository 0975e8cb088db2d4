"""Lesson `regularization`: dropout, data augmentation and weight decay against the
train/test gap.

A network that can memorize its training set scores better on it than on images it has
not seen; the difference (the generalization gap) is what regularization is for. AlexNet
(Krizhevsky, Sutskever & Hinton, NIPS 2012) used all three: random crops and flips of the
images (section 4.1), dropout of p = 0.5 (section 4.2; Srivastava et al., JMLR 2014,
section 6) and weight decay of 0.0005 (section 5).

Measured: tinycnn's small CNN (`LessonCNN`, SmallCNN's layers) trained on a few hundred of
the bundled digits at 16 x 16, five ways: plain, with dropout (p = 0.5 before the
classifier), with augmentation (random crops of the image padded by 1/8 of its size, as
`tinycnn train` augments digits), with weight decay 5e-4, and with all three. Each way
once per seed; the gap is the training accuracy minus the test accuracy, both in
evaluation mode on un-augmented images (all 359 test digits). A claim holds when the gap
with the regularizer is lower than without beyond the seed spread, and both models learned
(test accuracy at least 0.10 above chance); see `verdict`.

Scales (wall time of `tinycnn lessons regularization --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide; 3 seeds):
    quick    64 images, 2 epochs     5 s (the models stay near chance: inconclusive)
    default  256 images, 15 epochs   13 s
    full     256 images, 60 epochs   87 s
"""

from pathlib import Path

from tinycnn import pictures, rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.seed_results import seed_values, summary_rows, values_per_seed
from tinycnn.lessons.short_runs import CHANCE, digits, train_and_test_accuracy, train_run
from tinycnn.lessons.small_nets import LessonCNN
from tinycnn.lessons.verdict import decide, summarize

NAME = "regularization"
TITLE = "Regularization: dropout, augmentation and weight decay against the train/test gap"
SIZE, LR, BATCH = 16, 0.05, 32
DROPOUT, WEIGHT_DECAY = 0.5, 5e-4  # AlexNet's
SCALES = {
    "quick": {"train_images": 64, "epochs": 2},
    "default": {"train_images": 256, "epochs": 15},
    "full": {"train_images": 256, "epochs": 60},
}
VARIANTS = {  # name: (dropout, augment, weight decay)
    "plain": (False, False, False),
    "dropout": (True, False, False),
    "augmentation": (False, True, False),
    "weight decay": (False, False, True),
    "all three": (True, True, True),
}
SOURCES = {
    "dropout": "Srivastava et al., Dropout, JMLR 2014, section 6; AlexNet (NIPS 2012) 4.2",
    "augmentation": "Krizhevsky et al., ImageNet Classification (AlexNet), NIPS 2012, 4.1",
    "weight decay": "Krogh & Hertz, NIPS 1992; AlexNet (NIPS 2012) section 5",
    "all three": "AlexNet (NIPS 2012) sections 4.1, 4.2 and 5 together",
}


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """Train each variant once per seed; measure training and test accuracy.

    Returns:
        {"results": {variant: [{"train_accuracy", "test_accuracy", "gap", "final_loss"}
        per seed]}, "settings": the run's settings}; gap = train_accuracy - test_accuracy.
    """
    scale, seeds = check(scale, seeds)
    settings = SCALES[scale]
    count = settings["train_images"]
    train_clean = digits(train=True, size=SIZE, count=count)
    test = digits(train=False, size=SIZE)
    results = {name: [] for name in VARIANTS}
    for seed in range(seeds):
        for name, (dropout, augment, decay) in VARIANTS.items():
            rng.manual_seed(seed)  # the same initial weights for every variant of a seed
            model = LessonCNN(dropout=DROPOUT if dropout else 0.0)
            train_set = digits(train=True, size=SIZE, count=count, augment=augment)
            run = train_run(
                model, train_set, settings["epochs"], BATCH, LR, seed,
                weight_decay=WEIGHT_DECAY if decay else 0.0,
            )  # fmt: skip
            scores = train_and_test_accuracy(model, train_clean, test)
            results[name].append({**scores, "final_loss": run.epoch_losses[-1]})
    return {
        "results": results,
        "settings": {
            **settings, "scale": scale, "seeds": seeds, "size": SIZE, "lr": LR,
            "batch_size": BATCH, "test_images": len(test),
        },
    }  # fmt: skip


def report(numbers):
    results, settings = numbers["results"], numbers["settings"]
    report = Report(
        TITLE,
        claim="Trained on few images, a network scores higher on its training images than on "
        "new ones. Dropout, data augmentation and weight decay make memorizing harder, so the "
        "gap between training and test accuracy shrinks.",
    )
    values = values_per_seed(results)
    report.table(
        ("variant", "train accuracy", "test accuracy", "gap", "last epoch's loss"),
        summary_rows(values, ("train_accuracy", "test_accuracy", "gap", "final_loss")),
    )
    report.note(f"Each cell: mean ± spread over {settings['seeds']} seeds.")
    plain = values["plain"]
    for name in ("dropout", "augmentation", "weight decay", "all three"):
        condition = (
            f"train - test accuracy of LessonCNN on {settings['train_images']} digits at "
            f"{SIZE} x {SIZE}, {settings['epochs']} epochs, {settings['seeds']} seeds; "
            f"{name} against none"
        )
        report.verdict(
            Claim(f"the train/test gap is narrower with {name}", SOURCES[name], condition,
                  "plain", name, "train - test accuracy"),
            decide(plain["gap"], values[name]["gap"], "lower",
                   learned=[plain["test_accuracy"], values[name]["test_accuracy"]],
                   chance=CHANCE),
        )  # fmt: skip
    report.note(
        f"Settings: {settings['train_images']} training digits and all "
        f"{settings['test_images']} test digits at {SIZE} x {SIZE}, batches of {BATCH}, SGD "
        f"Nesterov lr {LR} cosine over {settings['epochs']} epochs, dropout p = {DROPOUT}, "
        f"weight decay {WEIGHT_DECAY}; each seed gives every variant the same initial weights "
        f"and batch order. One test digit is {1 / settings['test_images']:.4f} of accuracy."
    )
    fit = {name: summarize(v["train_accuracy"]).mean for name, v in values.items()}
    slowed = [name for name in fit if fit[name] < fit["plain"] - 0.01]
    if slowed:
        why = (
            f"In a run this short a regularizer slows the fitting of the training images "
            f"before it can pay off on the test images: {', '.join(slowed)} reached a lower "
            f"training accuracy than plain ({fit['plain']:.3f})."
        )
    else:
        spread = summarize(plain["test_accuracy"]).spread
        why = (
            f"Every variant fit its training digits (training accuracy at least "
            f"{min(fit.values()):.3f}), so each gap is the test error, and the seeds' test "
            f"accuracies without regularization differ by {spread:.3f} "
            f"({spread * settings['test_images']:.1f} test digits), about as much as the "
            f"regularizers change them."
        )
    report.note(
        "Where a claim reads 'inconclusive' or 'not reproduced', that is what this scale "
        "measured; the runs are not tuned until they agree. AlexNet's regularizers were made "
        "for 60 million parameters and 1.2 million images; a 24,000-parameter network on a "
        "few hundred 16 x 16 digits is a different regime. " + why
    )
    return report


def draw(numbers, directory):
    """Each variant's train/test gap, per seed and mean +- spread."""
    gaps = {name: seed_values(runs, "gap") for name, runs in numbers["results"].items()}
    path = Path(directory) / "regularization_gap.png"
    return [pictures.plot_seed_values(gaps, path, "train - test accuracy", TITLE)]
