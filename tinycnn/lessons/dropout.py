"""Lesson `dropout`: dropout as an implicit ensemble of thinned networks.

Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout", JMLR 2014. Each
training step drops every hidden unit with probability p, so it trains one of the 2^units
"thinned" networks that share the weights. At test time the ideal prediction would average
all of them; instead the whole network is used with its weights scaled by 1 - p (tinycnn,
like torch, scales by 1 / (1 - p) while training instead, so the test network is the plain
one). Section 7.5 (Figure 11) compares that scaled network with Monte-Carlo averaging of
k sampled masks: the average of about 50 masks matches it, fewer masks do worse. Section 6:
dropout reduces overfitting, a smaller train/test gap.

Measured: a perceptron with two hidden layers of 256 units (the paper's kind of network for
MNIST) on the bundled 8 x 8 digits, trained with dropout p = 0.5 on both hidden layers and
without, once per seed. Per seed: the train/test gap of both, and for the dropout network
the test accuracy of the scaled network (evaluation mode) against the average of the
class probabilities of M sampled masks (training mode, no gradients).

Scales (wall time of `tinycnn lessons dropout --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide; 3 seeds):
    quick    128 images, 5 epochs, masks 1 and 5                3 s
    default  512 images, 40 epochs, masks 1, 5, 20, 50          3 s
    full     all 1,438 training images, 60 epochs, up to 100    20 s
"""

from pathlib import Path

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import pictures, rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.seed_results import seed_values, summary_rows, values_per_seed
from tinycnn.lessons.short_runs import CHANCE, digits, train_and_test_accuracy, train_run
from tinycnn.lessons.verdict import decide, summarize
from tinycnn.tensor import no_grad, tensor

NAME = "dropout"
TITLE = "Dropout: an implicit ensemble of thinned networks"
SIZE, HIDDEN, P, LR, BATCH = 8, 256, 0.5, 0.05, 32
SCALES = {
    "quick": {"images": 128, "epochs": 5, "masks": (1, 5)},
    "default": {"images": 512, "epochs": 40, "masks": (1, 5, 20, 50)},
    "full": {"images": None, "epochs": 60, "masks": (1, 5, 20, 50, 100)},
}
SOURCE = "Srivastava et al., Dropout, JMLR 2014"
# How much lower the scaled network's accuracy may be than the mask ensemble's and still
# count as "as good": about 4 of the 359 test digits.
TOLERANCE = 0.01


class Perceptron(nn.Module):
    """Flatten, then two hidden layers of `hidden` ReLU units, each followed by dropout of
    probability `p` (0: none), then a linear classifier.

    Shape: (N, 1, S, S) -> (N, 10).
    """

    def __init__(self, p, inputs=SIZE * SIZE, hidden=HIDDEN, classes=10):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(inputs, hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, classes),
        )  # fmt: skip

    def forward(self, x):
        return self.net(x)  # N x classes


def ensemble_accuracy(model, dataset, masks, seed):
    """Test accuracy of the average class probabilities of `masks` sampled dropout masks.

    The model runs in training mode (dropout on, a new mask per forward) without recording
    gradients; the masks are drawn from `seed`, so the result is reproducible.
    """
    images = tensor(np.stack([dataset[i][0] for i in range(len(dataset))]))  # N x 1 x S x S
    labels = np.array([dataset[i][1] for i in range(len(dataset))])
    rng.manual_seed(seed)
    model.train()
    probabilities = 0.0
    with no_grad():
        for _ in range(masks):
            probabilities = probabilities + np.exp(F.log_softmax(model(images), dim=1).data)
    model.eval()
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """Train with and without dropout once per seed; score the scaled network and the mask
    ensembles.

    Returns:
        {"results": {"no dropout" | "dropout": [{"train_accuracy", "test_accuracy", "gap"}
        per seed]}, "ensembles": {M: [test accuracy of M masks per seed]}, "settings": ...}.
    """
    scale, seeds = check(scale, seeds)
    settings = SCALES[scale]
    train_set = digits(train=True, size=SIZE, count=settings["images"])
    test = digits(train=False, size=SIZE)
    results = {"no dropout": [], "dropout": []}
    ensembles = {masks: [] for masks in settings["masks"]}
    for seed in range(seeds):
        for name in results:
            rng.manual_seed(seed)
            model = Perceptron(P if name == "dropout" else 0.0)
            train_run(model, train_set, settings["epochs"], BATCH, LR, seed)
            results[name].append(train_and_test_accuracy(model, train_set, test))
        for masks in ensembles:  # `model` is the dropout network
            ensembles[masks].append(ensemble_accuracy(model, test, masks, seed))
    return {
        "results": results,
        "ensembles": ensembles,
        "settings": {
            **settings, "scale": scale, "seeds": seeds, "size": SIZE, "p": P, "lr": LR,
            "batch_size": BATCH, "images_used": len(train_set), "test_images": len(test),
        },
    }  # fmt: skip


