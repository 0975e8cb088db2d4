"""Lesson `lrn`: local response normalization, what it does and what it did for AlexNet.

AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012), section 3.3: after the ReLU of its
first two convolutions, each activation a is divided by a power of the summed squares of
its n neighbouring channels at the same pixel,

    b = a / (k + alpha * sum of a^2 over n channels)^beta,   k = 2, n = 5, alpha = 1e-4,
                                                             beta = 0.75,

"a form of lateral inhibition": a strongly active channel damps its neighbours. The paper
reports that it "reduces our top-1 and top-5 error rates by 1.4% and 1.2%" on ImageNet,
and on CIFAR-10 a four-layer network's test error from 13% to 11%. (tinycnn's, like
torch's, `local_response_norm` divides alpha by n; the paper's alpha is alpha * n there.)

Measured, first, what it does to activations: the first convolution and ReLU of a small
network (random weights, seed 0) on a batch of digits, with the activations multiplied by
1, 10, 100 and 1000, and the factor b / a that LRN applies at each active position. Then
what it does to training: tinycnn's small CNN without BatchNorm (`LessonCNN`), with and
without LRN after its first two ReLUs, trained on the digits at 16 x 16 once per seed, and
its test accuracy.

What tinycnn can reproduce here: the formula and its effect on activations of any size,
and a trained comparison on 16 x 16 digits. What it cannot: ImageNet's 1.2 million images
and 90 epochs, where AlexNet measured its 1.4 points; on 359 test digits one image is 0.28
points, within the seed-to-seed spread.

Scales (wall time of `tinycnn lessons lrn --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide; 3 seeds):
    quick    128 images, 2 epochs                   3 s
    default  512 images, 10 epochs                  12 s
    full     all 1,438 training images, 20 epochs   82 s
"""

from pathlib import Path

import numpy as np

import tinycnn.nn.functional as F
from tinycnn import pictures, rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.seed_results import seed_values, summary_rows, values_per_seed
from tinycnn.lessons.short_runs import CHANCE, accuracy, digits, train_run
from tinycnn.lessons.small_nets import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE, LessonCNN
from tinycnn.lessons.verdict import decide, summarize
from tinycnn.tensor import no_grad, tensor

NAME = "lrn"
TITLE = "LRN: local response normalization across channels"
SIZE, LR, BATCH = 16, 0.05, 32
MAGNITUDES = (1, 10, 100, 1000)
SCALES = {
    "quick": {"images": 128, "epochs": 2},
    "default": {"images": 512, "epochs": 10},
    "full": {"images": None, "epochs": 20},
}
SOURCE = "Krizhevsky et al., ImageNet Classification (AlexNet), NIPS 2012, section 3.3"


def activation_factors(magnitudes=MAGNITUDES, images=64):
    """b / a at the active (a > 0) positions of a first conv + ReLU, per activation scale.

    Returns:
        {magnitude: {"activation_mean", "factor_min", "factor_mean", "factor_max"}}: the mean
        active activation, and LRN's factor b / a there, for activations times `magnitude`.
    """
    rng.manual_seed(0)
    first = LessonCNN(batch_norm=False).features[:2]  # conv, ReLU
    batch = digits(train=True, size=SIZE, count=images)
    x = np.stack([batch[i][0] for i in range(len(batch))])  # N x 1 x 16 x 16
    with no_grad():
        a = first(tensor(x))  # N x 16 x 16 x 16, >= 0
        rows = {}
        for magnitude in magnitudes:
            scaled = a * magnitude
            b = F.local_response_norm(scaled, LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K)
            active = scaled.data > 0
            factor = b.data[active] / scaled.data[active]
            rows[magnitude] = {
                "activation_mean": float(scaled.data[active].mean()),
                "factor_min": float(factor.min()),
                "factor_mean": float(factor.mean()),
                "factor_max": float(factor.max()),
            }
    return rows


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """LRN's factor on activations of each magnitude, and the network trained with and
    without LRN once per seed.

    Returns:
        {"factors": activation_factors(), "results": {"no LRN" | "LRN": [{"train_accuracy",
        "test_accuracy"} per seed]}, "settings": ...}.
    """
    scale, seeds = check(scale, seeds)
    settings = SCALES[scale]
    train_set = digits(train=True, size=SIZE, count=settings["images"])
    test = digits(train=False, size=SIZE)
    results = {"no LRN": [], "LRN": []}
    for seed in range(seeds):
        for name in results:
            rng.manual_seed(seed)
            model = LessonCNN(batch_norm=False, lrn=name == "LRN")
            train_run(model, train_set, settings["epochs"], BATCH, LR, seed)
            results[name].append(
                {
                    "train_accuracy": accuracy(model, train_set),
                    "test_accuracy": accuracy(model, test),
                }
            )
    return {
        "factors": activation_factors(),
        "results": results,
        "settings": {
            **settings, "scale": scale, "seeds": seeds, "size": SIZE, "lr": LR,
            "batch_size": BATCH, "images_used": len(train_set),
        },
    }  # fmt: skip


