"""Lesson `degradation`: deeper plain networks train worse; residual ones do not.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016, section 4.2 and
Figure 6: on CIFAR-10 the 56-layer plain network has a *higher training error* than the
20-layer one (not overfitting: the training error itself is worse), while ResNet-56 trains
to a lower error than ResNet-20. The shortcuts make the deeper network at least as easy to
optimize as the shallower one.

Measured here on a much smaller scale: the paper's networks (`tinycnn.models.plain20`,
`plain56`, `resnet20`, `resnet56`) trained for a short while on the bundled 8 x 8 digits
(one epoch of 1,024 images, under a minute on 2 cores; --quick: a few batches), the
same data order and settings for all four, and their training-loss curves side by side.
The paper trained for 64,000 iterations of 128 images; whether the effect shows after a
few dozen iterations is what this lesson measures, and it says so either way.
"""

import numpy as np

from tinycnn import models, rng
from tinycnn.lessons.report import Report
from tinycnn.lessons.short_runs import CLASSES, digits, train_run

NAME = "degradation"
NETWORKS = ("plain20", "plain56", "resnet20", "resnet56")
SIZE = 8  # the digits' own resolution; the networks' stages run at 8, 4 and 2 pixels
LR, SEED = 0.05, 0
FULL = {"images": 1024, "epochs": 1, "batch_size": 32}
QUICK = {"images": 96, "epochs": 1, "batch_size": 16}


def measure(quick=False):
    """Train each network from the same seed on the same batches; record every batch's loss.

    Returns:
        {"losses": {network: [loss of batch 1, 2, ...]}, "final": {network: mean loss of the
        last quarter of the batches}, "settings": the run's settings}.
    """
    settings = QUICK if quick else FULL
    dataset = digits(train=True, size=SIZE, count=settings["images"])
    losses = {}
    for name in NETWORKS:
        rng.manual_seed(SEED)  # the same initial draw for each network's build
        model = models.get_model(name, num_classes=CLASSES, in_channels=1)
        losses[name] = train_run(
            model, dataset, settings["epochs"], settings["batch_size"], LR, SEED,
            weight_decay=1e-4,
        )  # fmt: skip
    tail = max(1, len(losses[NETWORKS[0]]) // 4)
    final = {name: float(np.mean(values[-tail:])) for name, values in losses.items()}
    return {
        "losses": losses,
        "final": final,
        "settings": {**settings, "size": SIZE, "lr": LR, "images_used": len(dataset)},
    }


def report(numbers):
    report = Report(
        "Degradation: plain and residual networks of 20 and 56 layers",
        claim="A 56-layer plain network reaches a higher training loss than a 20-layer one "
        "(the deeper network is harder to optimize, not overfitting); with identity "
        "shortcuts the 56-layer ResNet trains at least as well as ResNet-20.",
    )
    losses = numbers["losses"]
    steps = len(losses[NETWORKS[0]])
    every = max(1, steps // 12)
    report.table(
        ("batch", *NETWORKS),
        [(step + 1, *(losses[name][step] for name in NETWORKS)) for step in range(0, steps, every)],
    )
    final = numbers["final"]
    report.table(("mean loss, last quarter of the batches", *NETWORKS), [
        ("measured", *(final[name] for name in NETWORKS))
    ])  # fmt: skip
    checks = {
        "plain56 trains worse than plain20": final["plain56"] > final["plain20"],
        "resnet56 trains at least as well as resnet20": final["resnet56"] <= final["resnet20"],
        "resnet56 trains better than plain56": final["resnet56"] < final["plain56"],
    }
    for check, held in checks.items():
        report.compare(check, "yes", "yes" if held else "no")
    settings = numbers["settings"]
    report.note(
        f"Settings: {settings['images_used']} training digits at {settings['size']} x "
        f"{settings['size']}, {settings['epochs']} epoch(s) of batches of "
        f"{settings['batch_size']} ({steps} updates), SGD momentum 0.9, lr {settings['lr']}, "
        f"weight decay 1e-4, same seed and batch order for all four networks. The paper: "
        f"CIFAR-10 at 32 x 32, 64,000 updates of 128 images."
    )
    failed = [check for check, held in checks.items() if not held]
    if not failed:
        report.note(
            "At this scale the measurement agrees with the claim. It is one short run from one "
            "seed, and single batches are noisy: take it as a hint, not a reproduction of the "
            "paper's Figure 6."
        )
    else:
        report.note(
            f"At this scale the claim does not fully show: not measured here: "
            f"{'; '.join(failed)}. After so few updates the networks are near the start of "
            f"their curves, single batches are noisy, and a 56-layer network's first updates "
            f"at this learning rate can overshoot (the paper warms its 110-layer ResNet up at "
            f"lr 0.01 for that reason); the paper's curves span 64,000 updates. This lesson "
            f"reports what it measured rather than tuning the experiment until it agrees."
        )
    return report
