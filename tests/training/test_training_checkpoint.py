"""Checkpoint files: the round trip, atomic saves, and one-line errors for bad files."""

import os

import numpy as np
import pytest

import tinycnn
import tinycnn.nn.functional as F
from tinycnn import models
from tinycnn.optim import AdamW
from tinycnn.training import checkpoint
from tinycnn.training.errors import TrainingError

METADATA = {
    "model": "small_cnn",
    "epoch": 3,
    "lr": 0.1 + 0.2,  # 0.30000000000000004: must come back as the same double
    "names": ["0", "1"],
    "nested": {"big": 2**100},
}


def trained_pair():
    """A small model and an AdamW after two steps: state with arrays and `step` ints."""
    tinycnn.manual_seed(0)
    model = models.small_cnn(num_classes=3, width=4)
    optimizer = AdamW(model.parameters(), lr=1e-3, betas=(0.8, 0.95))
    x = tinycnn.tensor(np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32))
    for _ in range(2):
        optimizer.zero_grad()
        F.cross_entropy(model(x), np.array([0, 1, 2, 0])).backward()
        optimizer.step()
    return model, optimizer


def test_round_trip_keeps_every_array_bit_for_bit_and_the_metadata(tmp_path):
    model, optimizer = trained_pair()
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, model.state_dict(), optimizer.state_dict(), METADATA)
    loaded = checkpoint.load(path)

    assert loaded.metadata == METADATA
    assert list(loaded.model_state) == list(model.state_dict())
    for key, array in model.state_dict().items():
        assert loaded.model_state[key].dtype == array.dtype
        np.testing.assert_array_equal(loaded.model_state[key], array)

    original = optimizer.state_dict()
    assert loaded.optimizer_state["param_groups"] == original["param_groups"]
    assert loaded.optimizer_state["param_groups"][0]["betas"] == (0.8, 0.95)  # a tuple again
    assert set(loaded.optimizer_state["state"]) == set(original["state"])
    for index, state in original["state"].items():
        assert set(loaded.optimizer_state["state"][index]) == set(state)
        assert loaded.optimizer_state["state"][index]["step"] == state["step"] == 2
        for name in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(loaded.optimizer_state["state"][index][name], state[name])

    fresh_model = models.small_cnn(num_classes=3, width=4)
    loaded.load_model_state(fresh_model)
    fresh_optimizer = AdamW(fresh_model.parameters())
    fresh_optimizer.load_state_dict(loaded.optimizer_state)
    assert fresh_optimizer.param_groups[0]["betas"] == (0.8, 0.95)


class FailsHalfway:
    """An array-like whose conversion fails, as a full disk would, after earlier entries
    have already been written into the archive."""

    def __array__(self, dtype=None, copy=None):
        raise OSError("No space left on device")


def test_a_save_that_fails_midway_leaves_the_previous_checkpoint_intact(tmp_path):
    model, optimizer = trained_pair()
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, model.state_dict(), optimizer.state_dict(), METADATA)
    before = path.read_bytes()

    broken_state = {**model.state_dict(), "zzz.last": FailsHalfway()}
    with pytest.raises(OSError, match="No space left"):
        checkpoint.save(path, broken_state, optimizer.state_dict(), {"epoch": 4})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["checkpoint.npz"]  # no temporary file left behind
    assert checkpoint.load(path).metadata["epoch"] == 3


def test_metadata_that_is_not_json_fails_before_the_file_is_touched(tmp_path):
    model, optimizer = trained_pair()
    path = tmp_path / "checkpoint.npz"
    with pytest.raises(ValueError):
        checkpoint.save(path, model.state_dict(), optimizer.state_dict(), {"loss": float("nan")})
    assert os.listdir(tmp_path) == []


@pytest.fixture
def saved(tmp_path):
    model, optimizer = trained_pair()
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, model.state_dict(), optimizer.state_dict(), METADATA)
    return path


def one_line_error(path):
    with pytest.raises(TrainingError) as caught:
        checkpoint.load(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_truncated_checkpoint_is_named_in_one_line(saved):
    saved.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    assert "is corrupt or truncated" in one_line_error(saved)


def test_a_checkpoint_with_damaged_bytes_is_named_in_one_line(saved):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # zeros over part of some array's bytes
    saved.write_bytes(bytes(data))
    assert "is corrupt or truncated" in one_line_error(saved)


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_text("not a checkpoint")
    assert "is corrupt or truncated" in one_line_error(path)


def test_an_npz_of_weights_without_metadata_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, **{"fc.weight": np.zeros((2, 2))})
    assert "is not a tinycnn checkpoint" in one_line_error(path)


def test_a_missing_file_is_named(tmp_path):
    assert "no checkpoint file" in one_line_error(tmp_path / "nothing.npz")


def test_metadata_fields_are_type_checked(saved):
    loaded = checkpoint.load(saved)
    assert loaded.get("epoch", int) == 3
    with pytest.raises(TrainingError, match=r"must hold a str 'epoch', got 3"):
        loaded.get("epoch", str)


def test_weights_of_another_network_do_not_load(saved):
    loaded = checkpoint.load(saved)
    other = models.small_cnn(num_classes=3, width=8)
    before = {key: value.copy() for key, value in other.state_dict().items()}
    with pytest.raises(TrainingError, match="does not hold 'small_cnn' weights: .*size mismatch"):
        loaded.load_model_state(other)
    for key, value in other.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
