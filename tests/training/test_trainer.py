"""Training runs: exact resume after Ctrl-C, what an interrupt saves, refusals, the log."""

import csv
import io
import os

import numpy as np
import pytest

from tinycnn.kernels.conv import tuning
from tinycnn.training import Recipe, RunInterruptedError, TrainingError, checkpoint, resume, train
from tinycnn.training.log import COLUMNS

# A run that takes a second or two: 40 digits of 8 x 8 pixels (36 to train on, in 4
# batches of 8; 4 to validate), 3 epochs.
TINY = Recipe(subset=40, image_size=8, epochs=3, batch_size=8, seed=5)


def quiet():
    return io.StringIO()


def interrupt_at(epoch, batch):
    """An on_batch hook that presses Ctrl-C after batch `batch` of epoch `epoch`."""

    def hook(current_epoch, meter):
        if current_epoch == epoch and meter.batches == batch:
            raise KeyboardInterrupt

    return hook


def assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_resume_after_ctrl_c_ends_with_bit_identical_weights(tmp_path, optimizer):
    recipe = Recipe(**{**TINY.to_dict(), "optimizer": optimizer})
    whole = train(recipe, tmp_path / "whole", stream=quiet())

    # Interrupted mid-epoch 2: the shuffle and the crops of epoch 2 have drawn random
    # numbers and two updates have changed the weights; all of that must be discarded.
    with pytest.raises(RunInterruptedError):
        train(recipe, tmp_path / "cut", on_batch=interrupt_at(2, 2), stream=quiet())
    resumed = resume(tmp_path / "cut", stream=quiet())

    assert_same_state(whole.session.model.state_dict(), resumed.session.model.state_dict())
    whole_state = whole.session.optimizer.state_dict()
    resumed_state = resumed.session.optimizer.state_dict()
    assert whole_state["param_groups"] == resumed_state["param_groups"]
    for index, state in whole_state["state"].items():
        for name, value in state.items():
            np.testing.assert_array_equal(value, resumed_state["state"][index][name])
    for before, after in zip(whole.session.history, resumed.session.history, strict=True):
        for key in ("lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert before[key] == after[key], key
    assert whole.test.loss == resumed.test.loss
    np.testing.assert_array_equal(whole.test.confusion, resumed.test.confusion)


def test_ctrl_c_keeps_the_last_completed_epoch_and_says_how_to_continue(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RunInterruptedError) as caught:
        train(TINY, out, on_batch=interrupt_at(3, 1), stream=quiet())
    message = str(caught.value)
    assert "\n" not in message
    assert f"interrupted during epoch 3/3; epoch 2 is saved in {out / 'checkpoint.npz'}" in message
    assert f"tinycnn train --out {out} --resume" in message
    assert checkpoint.load(out / "checkpoint.npz").metadata["epoch"] == 2
    assert sorted(os.listdir(out)) == [".lock", "checkpoint.npz", "log.csv"]  # no temporaries
    with open(out / "log.csv") as file:
        assert [row["epoch"] for row in csv.DictReader(file)] == ["1", "2"]


def test_ctrl_c_in_the_first_epoch_saves_nothing_and_says_so(tmp_path):
    with pytest.raises(RunInterruptedError, match="before any epoch was saved"):
        train(TINY, tmp_path / "run", on_batch=interrupt_at(1, 1), stream=quiet())
    assert os.listdir(tmp_path / "run") == [".lock"]  # the run lock; no checkpoint, no log


def test_the_log_has_one_row_per_epoch_matching_the_checkpoint_history(tmp_path):
    result = train(TINY, tmp_path / "run", stream=quiet())
    with open(result.log_path) as file:
        reader = csv.DictReader(file)
        assert tuple(reader.fieldnames) == COLUMNS
        rows = list(reader)
    history = checkpoint.load(result.checkpoint_path).metadata["history"]
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3]
    for row, saved in zip(rows, history, strict=True):
        for key in COLUMNS:
            assert float(row[key]) == pytest.approx(saved[key], rel=1e-5), key
        assert 0 <= float(row["train_accuracy"]) <= 1 and 0 <= float(row["val_accuracy"]) <= 1
    # The cosine schedule: 0.1 at epoch 1, then 0.1 * (1 + cos(pi * t / 3)) / 2.
    lrs = [float(row["lr"]) for row in rows]
    assert lrs == pytest.approx([0.1, 0.075, 0.025])
    # Validation accuracy is counted over the 4 held-out images.
    assert {float(row["val_accuracy"]) * 4 % 1 for row in rows} == {0.0}


