"""load_state_dict: round trip, all-or-nothing failures, strict=False."""

import numpy as np
import pytest

from tinycnn.nn.batchnorm import BatchNorm2d
from tinycnn.nn.container import Sequential
from tinycnn.nn.conv import Conv2d
from tinycnn.nn.linear import Linear
from tinycnn.nn.module import Module
from tinycnn.rng import manual_seed
from tinycnn.tensor import Tensor


class Small(Module):
    def __init__(self):
        super().__init__()
        self.features = Sequential(Conv2d(2, 3, 3), BatchNorm2d(3))
        self.fc = Linear(4, 2)


def model(seed):
    manual_seed(seed)
    return Small()


def snapshot(module):
    """Copies of every array and the identity of every array object."""
    sd = module.state_dict()
    return {k: v.copy() for k, v in sd.items()}, {k: id(v) for k, v in sd.items()}


def assert_unchanged(module, before):
    values, ids = before
    sd = module.state_dict()
    assert list(sd) == list(values)
    for key, array in sd.items():
        assert id(array) == ids[key]
        assert array.dtype == values[key].dtype
        np.testing.assert_array_equal(array, values[key], strict=True)


def distinct_state(module, offset=1.0):
    """A valid state dict for `module` whose every float value differs from the model's."""
    return {k: v + offset if v.dtype.kind == "f" else v + 7 for k, v in module.state_dict().items()}


def test_round_trip_copies_values_into_the_existing_arrays():
    source, target = model(0), model(1)
    source.features[1].num_batches_tracked.data[...] = 5
    ids = {k: id(v) for k, v in target.state_dict().items()}
    result = target.load_state_dict(source.state_dict())
    assert result == ([], []) and result.missing_keys == [] and result.unexpected_keys == []
    target_sd = target.state_dict()
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target_sd[key], value, strict=True)
        assert id(target_sd[key]) == ids[key]  # copied in place, not rebound
        assert not np.shares_memory(target_sd[key], value)
    assert int(target.features[1].num_batches_tracked.data) == 5


def test_values_may_be_tensors_and_are_cast_to_the_parameter_dtype():
    target = model(0)
    sd = {k: Tensor(v.astype(np.float64) + 1) for k, v in target.state_dict().items()}
    target.load_state_dict(sd)
    assert target.fc.weight.dtype == np.float32
    np.testing.assert_allclose(target.fc.weight.data, sd["fc.weight"].data)
    assert target.features[1].num_batches_tracked.dtype == np.int64
    assert int(target.features[1].num_batches_tracked.data) == 1


def test_every_problem_is_reported_in_one_error_and_nothing_is_loaded():
    target = model(0)
    before = snapshot(target)
    sd = distinct_state(target)
    del sd["fc.bias"], sd["features.1.running_var"]
    sd["fc.weight"] = np.zeros((2, 5), dtype=np.float32)
    sd["features.0.weight"] = np.zeros((3, 2, 3, 1), dtype=np.float32)
    sd["head.weight"] = np.zeros(1, dtype=np.float32)
    with pytest.raises(RuntimeError) as error:
        target.load_state_dict(sd)
    message = str(error.value)
    assert message.startswith("load_state_dict: ")
    assert "Missing key(s): features.1.running_var, fc.bias" in message
    assert "Unexpected key(s): head.weight" in message
    assert "size mismatch for fc.weight: expected (2, 4), got (2, 5)" in message
    assert "size mismatch for features.0.weight: expected (3, 2, 3, 3), got (3, 2, 3, 1)" in message
    assert_unchanged(target, before)


@pytest.mark.parametrize("strict", [True, False])
def test_a_shape_mismatch_alone_fails_whatever_strict_says(strict):
    target = model(0)
    before = snapshot(target)
    sd = distinct_state(target)
    sd["fc.bias"] = np.zeros(3, dtype=np.float32)  # the last key: every other one is valid
    with pytest.raises(
        RuntimeError, match=r"size mismatch for fc.bias: expected \(2,\), got \(3,\)"
    ):
        target.load_state_dict(sd, strict=strict)
    assert_unchanged(target, before)


@pytest.mark.parametrize("bad", [None, "weights", {"a": 1}, [[1.0], [1.0, 2.0]]])
def test_a_value_that_is_not_an_array_fails_before_anything_is_copied(bad):
    target = model(0)
    before = snapshot(target)
    sd = distinct_state(target)
    sd["fc.bias"] = bad
    with pytest.raises(RuntimeError, match="bad value for fc.bias: expected a numeric array, got "):
        target.load_state_dict(sd)
    assert_unchanged(target, before)


def test_strict_false_loads_what_matches_and_returns_the_rest():
    target = model(0)
    old_bias = target.fc.bias.data.copy()
    sd = distinct_state(target)
    expected_weight = sd["fc.weight"].copy()
    del sd["fc.bias"]
    sd["extra"] = np.zeros(1)
    result = target.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias"]
    assert result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(target.fc.weight.data, expected_weight)
    np.testing.assert_array_equal(target.fc.bias.data, old_bias)


def test_strict_true_with_only_missing_keys_loads_nothing():
    target = model(0)
    before = snapshot(target)
    sd = distinct_state(target)
    del sd["features.1.num_batches_tracked"]
    with pytest.raises(RuntimeError, match=r"^load_state_dict: Missing key\(s\): features.1.num_"):
        target.load_state_dict(sd)
    assert_unchanged(target, before)


def test_state_dict_must_be_a_mapping():
    with pytest.raises(TypeError, match="state_dict must be a mapping of name -> array, got list"):
        model(0).load_state_dict([("fc.weight", np.zeros((2, 4)))])


def test_keys_must_be_strings():
    with pytest.raises(TypeError, match="state_dict keys must be str names, got int 0"):
        model(0).load_state_dict({0: 1})


@pytest.mark.parametrize("bad", [np.nan, np.inf, 2.5, 1e30])
def test_a_count_that_is_not_a_whole_number_is_refused_and_nothing_is_loaded(bad):
    m = model(0)
    before = snapshot(m)
    state = distinct_state(m)
    state["features.1.num_batches_tracked"] = np.array(bad)
    with pytest.raises(RuntimeError, match="bad value for features.1.num_batches_tracked: "
                       "expected whole numbers \\(int64\\), got"):  # fmt: skip
        m.load_state_dict(state)
    assert_unchanged(m, before)


def test_a_whole_float_count_is_accepted():
    m = model(0)
    state = m.state_dict()
    state["features.1.num_batches_tracked"] = np.array(12.0)
    m.load_state_dict(state)
    assert m.features[1].num_batches_tracked.data == 12


def test_read_only_parameter_arrays_are_replaced_all_or_nothing():
    m = model(0)
    for tensor in m.state_dict().values():
        tensor.flags.writeable = False  # e.g. arrays memory-mapped from a weight file
    before = snapshot(m)
    bad = distinct_state(m)
    bad["fc.bias"] = np.zeros(3)
    with pytest.raises(RuntimeError, match="size mismatch for fc.bias"):
        m.load_state_dict(bad)
    assert_unchanged(m, before)

    good = distinct_state(m)
    m.load_state_dict(good)
    for key, array in m.state_dict().items():
        np.testing.assert_array_equal(array, good[key])
