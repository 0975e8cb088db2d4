"""The kernel switch: named sets, a learner's own functions, nesting, threads and bad input."""

import threading
import types

import numpy as np
import pytest

import tinycnn
import tinycnn.nn as nn
from tinycnn import kernels
from tinycnn.kernels import relu


def test_every_set_provides_every_op():
    for name, kernel_set in kernels.SETS.items():
        missing = [op for op in kernels.OP_NAMES if not callable(getattr(kernel_set, op, None))]
        assert missing == [], f"set {name!r} lacks {missing}"


def test_fast_is_the_default():
    assert kernels.active() is kernels.SETS["fast"]
    assert kernels.active().relu_forward is relu.relu_forward


def test_a_learners_function_runs_inside_a_model_and_only_inside_the_block():
    calls = []

    def my_relu(x):
        calls.append(x.shape)
        return np.maximum(x, 0)

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    x = tinycnn.tensor(np.random.default_rng(0).standard_normal((1, 1, 5, 5), np.float32))
    with kernels.use({"relu_forward": my_relu}):
        inside = model(x)
    outside = model(x)
    assert calls == [(1, 2, 3, 3)]
    np.testing.assert_array_equal(inside.data, outside.data)


def test_a_module_gives_the_ops_it_defines_and_the_rest_come_from_the_set_in_force():
    learner = types.SimpleNamespace(relu_backward=lambda dy, y: dy * (y > 0), unrelated=1)
    with kernels.use(learner) as chosen:
        assert chosen.relu_backward is learner.relu_backward
        assert chosen.relu_forward is kernels.SETS["fast"].relu_forward


def test_use_blocks_nest_and_restore():
    def first(x):
        return x

    def second(dy, y):
        return dy

    with kernels.use({"relu_forward": first}):
        with kernels.use({"relu_backward": second}):
            assert kernels.active().relu_forward is first
            assert kernels.active().relu_backward is second
        assert kernels.active().relu_backward is kernels.SETS["fast"].relu_backward
    assert kernels.active() is kernels.SETS["fast"]


def test_the_set_is_per_thread():
    seen = []
    with kernels.use({"relu_forward": abs}):
        thread = threading.Thread(target=lambda: seen.append(kernels.active()))
        thread.start()
        thread.join()
    assert seen == [kernels.SETS["fast"]]


@pytest.mark.parametrize(
    "bad, error, message",
    [
        ("fastest", ValueError, "kernels must be one of"),
        ({"relu_fwd": abs}, ValueError, "unknown op names ['relu_fwd']"),
        ({"relu_forward": 3}, TypeError, "kernels['relu_forward'] must be callable, got 3"),
        (types.SimpleNamespace(other=abs), ValueError, "defines none of the ops"),
    ],
)
def test_bad_kernels_are_refused_clearly(bad, error, message):
    with pytest.raises(error) as caught, kernels.use(bad):
        pass
    assert message in str(caught.value)
    assert kernels.active() is kernels.SETS["fast"]
