"""The per-epoch log of a run: `log.csv` in the run directory, one row per epoch.

    epoch,lr,train_loss,train_accuracy,val_loss,val_accuracy,seconds,images_per_second
    1,0.05,1.2931,0.5896,0.5712,0.8542,9.8,141.2

Losses are mean cross-entropy per image, accuracies fractions in [0, 1], `seconds` the
epoch's wall time (training and validation) and `images_per_second` the training speed.
The whole file is rewritten after each epoch from the history kept in the checkpoint,
through `atomic_write`, so it always matches the checkpoint beside it.
"""

import csv
import io

from tinycnn.io.atomic import atomic_write

COLUMNS = (
    "epoch",
    "lr",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "seconds",
    "images_per_second",
)


def epoch_row(epoch, lr, train, validation):
    """The log row of one epoch, a dict keyed by `COLUMNS`, from its two Meters."""
    return {
        "epoch": epoch,
        "lr": lr,
        "train_loss": train.loss,
        "train_accuracy": train.accuracy,
        "val_loss": validation.loss,
        "val_accuracy": validation.accuracy,
        "seconds": train.seconds + validation.seconds,
        "images_per_second": train.images_per_second,
    }


def write_log(path, rows):
    """Write `rows` (dicts keyed by `COLUMNS`) as CSV to `path`, replacing it atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(row[key]) for key in COLUMNS})
    atomic_write(path, lambda file: file.write(text.getvalue().encode("utf-8")))


def _cell(value):
    """Floats with 6 significant digits: enough to compare epochs, short enough to read."""
    return f"{value:.6g}" if isinstance(value, float) else value
