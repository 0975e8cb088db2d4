"""`tinycnn train`: train a model on a dataset, with a progress bar, a log and checkpoints.

    tinycnn train                                   # small_cnn on the shipped digits
    tinycnn train --model resnet18 --dataset cifar10 --data-dir ~/data/cifar-10-batches-py
    tinycnn train --out runs/first --resume         # continue a run stopped with Ctrl-C

See `tinycnn.training` for what a run does and writes.
"""

import argparse
import math
import sys
import time

from tinycnn import models
from tinycnn.commands.errors import one_line_error
from tinycnn.training import datasets, recipe, trainer
from tinycnn.training.errors import RunInterruptedError, TrainingError
from tinycnn.training.recipe import Recipe

# The exit status of a program stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_STATUS = 130


def add_parser(subparsers):
    defaults = Recipe()
    parser = subparsers.add_parser(
        "train",
        help="train a model (default: a small CNN on the shipped digits)",
        description="Train a model, print a progress bar per epoch and the final test "
        "accuracy, and keep a checkpoint and a per-epoch log (log.csv) in --out. "
        "The validation images are a share of the training split; the test split is "
        "used once, at the end.",
    )
    # Every option defaults to None here, so that --resume can tell which ones were given.
    option = parser.add_argument
    option("--model", help=f"one of {', '.join(models.list_models())} (default {defaults.model})")
    option("--dataset", help=f"one of {', '.join(datasets.DATASETS)} (default {defaults.dataset})")
    option(
        "--data-dir",
        help="the dataset's directory (mnist: its IDX files; cifar10: cifar-10-batches-py; "
        "imagefolder: the one holding train/ and val/)",
    )
    option("--epochs", type=int, help=f"default {defaults.epochs}")
    option(
        "--batch-size",
        type=int,
        help=f"default {recipe.DEFAULT_BATCH_SIZE}, or all the training images if fewer",
    )
    option(
        "--optimizer",
        help=f"one of {', '.join(recipe.OPTIMIZERS)} (default {defaults.optimizer}, "
        f"with Nesterov momentum {recipe.SGD_MOMENTUM})",
    )
    option(
        "--lr",
        type=finite_float,
        help=f"learning rate (default: {_per_optimizer(recipe.DEFAULT_LR)}; sgd's is tuned "
        "for small_cnn on digits)",
    )
    option(
        "--weight-decay",
        type=finite_float,
        help=f"default: {_per_optimizer(recipe.DEFAULT_WEIGHT_DECAY)}",
    )
    option(
        "--scheduler",
        help=f"learning-rate schedule, stepped per epoch: {', '.join(recipe.SCHEDULERS)} "
        f"(default {defaults.scheduler})",
    )
    option(
        "--image-size",
        type=int,
        help="train on S x S images (default: the dataset's size; 32 for imagefolder)",
    )
    option(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="random crops, and flips for cifar10 and imagefolder (default: on)",
    )
    option(
        "--val-fraction",
        type=finite_float,
        help=f"share of the training split held out for validation "
        f"(default {defaults.val_fraction})",
    )
    option(
        "--subset",
        type=int,
        help="use only N random training and N test images, for a run that takes seconds",
    )
    option("--seed", type=int, help=f"seeds everything random (default {defaults.seed})")
    option(
        "--out",
        help="the run directory, for checkpoint.npz and log.csv "
        "(default runs/MODEL-DATASET-DATE-TIME)",
    )
    option(
        "--resume",
        action="store_true",
        help="continue the run in --out from its checkpoint, with the settings it started with",
    )
    return parser


def finite_float(text):
    """argparse's type for a real-number option: refuses inf and nan as it parses.

    Example:
        >>> finite_float("0.1")
        0.1
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _per_optimizer(values):
    return ", ".join(f"{name} {value:g}" for name, value in values.items())


def run(args):
    given = {
        name: value
        for name, value in vars(args).items()
        if name in Recipe.__dataclass_fields__ and value is not None
    }
    try:
        if args.resume:
            if args.out is None:
                raise TrainingError("--resume needs --out, the run directory to continue")
            trainer.resume(args.out, given)
        else:
            settings = Recipe(**given)
            trainer.train(settings, args.out or _default_out(settings))
    except TrainingError as error:
        print(one_line_error("train", error), file=sys.stderr)
        return 1
    except MemoryError as error:  # the checkpoint of the last completed epoch is intact
        print(
            one_line_error(
                "train", f"out of memory ({error}); try a smaller --batch-size or --image-size"
            ),
            file=sys.stderr,
        )
        return 1
    except RunInterruptedError as error:
        print(one_line_error("train", error), file=sys.stderr)
        return INTERRUPTED_STATUS
    except KeyboardInterrupt:  # while the data was loading, before the first epoch
        print("tinycnn train: interrupted before training started; nothing saved", file=sys.stderr)
        return INTERRUPTED_STATUS
    return 0


def _default_out(settings):
    return f"runs/{settings.model}-{settings.dataset}-{time.strftime('%Y%m%d-%H%M%S')}"
