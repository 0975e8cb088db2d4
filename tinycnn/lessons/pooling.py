"""Lesson `pooling`: overlapping against non-overlapping max pooling.

AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012), section 3.4: pooling windows of
z x z at stride s overlap when s < z. AlexNet pools 3 x 3 at stride 2 instead of 2 x 2 at
stride 2, which "reduces the top-1 and top-5 error rates by 0.4% and 0.3%" on ImageNet,
and "models with overlapping pooling find it slightly more difficult to overfit".

Measured: first the geometry, from tinycnn's own layers: how many pooling windows each
input pixel falls in (by backpropagating through an average pool of ones) and the
receptive field at the last convolution (tinycnn.summary). Then tinycnn's small CNN
(`LessonCNN`) trained on the bundled digits at 16 x 16 with each pooling, once per seed:
3 x 3 windows at stride 2 with padding 1 give the same output sizes as 2 x 2 at stride 2,
so nothing else changes. Compared: test accuracy, and the train/test gap.

Scales (wall time of `tinycnn lessons pooling --scale S`, measured once on 2 cores of an AMD
EPYC shared with other jobs, so only a guide; 3 seeds):
    quick    128 images, 2 epochs                   3 s
    default  512 images, 15 epochs                  20 s
    full     all 1,438 training images, 30 epochs   69 s
"""

from pathlib import Path

import numpy as np

import tinycnn.nn.functional as F
from tinycnn import pictures, rng
from tinycnn.lessons.report import Claim, Report
from tinycnn.lessons.scale import DEFAULT_SEEDS, check
from tinycnn.lessons.seed_results import seed_values, summary_rows, values_per_seed
from tinycnn.lessons.short_runs import CHANCE, digits, train_and_test_accuracy, train_run
from tinycnn.lessons.small_nets import LessonCNN
from tinycnn.lessons.verdict import decide
from tinycnn.summary import summary
from tinycnn.tensor import tensor

NAME = "pooling"
TITLE = "Pooling: overlapping (3x3, stride 2) against non-overlapping (2x2, stride 2)"
SIZE, LR, BATCH = 16, 0.05, 32
POOLS = {"2x2, stride 2": (2, 2, 0), "3x3, stride 2 (overlapping)": (3, 2, 1)}
SCALES = {
    "quick": {"images": 128, "epochs": 2},
    "default": {"images": 512, "epochs": 15},
    "full": {"images": None, "epochs": 30},
}
SOURCE = "Krizhevsky et al., ImageNet Classification (AlexNet), NIPS 2012, section 3.4"


def windows_per_pixel(kernel, stride, padding, size=SIZE):
    """How many pooling windows each pixel of a size x size plane falls in, as an array.

    The gradient of the sum of an average pool (count_include_pad) puts 1 / kernel^2 on
    every pixel once per window that covers it; times kernel^2 it counts the windows.
    """
    x = tensor(np.ones((1, 1, size, size)), requires_grad=True)
    F.avg_pool2d(x, kernel, stride, padding).sum().backward()
    return np.asarray(x.grad)[0, 0] * kernel * kernel


def geometry():
    """Per pooling: output size, windows per pixel (mean, max), last convolution's field."""
    rows = {}
    for name, (kernel, stride, padding) in POOLS.items():
        counts = windows_per_pixel(kernel, stride, padding)
        info = summary(LessonCNN(pool=(kernel, stride, padding)), (1, SIZE, SIZE))
        last_conv = [row for row in info.layers if row.kind == "Conv2d"][-1]
        rows[name] = {
            "output_size": int(
                F.max_pool2d(tensor(np.zeros((1, 1, SIZE, SIZE))), kernel, stride, padding).shape[2]
            ),
            "mean_windows": float(counts.mean()),
            "max_windows": int(round(counts.max())),
            "last_conv_rf": int(last_conv.rf.size[0]),
        }
    return rows


