"""The Optimizer base class: parameter groups, step, zero_grad, state dicts, checkpoints.

Also home of the replay helpers that test_sgd.py and test_adam.py import: each stored case
of tests/data/optim_reference.npz (written by tools/make_optim_reference.py with torch,
which documents the keys) is run again with tinycnn.optim and compared to torch's
parameters after every step and to torch's final state.
"""

import json

import numpy as np
import pytest
from reference_data import load_arrays

import tinycnn.nn.functional as F
from tinycnn.nn.container import Sequential
from tinycnn.nn.linear import Linear
from tinycnn.nn.parameter import Parameter
from tinycnn.optim import lr_scheduler
from tinycnn.optim.adam import Adam, AdamW
from tinycnn.optim.optimizer import Optimizer
from tinycnn.optim.sgd import SGD
from tinycnn.rng import manual_seed
from tinycnn.tensor import tensor

RTOL = 1e-10
OPTIMIZERS = {"SGD": SGD, "Adam": Adam, "AdamW": AdamW}


def load_reference():
    return load_arrays("optim_reference.npz", "make_optim_reference.py")


REF = load_reference()


def reference_cases(kind, prefix=""):
    """Names of the stored `kind` ("optimizer" or "scheduler") cases starting with prefix."""
    names = (key.split("/")[1] for key in REF if key.startswith(f"{kind}/"))
    return [name for name in dict.fromkeys(names) if name.startswith(prefix)]


def config(kind, name):
    return json.loads(str(REF[f"{kind}/{name}/config"]))


def make_schedulers(optimizer, specs):
    return [getattr(lr_scheduler, s["class"])(optimizer, **s["kwargs"]) for s in specs]


def assert_close(actual, expected, what):
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * scale, err_msg=what)


def replay_optimizer_case(name):
    """Run stored case `name` with tinycnn.optim; compare every step and the final state."""
    case = config("optimizer", name)
    prefix = f"optimizer/{name}/param"
    count = len({key.split("/")[3] for key in REF if key.startswith(prefix + "/")})
    params = [Parameter(REF[f"{prefix}/{i}/initial"].copy()) for i in range(count)]
    if case["groups"] is None:
        groups = params
    else:
        groups = [
            {**group, "params": [params[i] for i in group["params"]]} for group in case["groups"]
        ]
    optimizer = OPTIMIZERS[case["optimizer"]](groups, **case["kwargs"])
    schedulers = make_schedulers(optimizer, case["schedulers"])
    arrays = [p.data for p in params]
    steps = len(REF[f"{prefix}/0/grads"])
    for step in range(steps):
        for i, param in enumerate(params):
            present = REF[f"{prefix}/{i}/present"][step]
            param.grad = REF[f"{prefix}/{i}/grads"][step].copy() if present else None
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        for i, param in enumerate(params):
            assert param.data is arrays[i], "step must update p.data in place"
            expected = REF[f"{prefix}/{i}/trajectory"][step]
            assert_close(param.data, expected, f"{name}: parameter {i} after step {step + 1}")
    for i, param in enumerate(params):
        state_prefix = f"{prefix}/{i}/state/"
        expected = {k[len(state_prefix) :]: REF[k] for k in REF if k.startswith(state_prefix)}
        state = optimizer.state[param]
        assert sorted(state) == sorted(expected), f"{name}: state keys of parameter {i}"
        for key, value in expected.items():
            assert_close(state[key], value, f"{name}: state {key!r} of parameter {i}")


def test_reference_file_has_every_kind_of_case():
    cases = reference_cases("optimizer")
    assert {config("optimizer", name)["optimizer"] for name in cases} == set(OPTIMIZERS)
    assert len(reference_cases("scheduler")) >= 5


# --------------------------------------------------------------------- construction
def params3():
    return [Parameter(np.full(shape, 1.0)) for shape in ((2, 3), (3,), (1,))]


