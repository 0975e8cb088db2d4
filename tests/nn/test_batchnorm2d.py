"""BatchNorm2d: buffers, torch's running-statistics updates, eval vs train, errors.

Expected values are computed here with NumPy in float64 from the formulas in torch's
documentation: batch mean and biased variance normalize; the running variance takes the
unbiased variance; momentum=None makes the running statistics a cumulative average.
"""

import numpy as np
import pytest

from tinycnn.nn.batchnorm import BatchNorm2d
from tinycnn.tensor import tensor

EPS = 1e-5


def batches(count, C=3, seed=0):
    rng = np.random.default_rng(seed)
    # distinct means and scales per channel and per batch, so the statistics differ
    return [
        (rng.standard_normal((4, C, 5, 6)) * rng.uniform(0.5, 3, (1, C, 1, 1)) + 2 * i - 1).astype(
            np.float32
        )
        for i in range(count)
    ]


def normalized(x, mean, var, weight, bias):
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + EPS) * weight.reshape(
        shape
    ) + bias.reshape(shape)


def test_buffers_parameters_and_state_dict_keys():
    bn = BatchNorm2d(3)
    np.testing.assert_array_equal(bn.weight.data, np.ones(3))
    np.testing.assert_array_equal(bn.bias.data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_mean.data, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.data, np.ones(3))
    assert bn.running_mean.dtype == np.float32 and bn.weight.dtype == np.float32
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.dtype == np.int64
    assert not bn.running_mean.requires_grad
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert list(BatchNorm2d(3, affine=False).state_dict()) == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    untracked = BatchNorm2d(3, track_running_stats=False)
    assert untracked.running_mean is None and untracked.num_batches_tracked is None
    assert list(untracked.state_dict()) == ["weight", "bias"]


def test_three_training_steps_update_running_stats_with_momentum():
    bn = BatchNorm2d(3, momentum=0.3)
    bn.weight.data[:] = [1.0, 2.0, 0.5]
    bn.bias.data[:] = [0.0, -1.0, 3.0]
    live = bn.state_dict()  # its arrays must follow the updates
    mean, var = np.zeros(3), np.ones(3)
    for x in batches(3):
        batch_mean = x.mean(axis=(0, 2, 3), dtype=np.float64)
        batch_var = x.var(axis=(0, 2, 3), dtype=np.float64)
        unbiased = x.var(axis=(0, 2, 3), ddof=1, dtype=np.float64)
        y = bn(tensor(x))
        expected = normalized(x, batch_mean, batch_var, bn.weight.data, bn.bias.data)
        np.testing.assert_allclose(y.data, expected, rtol=1e-4, atol=1e-4)
        mean = 0.7 * mean + 0.3 * batch_mean
        var = 0.7 * var + 0.3 * unbiased
        np.testing.assert_allclose(bn.running_mean.data, mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.running_var.data, var, rtol=1e-5, atol=1e-6)
    assert int(bn.num_batches_tracked.data) == 3
    assert int(live["num_batches_tracked"]) == 3
    np.testing.assert_array_equal(live["running_mean"], bn.running_mean.data)


def test_momentum_none_gives_the_cumulative_average_of_batch_statistics():
    bn = BatchNorm2d(3, momentum=None)
    xs = batches(3, seed=1)
    for x in xs:
        bn(tensor(x))
    means = [x.mean(axis=(0, 2, 3), dtype=np.float64) for x in xs]
    variances = [x.var(axis=(0, 2, 3), ddof=1, dtype=np.float64) for x in xs]
    np.testing.assert_allclose(bn.running_mean.data, np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data, np.mean(variances, axis=0), rtol=1e-5)
    assert int(bn.num_batches_tracked.data) == 3


def test_eval_normalizes_with_the_running_stats_and_changes_nothing():
    bn = BatchNorm2d(3).eval()
    bn.running_mean.data[:] = [0.5, -1.0, 2.0]
    bn.running_var.data[:] = [4.0, 0.25, 1.0]
    bn.weight.data[:] = [1.0, 3.0, -2.0]
    bn.bias.data[:] = [0.1, 0.2, 0.3]
    before = {k: v.copy() for k, v in bn.state_dict().items()}
    x = batches(1)[0]
    expected = normalized(
        x, bn.running_mean.data, bn.running_var.data, bn.weight.data, bn.bias.data
    )
    np.testing.assert_allclose(bn(tensor(x)).data, expected, rtol=1e-5, atol=1e-5)
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_without_running_stats_batch_statistics_are_used_in_eval_too():
    bn = BatchNorm2d(3, affine=False, track_running_stats=False).eval()
    x = batches(1)[0]
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    expected = normalized(x, mean, var, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(bn(tensor(x)).data, expected, rtol=1e-4, atol=1e-4)


def test_a_rejected_input_does_not_count_as_a_batch():
    bn = BatchNorm2d(3)
    with pytest.raises(ValueError, match=r"BatchNorm2d: input must be 4-D \(N, C, H, W\)"):
        bn(tensor(np.ones((4, 3), np.float32)))
    with pytest.raises(ValueError, match="running_mean must have shape"):
        bn(tensor(np.ones((2, 5, 2, 2), np.float32)))  # 5 channels, not 3
    assert int(bn.num_batches_tracked.data) == 0


def test_reset_parameters_restores_the_initial_state_in_place():
    bn = BatchNorm2d(3)
    bn(tensor(batches(1)[0]))
    bn.weight.data[:] = 5.0
    arrays = [v for v in bn.state_dict().values()]
    bn.reset_parameters()
    fresh = BatchNorm2d(3).state_dict()
    for array, (key, value) in zip(arrays, bn.state_dict().items(), strict=True):
        assert array is value
        np.testing.assert_array_equal(value, fresh[key], strict=True)


def test_repr_and_constructor_errors():
    assert repr(BatchNorm2d(64)) == (
        "BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be >= 1, got -3"):
        BatchNorm2d(-3)
    with pytest.raises(TypeError, match="BatchNorm2d: num_features must be an int, got 2.5"):
        BatchNorm2d(2.5)
