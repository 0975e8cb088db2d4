"""Adam and AdamW against torch.optim (stored trajectories), by hand, and bad options."""

import numpy as np
import pytest
from test_optimizer import reference_cases, replay_optimizer_case

from tinycnn.nn.parameter import Parameter
from tinycnn.optim.adam import Adam, AdamW


@pytest.mark.parametrize("name", reference_cases("optimizer", "adam"))
def test_matches_torch(name):
    replay_optimizer_case(name)


def test_first_step_by_hand():
    # After one step the bias corrections undo the moving averages: m̂ = g, v̂ = g², so
    # p1 = p0 - lr·g / (|g| + eps) (AdamW first shrinks p0 by 1 - lr·λ).
    p0, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, -4.0, 1e-3])
    lr, eps, decay = 0.01, 1e-3, 0.1
    adam_param, adamw_param = Parameter(p0.copy()), Parameter(p0.copy())
    adam = Adam([adam_param], lr=lr, eps=eps)
    adamw = AdamW([adamw_param], lr=lr, eps=eps, weight_decay=decay)
    adam_param.grad, adamw_param.grad = g, g
    adam.step()
    adamw.step()
    np.testing.assert_allclose(adam_param.data, p0 - lr * g / (np.abs(g) + eps), rtol=1e-13)
    expected = p0 * (1 - lr * decay) - lr * g / (np.abs(g) + eps)
    np.testing.assert_allclose(adamw_param.data, expected, rtol=1e-13)


def test_state_and_defaults():
    param = Parameter(np.ones((2, 2), dtype=np.float32))
    opt = AdamW([param], amsgrad=True)
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    assert opt.param_groups[0]["decoupled_weight_decay"] is True
    assert Adam([Parameter(np.ones(1))]).param_groups[0]["weight_decay"] == 0
    for _ in range(3):
        param.grad = np.ones((2, 2), dtype=np.float32)
        opt.step()
    state = opt.state[param]
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert state["step"] == 3
    assert all(state[k].dtype == np.float32 for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"))
    assert param.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"lr": -1e-3}, ValueError, "Adam: lr must be >= 0, got -0.001"),
        ({"betas": (1.0, 0.999)}, ValueError, r"Adam: betas\[0\] must be in \[0, 1\), got 1.0"),
        ({"betas": (-0.1, 0.999)}, ValueError, r"betas\[0\] must be in \[0, 1\), got -0.1"),
        ({"betas": (0.9, 1.5)}, ValueError, r"betas\[1\] must be in \[0, 1\), got 1.5"),
        ({"betas": (0.9,)}, TypeError, r"Adam: betas must be a pair \(beta1, beta2\)"),
        ({"betas": 0.9}, TypeError, "betas must be a pair"),
        ({"betas": (0.9, "0.999")}, TypeError, r"betas\[1\] must be a number"),
        ({"eps": -1e-8}, ValueError, "Adam: eps must be >= 0, got -1e-08"),
        ({"weight_decay": -0.1}, ValueError, "Adam: weight_decay must be >= 0, got -0.1"),
        ({"amsgrad": 0}, TypeError, "Adam: amsgrad must be a bool, got 0"),
        ({"maximize": None}, TypeError, "Adam: maximize must be a bool, got None"),
    ],
)
@pytest.mark.parametrize("optimizer", [Adam, AdamW])
def test_bad_options(optimizer, kwargs, error, match):
    match = match.replace("Adam:", f"{optimizer.__name__}:")
    with pytest.raises(error, match=match):
        optimizer([Parameter(np.ones(2))], **kwargs)


def test_adamw_refuses_coupled_weight_decay():
    with pytest.raises(TypeError, match="decoupled_weight_decay"):
        AdamW([Parameter(np.ones(2))], decoupled_weight_decay=False)