def test_param_groups_hold_params_and_every_option():
    a, b, c = params3()
    opt = SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert len(opt.param_groups) == 2
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.param_groups[1]["params"] == [c]
    assert opt.param_groups[0] == {
        "params": [a, b],
        "lr": 0.1,
        "momentum": 0,
        "dampening": 0,
        "weight_decay": 0,
        "nesterov": False,
        "maximize": False,
    }
    assert (opt.param_groups[1]["lr"], opt.param_groups[1]["momentum"]) == (0.5, 0.9)
    assert opt.defaults["lr"] == 0.1


def test_a_generator_of_parameters_makes_one_group():
    net = Linear(3, 2)
    opt = SGD(net.parameters(), lr=0.1)
    assert len(opt.param_groups) == 1
    assert opt.param_groups[0]["params"] == [net.weight, net.bias]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (Parameter(np.ones(2)), TypeError, "single Parameter"),
        ({"params": []}, TypeError, "single dict"),
        (3, TypeError, "got int"),
        ([], ValueError, "empty parameter list"),
        ([np.ones(2)], TypeError, "params must be Parameters, got ndarray"),
        ([{"params": [Parameter(np.ones(2))]}, Parameter(np.ones(2))], TypeError, "dict"),
        ([{"lr": 0.1}], ValueError, "must hold 'params'"),
        ([{"params": {Parameter(np.ones(2))}}], TypeError, "ordered collection"),
    ],
)
def test_bad_params(params, error, match):
    with pytest.raises(error, match=match):
        SGD(params, lr=0.1)


def test_a_parameter_may_appear_only_once():
    a, b, _ = params3()
    with pytest.raises(ValueError, match="must not repeat a parameter within a group"):
        SGD([a, b, a], lr=0.1)
    with pytest.raises(ValueError, match="already belong to another parameter group"):
        SGD([{"params": [a]}, {"params": [b, a]}], lr=0.1)


def test_non_leaf_tensors_are_refused():
    x = tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="leaf"):
        SGD([x * 2], lr=0.1)


def test_add_param_group_fills_defaults_and_checks_options():
    a, b, c = params3()
    opt = SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="SGD: lr must be >= 0, got -1"):
        opt.add_param_group({"params": [c], "lr": -1})
    with pytest.raises(TypeError, match="param_group must be a dict, got list"):
        opt.add_param_group([c])
    assert len(opt.param_groups) == 2


def test_group_options_are_checked_like_defaults():
    a, b, _ = params3()
    with pytest.raises(ValueError, match="SGD: momentum must be >= 0, got -0.5"):
        SGD([{"params": [a]}, {"params": [b], "momentum": -0.5}], lr=0.1)
    with pytest.raises(ValueError, match="Adam: betas\\[1\\] must be in \\[0, 1\\), got 1"):
        Adam([{"params": [a], "betas": (0.9, 1)}])


