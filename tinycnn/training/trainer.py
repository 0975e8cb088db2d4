"""A whole training run: data, model, optimizer, epochs, checkpoints, log and test score.

    result = train(Recipe(epochs=5), out="runs/first")     # a new run
    result = resume("runs/first")                         # continue it after a Ctrl-C

Each epoch trains on the training images (with a progress bar), measures the loss and
accuracy on the validation images, steps the learning-rate schedule, then writes the
checkpoint and the log (`checkpoint.npz` and `log.csv` in the run directory). After the
last epoch the model is scored once on the test split.

Resuming is exact: the checkpoint holds the model, the optimizer (momentum buffers, Adam's
moments), the schedule, the state of the random generator that shuffles the batches and
draws the augmentation (`tinycnn.rng.generator()`), and the recipe. A run interrupted and
resumed ends with the same weights, bit for bit, as one that was never interrupted.

Ctrl-C (KeyboardInterrupt) during an epoch discards that partial epoch and keeps the
checkpoint of the last completed one (saving it first if the interrupt came while it was
being written), then raises `RunInterruptedError` with a one-line message.

Nothing else ends a run with a traceback or loses it: a run holds a lock on its directory
(`run_lock`), so a second run there is refused; it removes what a killed save left
(`.checkpoint.npz.*.tmp`); a loss that turns NaN or infinite, or a full disk, stops it
with one line naming the epoch, keeping the checkpoint of the last good epoch; and an
edited checkpoint is checked whole before any epoch trains.
"""

import math
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from tinycnn import rng
from tinycnn.data import DataLoader, checks
from tinycnn.kernels.conv import tuning
from tinycnn.tensor import Tensor, no_grad
from tinycnn.training import checkpoint, datasets, run_lock
from tinycnn.training.errors import DivergedError, RunInterruptedError, TrainingError
from tinycnn.training.log import epoch_row, write_log
from tinycnn.training.loop import evaluate, train_one_epoch
from tinycnn.training.memory import check_memory
from tinycnn.training.progress import ProgressBar, epoch_summary
from tinycnn.training.recipe import (
    DEFAULT_BATCH_SIZE,
    Recipe,
    build_model,
    build_optimizer,
    build_scheduler,
    model_arguments,
)
from tinycnn.training.saved_state import check_history, check_like

CHECKPOINT_FILE = "checkpoint.npz"
LOG_FILE = "log.csv"


@dataclass
class Session:
    """Everything a run trains and saves.

    Attributes:
        recipe: the completed Recipe.
        splits: the datasets (`tinycnn.training.datasets.Splits`).
        arguments: the model builder's keyword arguments.
        model, optimizer, scheduler: built from the recipe (scheduler None if constant).
        epoch: the number of completed epochs.
        history: one log row (dict) per completed epoch.
    """

    recipe: Recipe
    splits: datasets.Splits
    arguments: dict
    model: object
    optimizer: object
    scheduler: object
    epoch: int = 0
    history: list = field(default_factory=list)


@dataclass
class Result:
    """What a finished run returns: its session (model, history, ...) and the test Meter."""

    session: Session
    test: object
    checkpoint_path: Path
    log_path: Path


def train(recipe, out, on_batch=None, stream=None):
    """Train a new run in the directory `out`.

    Args:
        recipe: a Recipe (None values take their defaults).
        out: the run directory; created if needed; must not hold a checkpoint already.
        on_batch: optional function called as on_batch(epoch, meter) after every batch.
        stream: where the progress goes. Default: sys.stdout.

    Returns:
        a Result.

    Raises:
        TrainingError: a bad setting or a missing or corrupt dataset, another run in `out`,
            a loss that is no longer finite, a disk that is full; in one line. The last
            completed epoch stays saved.
        RunInterruptedError: after Ctrl-C; the last completed epoch is saved.
    """
    out = Path(out)
    recipe = recipe.completed()
    if out.is_dir():
        with run_lock.locked(out):  # first: a run still going, then a finished one
            _refuse_a_checkpoint(out)
    session = _build(recipe)
    _make_directory(out)
    with run_lock.locked(out):
        _refuse_a_checkpoint(out)  # again: another run may have saved one meanwhile
        _remove_stale_temporaries(out)
        return _run(session, out, on_batch, stream or sys.stdout)


