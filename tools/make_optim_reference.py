"""Write PyTorch reference values for tinycnn.optim to tests/data/optim_reference.npz.

Optimizers: for each configuration below, a few small float64 parameters take STEPS steps.
No model is involved: before each step every parameter's `.grad` is set to a stored
gradient (or left None, for the cases that test skipping), drawn once from a NumPy
generator seeded per case. The file holds the initial parameters, the gradients, the
parameters after every step and the optimizer's final per-parameter state, all computed by
torch.optim. Schedulers: for each configuration, an SGD optimizer with two parameter groups
(different lrs) is stepped many times, and the lr of every group is recorded after the
construction and after every step. `tests/optim/test_sgd.py`, `test_adam.py` and
`test_lr_scheduler.py` replay the same calls with tinycnn.optim and compare.

Run it in an environment that has torch (torch is needed by this script only, never by
tinycnn or its tests):

    /root/venvs/torch/bin/python tools/make_optim_reference.py

The output is byte-for-byte the same on every run: the inputs come from seeded generators,
torch runs single-threaded on its plain (non-foreach) code path, and the archive entries
carry a fixed timestamp.

Keys, for optimizer case <case> and parameter number i:

    optimizer/<case>/config                 JSON: {"optimizer": torch class name,
                                            "kwargs": constructor options, "groups": null or
                                            [{"params": [i, ...], <group options>}, ...],
                                            "schedulers": [{"class": name, "kwargs": {...}}]}
                                            (schedulers are stepped after every step)
    optimizer/<case>/param/<i>/initial      the parameter before the first step
    optimizer/<case>/param/<i>/grads        (STEPS, *shape) the gradient given at each step
    optimizer/<case>/param/<i>/present      (STEPS,) bool: False where .grad is None
    optimizer/<case>/param/<i>/trajectory   (STEPS, *shape) the parameter after each step
    optimizer/<case>/param/<i>/state/<key>  the final state (step as a 0-d float64)

and for scheduler case <case>:

    scheduler/<case>/config                 JSON: {"lrs": the two groups' starting lrs,
                                            "schedulers": [{"class": name, "kwargs": {...}}]}
    scheduler/<case>/lr                     (steps + 1, 2) the groups' lrs after the
                                            construction and after each step
"""

import json
from pathlib import Path

import numpy as np
import torch

# The sibling script's writer (fixed zip timestamps); importable because Python puts this
# script's folder, tools/, first on sys.path.
from make_functional_reference import save_npz

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "optim_reference.npz"
SEED = 20240605
STEPS = 6
SHAPES = ((3, 4), (5,), (2, 1, 3))
# Parameter 1 has no gradient at steps 1 and 3 in the "*_missing_grads" cases.
MISSING = np.ones((STEPS, len(SHAPES)), dtype=bool)
MISSING[[1, 3], 1] = False

TWO_SGD_GROUPS = [{"params": [0], "lr": 0.1}, {"params": [1, 2], "lr": 0.01, "momentum": 0.5}]
TWO_ADAM_GROUPS = [{"params": [0, 2]}, {"params": [1], "lr": 0.002, "weight_decay": 0.1}]
OPTIMIZER_CASES = {
    # name: (torch class, kwargs, groups or None, schedulers, present-mask or None)
    "sgd_plain": ("SGD", {"lr": 0.1}, None, [], None),
    "sgd_momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}, None, [], None),
    "sgd_dampening": ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}, None, [], None),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, None, [], None),
    "sgd_weight_decay": ("SGD", {"lr": 0.1, "weight_decay": 0.1}, None, [], None),
    "sgd_momentum_weight_decay": (
        "SGD",
        {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05},
        None,
        [],
        None,
    ),
    "sgd_maximize": (
        "SGD",
        {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01, "maximize": True},
        None,
        [],
        None,
    ),
    "sgd_two_groups": ("SGD", {"lr": 0.05, "momentum": 0.9}, TWO_SGD_GROUPS, [], None),
    "sgd_missing_grads": ("SGD", {"lr": 0.1, "momentum": 0.9}, None, [], MISSING),
    "sgd_step_lr": (
        "SGD",
        {"lr": 0.1, "momentum": 0.9},
        None,
        [{"class": "StepLR", "kwargs": {"step_size": 2, "gamma": 0.5}}],
        None,
    ),
    "adam": ("Adam", {"lr": 0.01}, None, [], None),
    "adam_amsgrad": ("Adam", {"lr": 0.01, "amsgrad": True}, None, [], None),
    "adam_weight_decay": ("Adam", {"lr": 0.01, "weight_decay": 0.1}, None, [], None),
    "adam_small_beta1_maximize": (  # 1 - beta1 >= 0.5: lerp's other form
        "Adam",
        {"lr": 0.02, "betas": [0.3, 0.9], "eps": 1e-6, "maximize": True},
        None,
        [],
        None,
    ),
    "adam_two_groups": ("Adam", {"lr": 0.01}, TWO_ADAM_GROUPS, [], None),
    "adam_missing_grads": ("Adam", {"lr": 0.01, "amsgrad": True}, None, [], MISSING),
    "adamw": ("AdamW", {"lr": 0.01}, None, [], None),
    "adamw_amsgrad": ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}, None, [], None),
    "adamw_cosine": (
        "AdamW",
        {"lr": 0.01, "weight_decay": 0.05},
        None,
        [{"class": "CosineAnnealingLR", "kwargs": {"T_max": 3}}],
        None,
    ),
}

