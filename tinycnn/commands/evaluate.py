"""`tinycnn evaluate CHECKPOINT`: the test accuracy and confusion matrix of a trained model.

    tinycnn evaluate runs/small_cnn-digits-20260101-120000/checkpoint.npz
    tinycnn evaluate run/checkpoint.npz --dataset mnist --data-dir ~/data/mnist

By default the model is scored on the test split of the dataset it was trained on, at
the image size it was trained at.
"""

import sys

from tinycnn.commands.errors import one_line_error
from tinycnn.data import DataLoader
from tinycnn.training import checkpoint, datasets
from tinycnn.training.confusion import format_confusion
from tinycnn.training.errors import TrainingError
from tinycnn.training.loop import evaluate
from tinycnn.training.memory import check_memory
from tinycnn.training.recipe import build_model, model_arguments
from tinycnn.training.trainer import saved_recipe


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate",
        help="accuracy and confusion matrix of a checkpoint on a test split",
        description="Score a checkpoint written by 'tinycnn train' on a dataset's test "
        "split: the accuracy, then the confusion matrix as a table.",
    )
    parser.add_argument("checkpoint", help="a checkpoint.npz written by 'tinycnn train'")
    parser.add_argument(
        "--dataset",
        help=f"one of {', '.join(datasets.DATASETS)} (default: the one it was trained on)",
    )
    parser.add_argument(
        "--data-dir", help="the dataset's directory (default: the one it was trained on)"
    )
    parser.add_argument("--batch-size", type=int, default=100, help="default 100")
    return parser


def run(args):
    try:
        report(args.checkpoint, args.dataset, args.data_dir, args.batch_size, sys.stdout)
    except TrainingError as error:
        print(one_line_error("evaluate", error), file=sys.stderr)
        return 1
    except MemoryError as error:
        message = f"out of memory ({error}); try a smaller --batch-size"
        print(one_line_error("evaluate", message), file=sys.stderr)
        return 1
    return 0


def saved_model_arguments(saved, trained):
    """The model arguments a checkpoint holds, checked before anything is built.

    They must be what `tinycnn train` gives the builder for the checkpoint's recipe and
    class list: an edited file (num_classes 0 or 1e9, a weights path) would otherwise
    fail inside the builder, or allocate gigabytes, instead of in one line.

    Raises:
        TrainingError: naming the file, what it holds and what was expected.
    """
    name, arguments = saved.get("model", str), saved.get("model_arguments", dict)
    classes = saved.get("classes", list)
    if name != trained.model or not all(isinstance(item, str) for item in classes):
        raise TrainingError(
            f"checkpoint: {saved.path} must hold the model of its recipe ({trained.model}) and "
            f"a list of class names, got {name!r} and {classes!r:.80}"
        )
    expected = model_arguments(trained, len(classes))
    # types too: True == 1 in Python, but a builder refuses True as a channel count
    if arguments != expected or any(type(arguments[k]) is not type(v) for k, v in expected.items()):
        raise TrainingError(
            f"checkpoint: {saved.path} holds the model arguments {arguments!r:.100}, but its "
            f"recipe and its {len(classes)} classes give {expected}"
        )
    return arguments


def report(path, dataset=None, data_dir=None, batch_size=100, stream=sys.stdout):
    """Print the accuracy and confusion matrix of the checkpoint at `path`; see the module.

    Returns:
        the Meter of the test split (its `confusion` is the printed matrix).

    Raises:
        TrainingError: a missing, corrupt or unfitting checkpoint, a bad dataset.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise TrainingError(f"--batch-size must be an int >= 1, got {batch_size!r}")
    saved = checkpoint.load(path)
    trained = saved_recipe(saved)
    name, arguments = saved.get("model", str), saved_model_arguments(saved, trained)
    check_memory(trained, batch_size)  # an edited image size, before the data opens
    model = build_model(name, arguments)
    saved.load_model_state(model)

    if dataset is None:
        dataset = trained.dataset
    if data_dir is None and dataset == trained.dataset:
        data_dir = trained.data_dir
    if datasets.channels(dataset) > trained.model_channels:
        raise TrainingError(
            f"--dataset {dataset} has {datasets.channels(dataset)}-channel images but the "
            f"{name} in {saved.path} takes {trained.model_channels}-channel images"
        )
    test = datasets.open_split(dataset, data_dir, trained.image_size, train=False)
    if len(test.classes) != arguments["num_classes"]:
        raise TrainingError(
            f"--dataset {dataset} has {len(test.classes)} classes but the {name} in "
            f"{saved.path} was trained for {arguments['num_classes']}"
        )
    images = datasets.Transformed(test, datasets.RepeatChannels(trained.model_channels))
    meter = evaluate(model, DataLoader(images, batch_size=batch_size), len(test.classes))
    stream.write(
        f"{name} from {saved.path} (epoch {saved.get('epoch', int)}) on the {dataset} test "
        f"split: accuracy {100 * meter.accuracy:.2f}% ({meter.correct}/{meter.images}), "
        f"loss {meter.loss:.4f}\n\n"
        f"{format_confusion(meter.confusion, test.classes)}\n"
    )
    return meter
