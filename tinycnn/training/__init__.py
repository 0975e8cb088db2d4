"""Training runs: what `tinycnn train` and `tinycnn evaluate` do, as a library.

    from tinycnn.training import Recipe, train, resume

    result = train(Recipe(epochs=5), out="runs/first")   # progress bar, log.csv, checkpoint
    result.test.accuracy                                  # on the test split, at the end

recipe.py      `Recipe`: the settings of a run, and the model, optimizer, schedule they build
datasets.py    the datasets by name, split into training, validation and test sets
loop.py        one epoch of training, one pass of evaluation
meter.py       `Meter`: running loss, confusion matrix and speed of a pass
trainer.py     `train` and `resume`: the epochs, checkpoints, log, Ctrl-C, test score
checkpoint.py  the checkpoint file: `.npz` arrays plus JSON, no pickle, written atomically
progress.py    the progress bar
log.py         log.csv, one row per epoch
confusion.py   the confusion matrix and its table
run_lock.py    one run at a time in a run directory (a lock file holding the owner's PID)
memory.py      refuses an image size whose activations cannot fit in memory
saved_state.py checks of a checkpoint's edited JSON entries, before a resumed run trains
errors.py      `TrainingError` (a one-line problem with the input), `DivergedError`, and
               `RunInterruptedError`
"""

from tinycnn.training.errors import RunInterruptedError, TrainingError
from tinycnn.training.recipe import Recipe
from tinycnn.training.trainer import resume, train

__all__ = ["RunInterruptedError", "Recipe", "TrainingError", "resume", "train"]
