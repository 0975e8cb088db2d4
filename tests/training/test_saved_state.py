"""saved_state: an edited history, schedule or generator state in a checkpoint fails in one
line when the run resumes, before any epoch trains (issue 16, section 3)."""

import io

import pytest

from tinycnn.training import TrainingError, resume


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda saved: saved["history"][1].update(train_loss="x"), "row 2 must hold epoch 2"),
        (lambda saved: saved["history"][0].pop("lr"), "row 1 must have the columns epoch, lr,"),
        (lambda saved: saved["scheduler"].update(last_epoch="x"), "scheduler.last_epoch must"),
        (lambda saved: saved["scheduler"].update(T_max=1e400), "scheduler.T_max must be an int"),
        (lambda saved: saved["scheduler"].update(last_epoch=1), "last_epoch must be the 3"),
        # an int beyond a float's range, which JSON holds (found by editing values at random)
        (lambda saved: saved["history"][0].update(lr=10**400), "row 1 must hold epoch 1"),
        (lambda saved: saved["recipe"].update(lr=10**400), "--lr must be a finite number"),
        (lambda saved: saved["rng"].update(has_uint32=2**63), "does not fit this run"),
    ],
)
def test_an_edited_history_or_schedule_fails_before_any_epoch_trains(
    finished, edited_copy, tmp_path, edit, message
):
    out = tmp_path / "run"
    out.mkdir()
    edited_copy(finished / "checkpoint.npz", out / "checkpoint.npz", edit)
    batches = []
    with pytest.raises(TrainingError, match=message):
        resume(out, {"epochs": 3}, on_batch=lambda *_: batches.append(1), stream=io.StringIO())
    assert batches == []