def test_progress_goes_one_line_per_epoch_when_the_output_is_not_a_terminal(tmp_path):
    stream = quiet()
    train(TINY, tmp_path / "run", stream=stream)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert lines[-2].startswith("test accuracy ") and "/40 digits test images" in lines[-2]


def test_a_new_run_refuses_a_directory_that_holds_a_checkpoint(tmp_path):
    out = tmp_path / "run"
    train(TINY, out, stream=quiet())
    before = (out / "checkpoint.npz").read_bytes()
    with pytest.raises(TrainingError, match="already holds a checkpoint .* pass --resume"):
        train(TINY, out, stream=quiet())
    assert (out / "checkpoint.npz").read_bytes() == before


def test_a_resumed_run_uses_the_convolution_algorithms_its_first_part_timed(tmp_path, monkeypatch):
    # Algorithms timed afresh could differ (a loaded machine, another cache): this timer
    # makes `winner` the fastest. The whole run and the first part of the cut run time with
    # winner 0, the resumed part would with winner 1; the checkpoint carries the first
    # part's choices, so the resumed run computes bit for bit what the whole run did.
    monkeypatch.setenv("TINYCNN_CONV_TUNING", "1")
    monkeypatch.setattr(tuning, "MIN_FLOP", 0)  # time this tiny run's layers too
    winner = [0]

    def timer(candidates, make_problem, run_pass):
        fastest = list(candidates)[winner[0] % len(candidates)]
        return {p: {name: 1.0 if name == fastest else 2.0 for name in candidates}
                for p in tuning.PASSES}  # fmt: skip

    def new_process(cache):
        """Nothing remembered, and a cache directory of its own (as on another machine)."""
        monkeypatch.setattr(tuning, "_CHOICES", {})
        monkeypatch.setattr(tuning, "_TIMINGS", {})
        monkeypatch.setattr(tuning._load_file, "done", False, raising=False)
        monkeypatch.setenv("TINYCNN_CACHE_DIR", str(tmp_path / cache))

    monkeypatch.setattr(tuning, "_time_candidates", timer)
    recipe = Recipe(**{**TINY.to_dict(), "epochs": 2})
    new_process("whole")
    whole = train(recipe, tmp_path / "whole", stream=quiet())
    new_process("cut")
    with pytest.raises(RunInterruptedError):
        train(recipe, tmp_path / "cut", on_batch=interrupt_at(2, 1), stream=quiet())
    chosen_first = tuning.snapshot()
    # the timer chose every layer's passes: its winner 0, one algorithm for all three (which
    # one differs between layers: the rule's choice, first among the candidates)
    assert chosen_first
    assert all(len(set(by_pass.values())) == 1 for by_pass in chosen_first.values())
    new_process("resumed")
    winner[0] = 1
    resumed = resume(tmp_path / "cut", stream=quiet())
    for key, by_pass in chosen_first.items():
        assert tuning.snapshot()[key] == by_pass
    assert_same_state(whole.session.model.state_dict(), resumed.session.model.state_dict())


def test_resume_refuses_settings_that_differ_from_the_saved_ones(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RunInterruptedError):
        train(TINY, out, on_batch=interrupt_at(2, 1), stream=quiet())
    before = (out / "checkpoint.npz").read_bytes()
    with pytest.raises(TrainingError, match=r"--model resnet18 differs from the small_cnn saved"):
        resume(out, {"model": "resnet18"}, stream=quiet())
    with pytest.raises(TrainingError, match=r"--seed 6 differs from the 5 saved"):
        resume(out, {"epochs": 3, "seed": 6}, stream=quiet())
    with pytest.raises(TrainingError, match=r"--epochs 0 must be at least the 1 epochs"):
        resume(out, {"epochs": 0}, stream=quiet())
    assert (out / "checkpoint.npz").read_bytes() == before
    # The same values again are fine.
    result = resume(out, {"epochs": 3, "model": "small_cnn"}, stream=quiet())
    assert result.session.epoch == 3