def test_repr_lists_each_group():
    a, b, _ = params3()
    text = repr(SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "Parameter Group 1\n    dampening: 0\n    lr: 0.5\n" in text


def test_base_class_needs_an_update_rule():
    class NoRule(Optimizer):
        pass

    param = Parameter(np.ones(2))
    opt = NoRule([param], {"lr": 0.1})
    param.grad = np.ones(2)
    with pytest.raises(NotImplementedError, match="NoRule must implement _update"):
        opt.step()


# --------------------------------------------------------------------- step and zero_grad
def test_step_updates_in_place_so_the_model_state_dict_sees_it():
    net = Linear(3, 2)
    before = {k: v.copy() for k, v in net.state_dict().items()}
    live = net.state_dict()
    opt = SGD(net.parameters(), lr=0.5)
    net.weight.grad = np.ones((2, 3), dtype=np.float32)
    net.bias.grad = np.ones(2, dtype=np.float32)
    opt.step()
    np.testing.assert_array_equal(live["weight"], before["weight"] - np.float32(0.5))
    assert live["weight"] is net.weight.data
    assert net.weight.dtype == np.float32 and net.bias.dtype == np.float32


def test_step_skips_parameters_without_gradient():
    a, b, _ = params3()
    opt = Adam([a, b], lr=0.1)
    a.grad = np.ones(a.shape)
    opt.step()
    np.testing.assert_array_equal(b.data, np.ones(3))
    assert b not in opt.state or not opt.state[b]
    assert opt.state[a]["step"] == 1
    assert not np.array_equal(a.data, np.ones(a.shape))


def test_step_leaves_the_gradient_alone():
    a, _, _ = params3()
    opt = SGD([a], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    grad = np.full(a.shape, 2.0)
    a.grad = grad
    opt.step()
    opt.step()
    assert a.grad is grad
    np.testing.assert_array_equal(grad, np.full(a.shape, 2.0))


def test_a_gradient_of_the_wrong_shape_changes_nothing():
    a, b, _ = params3()
    opt = SGD([a, b], lr=0.1)
    a.grad = np.ones(a.shape)
    b.grad = np.ones(1)  # would broadcast silently
    with pytest.raises(ValueError, match=r"SGD.step: grad must have its parameter's shape \(3,\)"):
        opt.step()
    np.testing.assert_array_equal(a.data, np.ones(a.shape))


def test_step_calls_the_closure_first_and_returns_its_loss():
    param = Parameter(np.array([3.0]))
    opt = SGD([param], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (tensor(np.array([1.0])) * param * param).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 9.0
    assert param.data[0] == 3.0 - 0.25 * 6.0


def test_zero_grad_sets_none_or_fills_zeros():
    a, b, _ = params3()
    opt = SGD([a, b], lr=0.1)
    a.grad = np.ones(a.shape)
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and not grad.any() and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


# --------------------------------------------------------------------- state dicts
def stepped_adam():
    a, b, c = params3()
    opt = Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], lr=0.1, amsgrad=True)
    a.grad, c.grad = np.full(a.shape, 0.5), np.full(c.shape, -2.0)
    opt.step()
    return opt, (a, b, c)


def test_state_dict_has_torchs_layout():
    opt, _ = stepped_adam()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    assert list(sd["state"]) == [0, 2]  # b has no gradient yet, so no state
    assert sorted(sd["state"][0]) == ["exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"]
    assert sd["state"][0]["step"] == 1


def test_sgd_without_momentum_has_no_state():
    a, _, _ = params3()
    opt = SGD([a], lr=0.1)
    a.grad = np.ones(a.shape)
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_a_saved_state_dict_is_not_changed_by_later_steps():
    opt, (a, _, c) = stepped_adam()
    sd = opt.state_dict()
    saved = sd["state"][0]["exp_avg"].copy()
    assert sd["state"][0]["exp_avg"] is not opt.state[a]["exp_avg"]
    opt.step()
    opt.param_groups[0]["lr"] = 7.0
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], saved)
    assert sd["state"][0]["step"] == 1 and sd["param_groups"][0]["lr"] == 0.1


def test_load_state_dict_copies_and_casts_to_the_parameters_dtype():
    opt, _ = stepped_adam()
    sd = opt.state_dict()
    params = [Parameter(np.ones(p.shape, dtype=np.float32)) for p in params3()]
    fresh = Adam([{"params": params[:2]}, {"params": params[2:]}], lr=1.0, amsgrad=True)
    fresh.load_state_dict(sd)
    loaded = fresh.state[params[0]]["exp_avg"]
    assert loaded.dtype == np.float32
    np.testing.assert_allclose(loaded, sd["state"][0]["exp_avg"])
    loaded[...] = 0
    assert sd["state"][0]["exp_avg"].any()
    assert [g["lr"] for g in fresh.param_groups] == [0.1, 0.5]
    assert fresh.param_groups[0]["params"] == params[:2]


def test_load_state_dict_accepts_a_torch_style_float_step():
    opt, _ = stepped_adam()
    sd = opt.state_dict()
    sd["state"][0]["step"] = np.array(1.0)  # torch keeps step as a 0-d float tensor
    opt.load_state_dict(sd)
    assert opt.state[opt.param_groups[0]["params"][0]]["step"] == 1


def corrupt(sd, how):
    if how == "groups":
        sd["param_groups"].append(dict(sd["param_groups"][0], params=[3]))
    elif how == "group size":
        sd["param_groups"][0]["params"] = [0]
    elif how == "shape":
        sd["state"][2]["exp_avg"] = np.zeros(2)
    elif how == "index":
        sd["state"][7] = sd["state"].pop(2)
    elif how == "step":
        sd["state"][0]["step"] = 1.5
    elif how == "option":
        sd["param_groups"][1]["betas"] = (0.9, 2.0)
    elif how == "other optimizer":
        for group in sd["param_groups"]:
            del group["betas"]
    elif how == "keys":
        sd["extra"] = 1
    return sd