def report(numbers):
    results, ensembles, settings = numbers["results"], numbers["ensembles"], numbers["settings"]
    report = Report(
        TITLE,
        claim="Training with dropout trains many thinned networks that share weights; using "
        "the whole network at test time (weights scaled) approximates averaging them, and "
        "the network overfits less.",
    )
    values = values_per_seed(results)
    report.table(
        ("network", "train accuracy", "test accuracy", "gap"),
        summary_rows(values, ("train_accuracy", "test_accuracy", "gap")),
    )
    scaled = values["dropout"]["test_accuracy"]
    report.table(
        ("dropout network at test time", "test accuracy"),
        [("scaled network (evaluation mode)", str(summarize(scaled)))]
        + [(f"average of {masks} mask(s)", str(summarize(accuracies)))
           for masks, accuracies in ensembles.items()],
    )  # fmt: skip
    condition = (
        f"2 x {HIDDEN} perceptron, p = {P}, on {settings['images_used']:,} digits at "
        f"{SIZE} x {SIZE}, {settings['epochs']} epochs, {settings['seeds']} seeds, "
        f"{settings['test_images']} test digits"
    )
    report.verdict(
        Claim("dropout narrows the train/test gap", SOURCE + ", section 6",
              "train - test accuracy, " + condition, "no dropout", "dropout",
              "train - test accuracy"),
        decide(values["no dropout"]["gap"], values["dropout"]["gap"], "lower",
               learned=[values["no dropout"]["test_accuracy"], scaled], chance=CHANCE),
    )  # fmt: skip
    fewest, most = min(ensembles), max(ensembles)
    report.verdict(
        Claim(f"averaging {most} masks beats a single mask", SOURCE + ", section 7.5, Figure 11",
              "test accuracy, " + condition, f"{fewest} mask", f"{most} masks",
              "test accuracy"),
        decide(ensembles[fewest], ensembles[most], "higher",
               learned_any=[ensembles[fewest], ensembles[most]], chance=CHANCE),
    )  # fmt: skip
    report.verdict(
        Claim(f"the scaled network is as good as averaging {most} masks (at most {TOLERANCE} "
              f"lower)", SOURCE + ", section 7.5, Figure 11", "test accuracy, " + condition,
              f"{most} masks", "scaled network", "test accuracy"),
        decide(ensembles[most], scaled, "not lower", tolerance=TOLERANCE,
               learned_any=[ensembles[most], scaled], chance=CHANCE),
    )  # fmt: skip
    report.note(
        "The scaled network costs one forward pass; the ensemble of M masks costs M. The "
        "paper's Figure 11 (MNIST) shows the ensemble matching the scaled network from about "
        "50 masks on. A verdict other than 'reproduced' is what this scale measured; the runs "
        "are not tuned until they agree."
    )
    return report


def draw(numbers, directory):
    """Test accuracy of the scaled network and of each mask ensemble, per seed."""
    scores = {"scaled": seed_values(numbers["results"]["dropout"], "test_accuracy")}
    scores.update({f"{masks} masks": values for masks, values in numbers["ensembles"].items()})
    path = Path(directory) / "dropout_ensemble.png"
    return [pictures.plot_seed_values(scores, path, "test accuracy", TITLE)]