def resume(out, options=None, on_batch=None, stream=None):
    """Continue the run saved in the directory `out` with the settings it was started with.

    Args:
        out: the run directory holding `checkpoint.npz`.
        options: the recipe fields given again on the command line, as a dict; each must
            equal the saved value, except `data_dir` (the data may have moved) and
            `epochs`, which may grow to extend the run (a finished one too): the
            learning-rate schedule then becomes that of a run started with the new epoch
            count, at the epoch reached.
        on_batch, stream: as for `train`.

    Raises:
        TrainingError: no checkpoint, a corrupt one, or an option that differs from it;
            another run holds the directory.
        RunInterruptedError: as for `train`.
    """
    out = Path(out)
    if not out.is_dir():
        raise TrainingError(f"checkpoint: no checkpoint file {out / CHECKPOINT_FILE}")
    with run_lock.locked(out):
        _remove_stale_temporaries(out)
        saved = checkpoint.load(out / CHECKPOINT_FILE)
        recipe = _recipe_to_resume(saved, options or {})
        session = _build(recipe)
        _restore(session, saved)
        stream = stream or sys.stdout
        stream.write(f"resuming after epoch {session.epoch}/{recipe.epochs} from {saved.path}\n")
        return _run(session, out, on_batch, stream)


def saved_recipe(saved):
    """The completed Recipe a Checkpoint was trained with; TrainingError if it is malformed."""
    try:
        return Recipe.from_dict(saved.get("recipe", dict))
    except TrainingError as error:
        raise TrainingError(f"checkpoint: {saved.path} holds a bad recipe: {error}") from error


def _recipe_to_resume(saved, options):
    """The saved recipe, after checking that the options given again agree with it."""
    recipe = saved_recipe(saved)
    for name, value in options.items():
        if name == "data_dir":
            recipe = Recipe.from_dict({**recipe.to_dict(), "data_dir": value})
        elif name == "epochs" and value != recipe.epochs:
            trained = saved.get("epoch", int)
            if not checks.is_int(value) or value < trained:
                raise TrainingError(
                    f"--epochs {value} must be at least the {trained} epochs {saved.path} "
                    "has trained, to extend the run"
                )
            recipe = Recipe.from_dict({**recipe.to_dict(), "epochs": value})
        elif value != getattr(recipe, name):
            option = "--" + name.replace("_", "-")
            raise TrainingError(
                f"{option} {value} differs from the {getattr(recipe, name)} saved in "
                f"{saved.path}; a resumed run keeps the settings it started with"
            )
    return recipe


def _build(recipe):
    """Seed the generator, then open the data and build the model, optimizer and schedule."""
    # before the data opens: digits resizes every image as it opens
    check_memory(recipe, recipe.batch_size or DEFAULT_BATCH_SIZE)
    rng.manual_seed(recipe.seed)
    splits = datasets.load_splits(
        recipe.dataset,
        recipe.data_dir,
        recipe.image_size,
        recipe.model_channels,
        recipe.val_fraction,
        recipe.seed,
        recipe.augment,
        recipe.subset,
    )
    if recipe.batch_size is None:
        recipe = replace(recipe, batch_size=min(DEFAULT_BATCH_SIZE, len(splits.train)))
    if len(splits.train) < recipe.batch_size:
        raise TrainingError(
            f"--batch-size must be at most the {len(splits.train)} training images, "
            f"got {recipe.batch_size}"
        )
    arguments = model_arguments(recipe, len(splits.classes))
    model = build_model(recipe.model, arguments)
    _check_input_fits(model, recipe)
    optimizer = build_optimizer(recipe, model.parameters())
    scheduler = build_scheduler(recipe, optimizer)
    return Session(recipe, splits, arguments, model, optimizer, scheduler)


def _check_input_fits(model, recipe):
    """Run one blank image through the model, so that a network too deep for the image size
    fails here with a hint instead of in the first batch. Draws no random numbers."""
    C, S = recipe.model_channels, recipe.image_size
    model.eval()
    try:
        with no_grad():
            model(Tensor(np.zeros((1, C, S, S), dtype=np.float32)))
    except ValueError as error:
        raise TrainingError(
            f"--model {recipe.model} cannot take {C} x {S} x {S} images ({error}); "
            "try a larger --image-size"
        ) from error