@pytest.mark.parametrize(
    "how, error, match",
    [
        ("groups", ValueError, "number of parameter groups must be 2, got 3"),
        ("group size", ValueError, r"param_groups\[0\] must hold 2 parameters .*, got 1"),
        ("shape", ValueError, r"state\[2\]\['exp_avg'\] must have its parameter's shape \(1,\)"),
        ("index", ValueError, "state keys must be parameter indices .*, got 7"),
        ("step", ValueError, r"state\[0\]\['step'\] must be a whole number >= 0, got 1.5"),
        ("option", ValueError, r"Adam: betas\[1\] must be in \[0, 1\), got 2.0"),
        ("other optimizer", ValueError, "must hold every option of Adam, got no betas"),
        ("keys", TypeError, "keys 'state' and 'param_groups'"),
    ],
)
def test_load_state_dict_refuses_a_mismatch_and_changes_nothing(how, error, match):
    opt, _ = stepped_adam()
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(corrupt(opt.state_dict(), how))
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
    for index, state in before["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


def test_an_adam_state_dict_is_refused_by_sgd_and_adamw():
    opt, _ = stepped_adam()
    params = params3()
    sgd = SGD([{"params": params[:2]}, {"params": params[2:]}], lr=0.1)
    with pytest.raises(ValueError, match="every option of SGD, got no momentum, dampening"):
        sgd.load_state_dict(opt.state_dict())
    adamw = AdamW([{"params": params[:2]}, {"params": params[2:]}])
    with pytest.raises(ValueError, match="AdamW: decoupled_weight_decay must be True"):
        adamw.load_state_dict(opt.state_dict())


# --------------------------------------------------------------------- checkpoints
def make_training(optimizer_name):
    """A small float32 network, an optimizer over two groups and a scheduler; same each call."""
    manual_seed(0)
    net = Sequential(Linear(4, 5), Linear(5, 3))
    groups = [{"params": net[0].parameters()}, {"params": net[1].parameters(), "lr": 0.05}]
    if optimizer_name == "SGD":
        opt = SGD(groups, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
        sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 5, 6], gamma=0.5)
    elif optimizer_name == "Adam":
        opt = Adam(groups, lr=0.01, amsgrad=True, weight_decay=1e-3)
        sched = lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=1e-4)
    else:
        opt = AdamW(groups, lr=0.01)
        sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.7)
    return net, opt, sched


def train(net, opt, sched, steps, start):
    rng = np.random.default_rng(1234)
    batches = [(rng.standard_normal((6, 4)), rng.integers(0, 3, 6)) for _ in range(start + steps)]
    for x, y in batches[start:]:
        opt.zero_grad()
        F.cross_entropy(net(tensor(x.astype(np.float32))), y).backward()
        opt.step()
        sched.step()


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam", "AdamW"])
def test_resuming_from_state_dicts_is_bit_identical(optimizer_name):
    net, opt, sched = make_training(optimizer_name)
    train(net, opt, sched, steps=9, start=0)
    uninterrupted = {k: v.copy() for k, v in net.state_dict().items()}

    net, opt, sched = make_training(optimizer_name)
    train(net, opt, sched, steps=4, start=0)
    saved = (
        {k: v.copy() for k, v in net.state_dict().items()},
        opt.state_dict(),
        sched.state_dict(),
    )
    train(net, opt, sched, steps=3, start=4)  # changes nothing that was saved

    net, opt, sched = make_training(optimizer_name)  # fresh objects, as in a new process
    net.load_state_dict(saved[0])
    sched.load_state_dict(saved[2])  # torch's order: scheduler, then optimizer
    opt.load_state_dict(saved[1])
    train(net, opt, sched, steps=5, start=4)
    resumed = net.state_dict()
    for key, value in uninterrupted.items():
        assert np.array_equal(resumed[key], value), key