def report(numbers):
    factors, results, settings = numbers["factors"], numbers["results"], numbers["settings"]
    report = Report(
        TITLE,
        claim="Dividing each ReLU output by its neighbouring channels' summed squares "
        "(AlexNet's k = 2, n = 5, alpha = 1e-4, beta = 0.75) damps the strongly active "
        "neighbourhoods more than the weak ones, and lowered AlexNet's error by 1.4 points.",
    )
    report.table(
        ("activations times", "mean active value", "b / a: min", "mean", "max"),
        [(m, f["activation_mean"], f["factor_min"], f["factor_mean"], f["factor_max"])
         for m, f in factors.items()],
    )  # fmt: skip
    constant = LRN_K**-LRN_BETA
    small = factors[min(factors)]
    report.compare("b / a where activations are small: k^-beta", constant, small["factor_mean"])
    report.note(
        f"At the activations' own size (first row) the sum of squares is tiny next to k = 2, "
        f"so LRN multiplies everything by about k^-beta = {constant:.4f}: a constant scale, "
        f"no competition between channels. Only activations hundreds of times larger make "
        f"the factor vary from position to position, damping the strong neighbourhoods most. "
        f"AlexNet's constants were chosen for its own activations' size (its inputs were raw "
        f"pixel values, 0-255 minus the mean)."
    )
    values = values_per_seed(results)
    report.table(
        ("network (no BatchNorm)", "train accuracy", "test accuracy"),
        summary_rows(values, ("train_accuracy", "test_accuracy")),
    )
    report.verdict(
        Claim("LRN after the first two ReLUs raises test accuracy", SOURCE,
              f"test accuracy of LessonCNN without BN on {settings['images_used']:,} digits at "
              f"{SIZE} x {SIZE}, {settings['epochs']} epochs, {settings['seeds']} seeds",
              "no LRN", "LRN", "test accuracy"),
        decide(values["no LRN"]["test_accuracy"], values["LRN"]["test_accuracy"], "higher",
               learned_any=[values["no LRN"]["test_accuracy"], values["LRN"]["test_accuracy"]],
               chance=CHANCE),
    )  # fmt: skip
    report.note(
        "What this can and cannot reproduce: the formula and its effect on activations are "
        "measured exactly. AlexNet's 1.4 points were measured on 50,000 ImageNet validation "
        "images after 90 epochs on 1.2 million; here one of 359 test digits is 0.28 points, "
        "and an effect of that size is within the spread of the seeds above whenever their "
        "spreads add up to more than 0.014: then it reads 'inconclusive'. Later networks "
        "dropped LRN: VGG (sections 2.3 and 4.1) found it did not help, and BatchNorm "
        "replaced it."
    )
    fit = {name: summarize(v["train_accuracy"]).mean for name, v in values.items()}
    if fit["LRN"] < fit["no LRN"] - 0.1:
        report.note(
            f"Here the network with LRN trained much more slowly: training accuracy "
            f"{fit['LRN']:.3f} against {fit['no LRN']:.3f} after the same epochs. At these "
            f"activations LRN is the constant factor {constant:.2f} of the first table after "
            f"each of two stages, which in a network without BatchNorm shrinks what reaches "
            f"the classifier, and the gradient that comes back, about {constant**-2:.1f} "
            f"times: a likely reason, which this lesson does not isolate. AlexNet's inputs "
            f"were raw pixel values (0-255, centred), so its activations were likely far "
            f"larger, where the factor varies."
        )
    return report


def draw(numbers, directory):
    """Test accuracy with and without LRN, per seed and mean +- spread."""
    scores = {name: seed_values(runs, "test_accuracy") for name, runs in numbers["results"].items()}
    path = Path(directory) / "lrn_test_accuracy.png"
    return [pictures.plot_seed_values(scores, path, "test accuracy", TITLE)]