SCHEDULER_LRS = [0.1, 0.02]
SCHEDULER_CASES = {
    # name: (schedulers on one optimizer, number of steps)
    "step_lr": ([{"class": "StepLR", "kwargs": {"step_size": 3, "gamma": 0.5}}], 40),
    "step_lr_every_step": ([{"class": "StepLR", "kwargs": {"step_size": 1, "gamma": 0.9}}], 40),
    "multistep_lr": (
        [{"class": "MultiStepLR", "kwargs": {"milestones": [2, 5, 5, 9], "gamma": 0.3}}],
        20,
    ),
    "multistep_lr_unsorted_zero": (
        [{"class": "MultiStepLR", "kwargs": {"milestones": [7, 0, 3], "gamma": 0.5}}],
        20,
    ),
    "cosine": ([{"class": "CosineAnnealingLR", "kwargs": {"T_max": 10}}], 35),
    "cosine_eta_min": (
        [{"class": "CosineAnnealingLR", "kwargs": {"T_max": 7, "eta_min": 0.001}}],
        30,
    ),
    "cosine_t_max_1": (
        [{"class": "CosineAnnealingLR", "kwargs": {"T_max": 1, "eta_min": 0.01}}],
        10,
    ),
    "cosine_long": ([{"class": "CosineAnnealingLR", "kwargs": {"T_max": 100}}], 300),
    "step_then_cosine": (  # two schedulers on one optimizer: each rescales the other's lr
        [
            {"class": "StepLR", "kwargs": {"step_size": 4, "gamma": 0.5}},
            {"class": "CosineAnnealingLR", "kwargs": {"T_max": 6, "eta_min": 0.001}},
        ],
        20,
    ),
}


def make_schedulers(optimizer, specs):
    return [getattr(torch.optim.lr_scheduler, s["class"])(optimizer, **s["kwargs"]) for s in specs]


def optimizer_case(name, number, case):
    optimizer_name, kwargs, groups, scheduler_specs, present = case
    rng = np.random.default_rng([SEED, number])
    initial = [rng.standard_normal(shape) for shape in SHAPES]
    grads = [rng.standard_normal((STEPS, *shape)) for shape in SHAPES]
    if present is None:
        present = np.ones((STEPS, len(SHAPES)), dtype=bool)
    params = [torch.tensor(array, requires_grad=True) for array in initial]
    if groups is None:
        param_groups = params
    else:
        param_groups = [
            {**group, "params": [params[i] for i in group["params"]]} for group in groups
        ]
    optimizer = getattr(torch.optim, optimizer_name)(param_groups, foreach=False, **kwargs)
    schedulers = make_schedulers(optimizer, scheduler_specs)
    trajectory = [np.empty((STEPS, *shape)) for shape in SHAPES]
    for step in range(STEPS):
        for i, param in enumerate(params):
            param.grad = torch.tensor(grads[i][step]) if present[step, i] else None
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        for i, param in enumerate(params):
            trajectory[i][step] = param.detach().numpy()

    config = {
        "optimizer": optimizer_name,
        "kwargs": kwargs,
        "groups": groups,
        "schedulers": scheduler_specs,
    }
    values = {f"optimizer/{name}/config": np.array(json.dumps(config, sort_keys=True))}
    for i, param in enumerate(params):
        prefix = f"optimizer/{name}/param/{i}"
        values[f"{prefix}/initial"] = initial[i]
        values[f"{prefix}/grads"] = grads[i]
        values[f"{prefix}/present"] = present[:, i].copy()
        values[f"{prefix}/trajectory"] = trajectory[i]
        for key, value in optimizer.state[param].items():
            values[f"{prefix}/state/{key}"] = value.detach().numpy().astype(np.float64)
    return values


def scheduler_case(name, case):
    scheduler_specs, steps = case
    params = [torch.zeros(2, dtype=torch.float64, requires_grad=True) for _ in SCHEDULER_LRS]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, SCHEDULER_LRS, strict=True)]
    optimizer = torch.optim.SGD(groups, foreach=False)
    schedulers = make_schedulers(optimizer, scheduler_specs)
    lrs = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(steps):
        optimizer.step()  # no gradients: changes nothing, but keeps torch's call order
        for scheduler in schedulers:
            scheduler.step()
        lrs.append([group["lr"] for group in optimizer.param_groups])
    config = {"lrs": SCHEDULER_LRS, "schedulers": scheduler_specs}
    return {
        f"scheduler/{name}/config": np.array(json.dumps(config, sort_keys=True)),
        f"scheduler/{name}/lr": np.array(lrs, dtype=np.float64),
    }


def reference_values():
    values = {}
    for number, (name, case) in enumerate(OPTIMIZER_CASES.items()):
        values.update(optimizer_case(name, number, case))
    for name, case in SCHEDULER_CASES.items():
        values.update(scheduler_case(name, case))
    return values


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    values = reference_values()
    save_npz(OUTPUT, values)
    print(
        f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(values)} arrays): "
        f"{len(OPTIMIZER_CASES)} optimizer cases, {len(SCHEDULER_CASES)} scheduler cases "
        f"(torch {torch.__version__})"
    )


if __name__ == "__main__":
    main()