def _refuse_a_checkpoint(out):
    path = out / CHECKPOINT_FILE
    if path.exists():
        raise TrainingError(
            f"--out {out} already holds a checkpoint ({path}): pass --resume to continue "
            "that run, or choose another --out"
        )


def _remove_stale_temporaries(out):
    """Remove what a killed save left: `atomic_write` names its temporaries
    `.checkpoint.npz.<random>.tmp` and `.log.csv.<random>.tmp`. Called with the run's lock
    held, so no other process is writing them."""
    for name in (CHECKPOINT_FILE, LOG_FILE):
        for temporary in out.glob(f".{name}.*.tmp"):
            temporary.unlink(missing_ok=True)


def _make_directory(out):
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TrainingError(f"--out {out} cannot be created: {error.strerror}") from error


def _run(session, out, on_batch, stream):
    """Train the remaining epochs, saving after each; then score the test split."""
    recipe = session.recipe
    started = time.perf_counter()
    paths = (out / CHECKPOINT_FILE, out / LOG_FILE)
    loaders = {
        name: DataLoader(
            getattr(session.splits, name),
            batch_size=recipe.batch_size,
            shuffle=name == "train",
            drop_last=name == "train",  # no tiny last batch for BatchNorm's statistics
        )
        for name in ("train", "validation", "test")
    }
    _print_header(session, loaders["train"], out, stream)
    num_classes = len(session.splits.classes)
    saved_epoch = session.epoch
    bar = None
    try:
        for epoch in range(session.epoch + 1, recipe.epochs + 1):
            bar = ProgressBar(stream, epoch, recipe.epochs, len(loaders["train"]))

            def after_batch(meter, epoch=epoch, bar=bar):
                bar.update(meter)
                if on_batch is not None:
                    on_batch(epoch, meter)

            lr = session.optimizer.param_groups[0]["lr"]
            try:
                trained = train_one_epoch(
                    session.model, loaders["train"], session.optimizer, num_classes, after_batch
                )
            except DivergedError as error:
                batches = len(loaders["train"])
                where = f"epoch {epoch}/{recipe.epochs}, batch {error.batch}/{batches}"
                raise TrainingError(_diverged(where, error.loss, saved_epoch, paths[0])) from None
            validated = evaluate(session.model, loaders["validation"], num_classes)
            if not math.isfinite(validated.loss):
                where = f"epoch {epoch}/{recipe.epochs}, validation"
                raise TrainingError(_diverged(where, validated.loss, saved_epoch, paths[0]))
            if session.scheduler is not None:
                session.scheduler.step()
            session.history.append(epoch_row(epoch, lr, trained, validated))
            session.epoch = epoch
            bar.finish(epoch_summary(epoch, recipe.epochs, lr, trained, validated))
            _save(session, *paths)
            saved_epoch = epoch
        test = evaluate(session.model, loaders["test"], num_classes)
    except TrainingError:  # e.g. an image file found corrupt when first read
        if bar is not None:
            bar.end_line()
        raise
    except KeyboardInterrupt:
        if bar is not None:
            bar.end_line()
        if session.epoch > saved_epoch:  # the interrupt came while the epoch was being saved
            _save(session, *paths)
        raise RunInterruptedError(_interrupted_message(session, paths[0])) from None
    minutes, seconds = divmod(time.perf_counter() - started, 60)
    stream.write(
        f"test accuracy {100 * test.accuracy:.2f}% ({test.correct}/{test.images} "
        f"{recipe.dataset} test images), test loss {test.loss:.4f}; "
        f"{int(minutes)} min {seconds:.0f} s\n"
        f"checkpoint {paths[0]}, log {paths[1]}\n"
    )
    return Result(session, test, *paths)


def _print_header(session, train_loader, out, stream):
    recipe, splits = session.recipe, session.splits
    parameters = sum(p.numel() for p in session.model.parameters())
    C, S = recipe.model_channels, recipe.image_size
    stream.write(
        f"{recipe.model} ({parameters:,} parameters) on {recipe.dataset}: {C} x {S} x {S} "
        f"images, {len(splits.classes)} classes, {len(splits.train):,} training / "
        f"{len(splits.validation):,} validation / {len(splits.test):,} test images\n"
        f"{recipe.optimizer} lr {recipe.lr:g} weight decay {recipe.weight_decay:g}, "
        f"{recipe.scheduler} schedule, {recipe.epochs} epochs of {len(train_loader)} batches "
        f"of {recipe.batch_size}, seed {recipe.seed}; run directory {out}\n"
    )
    stream.flush()


