"""Lesson `batchnorm`: BatchNorm lets a network train at a higher learning rate.

Ioffe & Szegedy, "Batch Normalization", ICML 2015. Section 3.3: without normalization a
high learning rate makes the activations and gradients grow or vanish from layer to layer
and training diverges or stalls; normalizing each layer's inputs over the batch keeps their
scale, so "Batch Normalization enables higher learning rates". Section 4.2.1 / Figure 2:
with BatchNorm the network also trains faster at the same learning rate.

Measured: tinycnn's small CNN (`LessonCNN`: three conv stages, global pool, linear) with
and without BatchNorm (without it the convolutions get biases), trained on the bundled
digits at 16 x 16 at a base learning rate of 0.05 and at ten times that, once per seed.
Compared per seed: the first epoch's training loss (how fast it starts) and the last
epoch's training accuracy (whether it trains at all); see `verdict` for the rule.

Scales (wall time of `tinycnn lessons batchnorm --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide; 3 seeds):
    quick    128 images, 2 epochs                   3 s
    default  all 1,438 training images, 4 epochs    52 s
    full     all 1,438 training images, 12 epochs   44 s (a quieter moment than default's)
"""

from pathlib import Path

from tinycnn import pictures, rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.seed_results import mean_loss_rows, summary_rows, values_per_seed
from tinycnn.lessons.short_runs import CHANCE, accuracy, digits, train_run
from tinycnn.lessons.small_nets import LessonCNN
from tinycnn.lessons.verdict import decide

NAME = "batchnorm"
TITLE = "BatchNorm: training with and without it, at a base and a ten times higher lr"
SIZE, BATCH = 16, 64
BASE_LR, HIGH_LR = 0.05, 0.5
SCALES = {
    "quick": {"images": 128, "epochs": 2},
    "default": {"images": None, "epochs": 4},
    "full": {"images": None, "epochs": 12},
}
CONDITIONS = {  # name: (batch_norm, lr)
    f"no BN, lr {BASE_LR}": (False, BASE_LR),
    f"BN, lr {BASE_LR}": (True, BASE_LR),
    f"no BN, lr {HIGH_LR}": (False, HIGH_LR),
    f"BN, lr {HIGH_LR}": (True, HIGH_LR),
}
SOURCE = "Ioffe & Szegedy, Batch Normalization, ICML 2015"


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """Train each condition once per seed.

    Returns:
        {"runs": {condition: [{"epoch_losses", "first_loss", "final_accuracy",
        "test_accuracy"} per seed]}, "settings": the run's settings}. A loss that diverged
        is inf or NaN; the accuracies are always numbers.
    """
    scale, seeds = check(scale, seeds)
    settings = SCALES[scale]
    train_set = digits(train=True, size=SIZE, count=settings["images"])
    test = digits(train=False, size=SIZE)
    runs = {name: [] for name in CONDITIONS}
    for seed in range(seeds):
        for name, (batch_norm, lr) in CONDITIONS.items():
            rng.manual_seed(seed)
            model = LessonCNN(batch_norm=batch_norm)
            run = train_run(model, train_set, settings["epochs"], BATCH, lr, seed)
            runs[name].append(
                {
                    "epoch_losses": run.epoch_losses,
                    "first_loss": run.epoch_losses[0],
                    "final_accuracy": run.epoch_accuracies[-1],
                    "test_accuracy": accuracy(model, test),
                }
            )
    return {
        "runs": runs,
        "settings": {
            **settings, "scale": scale, "seeds": seeds, "size": SIZE, "batch_size": BATCH,
            "images_used": len(train_set),
        },
    }  # fmt: skip


def report(numbers):
    runs, settings = numbers["runs"], numbers["settings"]
    report = Report(
        TITLE,
        claim="Normalizing each layer's inputs over the batch keeps their scale from layer to "
        "layer, so a network with BatchNorm trains at learning rates where one without it "
        "fails, and trains faster at the same rate.",
    )
    report.table(("epoch", *runs), mean_loss_rows(runs, settings["epochs"]))
    report.note("Training loss per epoch (mean over the seeds; inf or nan: the run diverged).")
    keys = ("first_loss", "final_accuracy", "test_accuracy")
    values = values_per_seed(runs, keys)
    report.table(
        ("condition", "first epoch's loss", "last epoch's train accuracy", "test accuracy"),
        summary_rows(values, keys),
    )
    data = (
        f"LessonCNN on {settings['images_used']:,} digits at {SIZE} x {SIZE}, "
        f"{settings['epochs']} epochs, batches of {BATCH}, SGD Nesterov cosine, "
        f"{settings['seeds']} seeds"
    )
    without, with_bn = f"no BN, lr {HIGH_LR}", f"BN, lr {HIGH_LR}"
    report.verdict(
        Claim(f"at lr {HIGH_LR} the network with BN trains better than the one without",
              SOURCE + ", section 3.3 (and 4.2.2: BN-x5, BN-x30)",
              f"last epoch's training accuracy, {data}, lr {HIGH_LR}", without, with_bn,
              "training accuracy"),
        decide(values[without]["final_accuracy"], values[with_bn]["final_accuracy"], "higher",
               learned_any=[values[without]["final_accuracy"], values[with_bn]["final_accuracy"]],
               chance=CHANCE),
    )  # fmt: skip
    without, with_bn = f"no BN, lr {BASE_LR}", f"BN, lr {BASE_LR}"
    report.verdict(
        Claim(f"at lr {BASE_LR} the network with BN trains faster",
              SOURCE + ", section 4.2.1 and Figure 2(a)",
              f"first epoch's training loss, {data}, lr {BASE_LR}", without, with_bn,
              "first epoch's loss"),
        decide(values[without]["first_loss"], values[with_bn]["first_loss"], "lower",
               learned_any=[values[without]["final_accuracy"], values[with_bn]["final_accuracy"]],
               chance=CHANCE),
    )  # fmt: skip
    report.note(
        "The paper's networks were Inception models on ImageNet, trained for millions of "
        "updates; this is a three-layer network on digits for a few epochs, with every other "
        "setting the same between the conditions. A verdict other than 'reproduced' is what "
        "this scale measured; the runs are not tuned until they agree."
    )
    return report


def draw(numbers, directory):
    """The training-loss curves of the four conditions, mean and range over the seeds."""
    curves = {name: [run["epoch_losses"] for run in runs] for name, runs in numbers["runs"].items()}
    path = Path(directory) / "batchnorm_loss.png"
    return [pictures.plot_seed_curves(curves, path, "training loss", TITLE, log=True)]