def measure(scale="default", seeds=DEFAULT_SEEDS):
    """The geometry of each pooling, and each trained once per seed.

    Returns:
        {"geometry": {pool: {"output_size", "mean_windows", "max_windows", "last_conv_rf"}},
         "results": {pool: [{"train_accuracy", "test_accuracy", "gap"} per seed]},
         "settings": ...}.
    """
    scale, seeds = check(scale, seeds)
    settings = SCALES[scale]
    train_set = digits(train=True, size=SIZE, count=settings["images"])
    test = digits(train=False, size=SIZE)
    results = {name: [] for name in POOLS}
    for seed in range(seeds):
        for name, pool in POOLS.items():
            rng.manual_seed(seed)
            model = LessonCNN(pool=pool)
            train_run(model, train_set, settings["epochs"], BATCH, LR, seed)
            results[name].append(train_and_test_accuracy(model, train_set, test))
    return {
        "geometry": geometry(),
        "results": results,
        "settings": {
            **settings, "scale": scale, "seeds": seeds, "size": SIZE, "lr": LR,
            "batch_size": BATCH, "images_used": len(train_set),
        },
    }  # fmt: skip


def report(numbers):
    shapes, results, settings = numbers["geometry"], numbers["results"], numbers["settings"]
    report = Report(
        TITLE,
        claim="Overlapping pooling windows (stride smaller than the window) lower the error a "
        "little and make the network slightly harder to overfit.",
    )
    report.table(
        ("pooling", f"output of {SIZE} x {SIZE}", "windows per pixel: mean", "max",
         "field of the last conv"),
        [(name, g["output_size"], g["mean_windows"], g["max_windows"], g["last_conv_rf"])
         for name, g in shapes.items()],
    )  # fmt: skip
    report.note(
        "With 2 x 2 windows at stride 2 every pixel is in exactly one window; with 3 x 3 at "
        "stride 2 the windows share their edge rows and columns, so a pixel is in up to four "
        "and each output sees 9 pixels instead of 4. The fields of later layers grow with it."
    )
    values = values_per_seed(results)
    report.table(
        ("pooling", "train accuracy", "test accuracy", "gap"),
        summary_rows(values, ("train_accuracy", "test_accuracy", "gap")),
    )
    plain, overlap = POOLS
    test_accuracies = [values[plain]["test_accuracy"], values[overlap]["test_accuracy"]]
    condition = (
        f"LessonCNN on {settings['images_used']:,} digits at {SIZE} x {SIZE}, "
        f"{settings['epochs']} epochs, {settings['seeds']} seeds, 359 test digits"
    )
    report.verdict(
        Claim("overlapping pooling raises test accuracy", SOURCE, "test accuracy, " + condition,
              plain, overlap, "test accuracy"),
        decide(values[plain]["test_accuracy"], values[overlap]["test_accuracy"], "higher",
               learned_any=test_accuracies, chance=CHANCE),
    )  # fmt: skip
    report.verdict(
        Claim("overlapping pooling makes overfitting harder (a smaller gap)", SOURCE,
              "train - test accuracy, " + condition, plain, overlap, "train - test accuracy"),
        decide(values[plain]["gap"], values[overlap]["gap"], "lower", learned=test_accuracies,
               chance=CHANCE),
    )  # fmt: skip
    report.note(
        "AlexNet's effect is 0.4 points of top-1 error on 50,000 ImageNet validation images; "
        "on 359 test digits one image is 0.28 points, so an effect of AlexNet's size is "
        "within the spread here unless the seeds agree to a digit or two: it reads "
        "'inconclusive', which is what this scale can resolve, not evidence against the paper."
    )
    if any(verdict.outcome == "not reproduced" for _, verdict in report.verdicts):
        report.note(
            "Where a claim reads 'not reproduced', the overlapping pooling did worse here, by "
            "more than the seeds' spread. The regime differs from AlexNet's: its pools ran on "
            "55 x 55 and 27 x 27 maps of 224 x 224 photos, these on maps of 16, 8 and 4 pixels "
            "of digits; and with 3 seeds a "
            "difference just beyond the spread is weak evidence (--seeds K runs more). The "
            "lesson reports it rather than tuning the runs until they agree."
        )
    return report


def draw(numbers, directory):
    """Test accuracy with each pooling, per seed and mean +- spread."""
    scores = {name: seed_values(runs, "test_accuracy") for name, runs in numbers["results"].items()}
    path = Path(directory) / "pooling_test_accuracy.png"
    return [pictures.plot_seed_values(scores, path, "test accuracy", TITLE)]