def _diverged(where, loss, saved_epoch, path):
    """The one line of a run stopped by a loss that is NaN or infinite."""
    kept = f"epoch {saved_epoch} is kept in {path}" if saved_epoch else "no epoch was saved"
    return (
        f"{where}: the loss is {loss}, so the run diverged and stopped (try a smaller --lr); {kept}"
    )


def _interrupted_message(session, path):
    epochs = session.recipe.epochs
    if session.epoch == 0:
        return f"interrupted during epoch 1/{epochs}, before any epoch was saved"
    if session.epoch == epochs:
        return f"interrupted after the last epoch; it is saved in {path}"
    return (
        f"interrupted during epoch {session.epoch + 1}/{epochs}; epoch {session.epoch} is "
        f"saved in {path}; continue with: tinycnn train --out {path.parent} --resume"
    )


# ----------------------------------------------------------------- checkpoints
def _save(session, checkpoint_path, log_path):
    metadata = {
        "model": session.recipe.model,
        "model_arguments": session.arguments,
        "recipe": session.recipe.to_dict(),
        "classes": session.splits.classes,
        "epoch": session.epoch,
        "scheduler": None if session.scheduler is None else session.scheduler.state_dict(),
        "rng": rng.generator().bit_generator.state,
        # The convolution algorithms timed on this machine: a resumed run uses the same
        # ones, so that it computes bit for bit what an uninterrupted run would.
        "conv_algorithms": tuning.snapshot(),
        "history": session.history,
    }
    try:
        checkpoint.save(
            checkpoint_path, session.model.state_dict(), session.optimizer.state_dict(), metadata
        )
        write_log(log_path, session.history)
    except OSError as error:  # a full disk (ENOSPC), a quota, a folder made read-only
        kept = "the previous checkpoint is kept" if session.epoch > 1 else "nothing is saved"
        raise TrainingError(
            f"cannot save epoch {session.epoch} in {checkpoint_path}: "
            f"{error.strerror or error}; {kept}"
        ) from None


def _restore(session, saved):
    """Load the model, optimizer, schedule, generator state and history from a checkpoint.

    Everything is checked here, before any epoch trains: an edited or damaged entry fails
    now in one line, not after an epoch's work.
    """
    path = saved.path
    if saved.get("model", str) != session.recipe.model:
        raise TrainingError(
            f"checkpoint: {path} holds a {saved.metadata['model']} model, not "
            f"{session.recipe.model}"
        )
    session.epoch = saved.get("epoch", int)
    session.history = saved.get("history", list)
    if not 0 <= session.epoch <= session.recipe.epochs or len(session.history) != session.epoch:
        raise TrainingError(f"checkpoint: {path} has a corrupt epoch count {session.epoch}")
    check_history(path, session.history)
    saved.load_model_state(session.model)
    extended = session.recipe.epochs != saved_recipe(saved).epochs
    try:
        session.optimizer.load_state_dict(saved.optimizer_state)
        if session.scheduler is not None and extended:
            _replay_schedule(session)
        elif session.scheduler is not None:
            state = saved.get("scheduler", dict)
            check_like("scheduler", state, session.scheduler.state_dict())
            if state["last_epoch"] != session.epoch:
                raise ValueError(
                    f"its last_epoch must be the {session.epoch} epochs trained, "
                    f"got {state['last_epoch']!r}"
                )
            session.scheduler.load_state_dict(state)
        rng.generator().bit_generator.state = saved.get("rng", dict)
        if "conv_algorithms" in saved.metadata:  # checkpoints before 2026-12 lack it
            tuning.preset(saved.get("conv_algorithms", dict))
    # OverflowError: an int too large for the generator's state or a float, e.g. an edited
    # "rng" entry (found by editing the values of a checkpoint at random)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise TrainingError(f"checkpoint: {path} does not fit this run: {error}") from error


def _replay_schedule(session):
    """Put the schedule where a run started with the new --epochs would be at this epoch:
    from each group's initial lr, step a schedule built for the new epoch count as many
    times as epochs were trained."""
    for group in session.optimizer.param_groups:
        group["lr"] = group["initial_lr"]
    session.scheduler = build_scheduler(session.recipe, session.optimizer)
    for _ in range(session.epoch):
        session.scheduler.step()
