"""SGD against torch.optim.SGD (stored trajectories), a hand computation, and bad options."""

import numpy as np
import pytest
from test_optimizer import reference_cases, replay_optimizer_case

from tinycnn.nn.parameter import Parameter
from tinycnn.optim.sgd import SGD


@pytest.mark.parametrize("name", reference_cases("optimizer", "sgd"))
def test_matches_torch(name):
    replay_optimizer_case(name)


def test_momentum_buffer_starts_at_the_first_gradient_undampened():
    # By hand, lr 0.1, momentum 0.9, dampening 0.5:
    # step 1: b = g1 = 0.5                     p = 1 - 0.1·0.5 = 0.95
    # step 2: b = 0.9·0.5 + 0.5·1.0 = 0.95     p = 0.95 - 0.1·0.95 = 0.855
    param = Parameter(np.array([1.0]))
    opt = SGD([param], lr=0.1, momentum=0.9, dampening=0.5)
    param.grad = np.array([0.5])
    opt.step()
    assert param.data[0] == pytest.approx(0.95, rel=1e-15)
    param.grad = np.array([1.0])
    opt.step()
    assert opt.state[param]["momentum_buffer"][0] == pytest.approx(0.95, rel=1e-15)
    assert param.data[0] == pytest.approx(0.855, rel=1e-15)


def test_nesterov_and_weight_decay_by_hand():
    # lr 0.1, momentum 0.5, nesterov, weight decay 0.2, p = 2, g = 1:
    # g' = 1 + 0.2·2 = 1.4, b = 1.4, step direction 1.4 + 0.5·1.4 = 2.1, p = 2 - 0.21 = 1.79
    param = Parameter(np.array([2.0]))
    opt = SGD([param], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.2)
    param.grad = np.array([1.0])
    opt.step()
    assert param.data[0] == pytest.approx(1.79, rel=1e-15)


def test_float32_parameters_stay_float32():
    param = Parameter(np.ones(3, dtype=np.float32))
    opt = SGD([param], lr=0.1, momentum=0.9, weight_decay=0.01)
    for _ in range(2):
        param.grad = np.ones(3, dtype=np.float32)
        opt.step()
    assert param.dtype == np.float32
    assert opt.state[param]["momentum_buffer"].dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"lr": -0.1}, ValueError, "SGD: lr must be >= 0, got -0.1"),
        ({"lr": float("nan")}, ValueError, "SGD: lr must be >= 0, got nan"),
        ({"lr": "0.1"}, TypeError, "SGD: lr must be a number, got '0.1'"),
        ({"momentum": -0.9}, ValueError, "SGD: momentum must be >= 0, got -0.9"),
        ({"dampening": None}, TypeError, "SGD: dampening must be a number, got None"),
        ({"weight_decay": -1e-4}, ValueError, "SGD: weight_decay must be >= 0, got -0.0001"),
        ({"nesterov": True}, ValueError, "nesterov=True needs momentum > 0 and dampening == 0"),
        (
            {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
            ValueError,
            "got momentum=0.9 and dampening=0.1",
        ),
        ({"nesterov": 1}, TypeError, "SGD: nesterov must be a bool, got 1"),
        ({"maximize": "yes"}, TypeError, "SGD: maximize must be a bool, got 'yes'"),
    ],
)
def test_bad_options(kwargs, error, match):
    with pytest.raises(error, match=match):
        SGD([Parameter(np.ones(2))], **kwargs)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"momentum": 0.9},
        {"momentum": 0.9, "dampening": 0.3, "weight_decay": 1e-2},
        {"momentum": 0.8, "nesterov": True, "weight_decay": 5e-4, "maximize": True},
    ],
    ids=["plain", "momentum", "dampening and weight decay", "nesterov, maximize"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_pass_update_equals_the_formulas_to_the_last_bit(options, dtype):
    # The formulas of SGD's docstring as NumPy operations in `dtype`, step by step.
    lr, m = 0.05, options.get("momentum", 0)
    d, wd = options.get("dampening", 0), options.get("weight_decay", 0)
    rng = np.random.default_rng(0)
    p = rng.standard_normal((37, 5)).astype(dtype)
    param = Parameter(p.copy())
    opt = SGD([param], lr=lr, **options)
    b = None
    for _ in range(3):
        g = rng.standard_normal(p.shape).astype(dtype)
        param.grad = g
        opt.step()
        g = -g if options.get("maximize") else g
        if wd:
            g = dtype(wd) * p + g
        if m:
            b = g.copy() if b is None else dtype(m) * b + dtype(1 - d) * g
            g = dtype(m) * b + g if options.get("nesterov") else b
        p = p + dtype(-lr) * g
        np.testing.assert_array_equal(param.data, p)


def test_a_parameter_that_is_not_contiguous_is_updated_in_place():
    array = np.arange(12.0).reshape(3, 4).T  # a transposed view: not C-contiguous
    param = Parameter(array)
    opt = SGD([param], lr=0.5, momentum=0.9)
    param.grad = np.ones((4, 3))
    opt.step()
    assert param.data is array
    np.testing.assert_array_equal(array, np.arange(12.0).reshape(3, 4).T - 0.5)
