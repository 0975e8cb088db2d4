"""A run is never lost to, nor ended by a traceback from, a diverging loss, a full disk,
an image size too large for memory, or an edited checkpoint (issue 16, section 3); and
the command-line snags of issue 15: --subset with the default batch size, --resume
--epochs N extending a finished run."""

import errno
import io
import math
import os
import shutil

import numpy as np
import pytest

from tinycnn import cli
from tinycnn.commands import evaluate
from tinycnn.training import Recipe, TrainingError, checkpoint, resume, train, trainer
from tinycnn.training import checkpoint as checkpoint_module
from tinycnn.training import recipe as recipe_module

TINY = Recipe(subset=40, image_size=8, epochs=3, batch_size=8, seed=5)


def quiet():
    return io.StringIO()


def test_a_loss_gone_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    built = []

    def recording_build_model(name, arguments):
        built.append(recipe_module.build_model(name, arguments))
        return built[-1]

    monkeypatch.setattr(trainer, "build_model", recording_build_model)

    def poison(epoch, meter):  # in epoch 2, after batch 1: a weight becomes NaN
        if epoch == 2 and meter.images == 8:
            next(iter(built[0].parameters())).data[...] = np.nan

    out = tmp_path / "run"
    with pytest.raises(TrainingError) as error:
        train(TINY, out, on_batch=poison, stream=quiet())
    assert str(error.value) == (
        "epoch 2/3, batch 2/4: the loss is nan, so the run diverged and stopped (try a "
        f"smaller --lr); epoch 1 is kept in {out / 'checkpoint.npz'}"
    )
    assert checkpoint.load(out / "checkpoint.npz").metadata["epoch"] == 1


def test_a_full_disk_is_one_line_and_the_previous_checkpoint_survives(
    tmp_path, capsys, monkeypatch
):
    saves = []
    real_atomic_write = checkpoint_module.atomic_write

    def disk_full_on_the_second_save(path, write):
        saves.append(path)
        if len(saves) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_atomic_write(path, write)

    monkeypatch.setattr(checkpoint_module, "atomic_write", disk_full_on_the_second_save)
    out = tmp_path / "run"
    status = cli.main(["train", *TINY_ARGUMENTS, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1
    assert err == (
        f"tinycnn train: cannot save epoch 2 in {out / 'checkpoint.npz'}: No space left on "
        "device; the previous checkpoint is kept\n"
    )
    assert checkpoint.load(out / "checkpoint.npz").metadata["epoch"] == 1


TINY_ARGUMENTS = ["--subset", "40", "--image-size", "8", "--epochs", "3", "--batch-size", "8"]


def test_subset_64_runs_with_the_default_batch_size(tmp_path, capsys):
    out = tmp_path / "run"
    status = cli.main(["train", "--subset", "64", "--image-size", "8", "--epochs", "1",
                       "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    # 64 images less the validation tenth: 58 to train on, fewer than the default 64
    assert "1 epochs of 1 batches of 58" in captured.out
    assert checkpoint.load(out / "checkpoint.npz").metadata["recipe"]["batch_size"] == 58


def test_resume_with_more_epochs_extends_a_finished_run(finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    result = resume(out, {"epochs": 5}, stream=quiet())
    history = result.session.history
    assert [row["epoch"] for row in history] == [1, 2, 3, 4, 5]
    # epochs 4 and 5 follow the cosine schedule of a 5-epoch run from lr 0.1:
    # lr(t) = 0.1 * (1 + cos(pi * t / 5)) / 2 for epoch t + 1
    for row in history[3:]:
        t = row["epoch"] - 1
        assert row["lr"] == pytest.approx(0.1 * (1 + math.cos(math.pi * t / 5)) / 2, rel=1e-12)
    assert checkpoint.load(out / "checkpoint.npz").metadata["recipe"]["epochs"] == 5


@pytest.mark.parametrize(
    "arguments",
    [
        {"num_classes": 0},
        {"num_classes": 10**9},
        {"num_classes": 10, "weights": "/no/such"},
        {"num_classes": 10, "in_channels": True},  # True == 1: found by editing at random
    ],
)
def test_evaluate_refuses_edited_model_arguments_in_one_line(
    finished, edited_copy, tmp_path, arguments
):
    def edit(saved):
        saved["model_arguments"] = {"in_channels": 1, **arguments}

    path = edited_copy(finished / "checkpoint.npz", tmp_path / "edited.npz", edit)
    with pytest.raises(TrainingError) as error:
        evaluate.report(path, stream=quiet())
    assert str(error.value).startswith(
        f"checkpoint: {path} holds the model arguments {saved_arguments(arguments)}, but its "
        "recipe and its 10 classes give {'num_classes': 10, 'in_channels': 1}"
    )


def saved_arguments(arguments):
    return repr({"in_channels": 1, **arguments})


def test_running_out_of_memory_is_one_line_and_keeps_the_last_epoch(tmp_path, capsys, monkeypatch):
    calls = []
    real_train_one_epoch = trainer.train_one_epoch

    def out_of_memory_in_epoch_2(*arguments, **options):
        calls.append(1)
        if len(calls) == 2:  # what NumPy raises when an allocation fails
            raise MemoryError("Unable to allocate 2.00 GiB for an array")
        return real_train_one_epoch(*arguments, **options)

    monkeypatch.setattr(trainer, "train_one_epoch", out_of_memory_in_epoch_2)
    out = tmp_path / "run"
    status = cli.main(["train", *TINY_ARGUMENTS, "--out", str(out)])
    assert status == 1
    assert capsys.readouterr().err == (
        "tinycnn train: out of memory (Unable to allocate 2.00 GiB for an array); try a "
        "smaller --batch-size or --image-size\n"
    )
    assert checkpoint.load(out / "checkpoint.npz").metadata["epoch"] == 1
