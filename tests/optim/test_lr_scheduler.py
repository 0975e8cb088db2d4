"""Schedulers against torch.optim.lr_scheduler (stored lr sequences), closed forms, bad input."""

import math
from bisect import bisect_right

import numpy as np
import pytest
from test_optimizer import REF, assert_close, config, make_schedulers, reference_cases

from tinycnn.nn.parameter import Parameter
from tinycnn.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, MultiStepLR, StepLR
from tinycnn.optim.sgd import SGD

BASE_LRS = (0.1, 0.02)


def two_group_sgd(lrs=BASE_LRS):
    return SGD([{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in lrs])


def lr_sequence(optimizer, schedulers, steps):
    """The groups' lrs now and after each of `steps` rounds of scheduler steps."""
    lrs = [[group["lr"] for group in optimizer.param_groups]]
    for _ in range(steps):
        for scheduler in schedulers:
            scheduler.step()
        lrs.append([group["lr"] for group in optimizer.param_groups])
    return np.array(lrs)


@pytest.mark.parametrize("name", reference_cases("scheduler"))
def test_matches_torch(name):
    case = config("scheduler", name)
    expected = REF[f"scheduler/{name}/lr"]
    optimizer = two_group_sgd(case["lrs"])
    schedulers = make_schedulers(optimizer, case["schedulers"])
    actual = lr_sequence(optimizer, schedulers, len(expected) - 1)
    assert_close(actual, expected, name)
    assert schedulers[-1].get_last_lr() == list(actual[-1])


# Independent closed forms, lr(epoch) for a group whose initial lr is `base`.
CLOSED_FORMS = [
    (lambda opt: StepLR(opt, step_size=3, gamma=0.5), lambda base, e: base * 0.5 ** (e // 3)),
    (
        lambda opt: MultiStepLR(opt, milestones=[8, 2, 5, 5], gamma=0.3),
        lambda base, e: base * 0.3 ** bisect_right([2, 5, 5, 8], e),
    ),
    (
        lambda opt: CosineAnnealingLR(opt, T_max=10, eta_min=0.001),
        lambda base, e: 0.001 + (base - 0.001) * (1 + math.cos(math.pi * e / 10)) / 2,
    ),
    (
        lambda opt: CosineAnnealingLR(opt, T_max=7),
        lambda base, e: base * (1 + math.cos(math.pi * e / 7)) / 2,
    ),
]


@pytest.mark.parametrize("make, closed_form", CLOSED_FORMS)
def test_follows_the_closed_form_for_three_periods(make, closed_form):
    optimizer = two_group_sgd()
    actual = lr_sequence(optimizer, [make(optimizer)], 30)
    expected = [[closed_form(base, e) for base in BASE_LRS] for e in range(31)]
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)


def test_construction_sets_initial_lr_and_takes_the_first_step():
    optimizer = two_group_sgd()
    scheduler = StepLR(optimizer, step_size=2)
    assert scheduler.last_epoch == 0
    assert scheduler.base_lrs == list(BASE_LRS)
    assert [g["initial_lr"] for g in optimizer.param_groups] == list(BASE_LRS)
    assert scheduler.get_last_lr() == list(BASE_LRS)
    scheduler.get_last_lr().append(1.0)  # a copy
    assert scheduler.get_last_lr() == list(BASE_LRS)
    scheduler.step()
    scheduler.step()
    assert scheduler.last_epoch == 2
    assert scheduler.get_last_lr() == [lr * 0.1 for lr in BASE_LRS]
    # A second scheduler keeps the stored initial_lr as its base, as in torch.
    assert CosineAnnealingLR(optimizer, T_max=5).base_lrs == list(BASE_LRS)


def test_a_milestone_at_zero_applies_at_construction():
    optimizer = two_group_sgd()
    MultiStepLR(optimizer, milestones=[0, 0], gamma=0.5)
    assert [g["lr"] for g in optimizer.param_groups] == [lr * 0.25 for lr in BASE_LRS]


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: StepLR(opt, step_size=3, gamma=0.5),
        lambda opt: MultiStepLR(opt, milestones=[1, 4], gamma=0.5),
        lambda opt: CosineAnnealingLR(opt, T_max=4, eta_min=1e-3),
    ],
)
def test_state_dict_round_trip_continues_the_schedule(make):
    optimizer = two_group_sgd()
    scheduler = make(optimizer)
    uninterrupted = lr_sequence(optimizer, [scheduler], 15)

    optimizer = two_group_sgd()
    scheduler = make(optimizer)
    lr_sequence(optimizer, [scheduler], 6)
    saved_opt, saved = optimizer.state_dict(), scheduler.state_dict()
    lr_sequence(optimizer, [scheduler], 3)  # must not change what was saved
    assert saved["last_epoch"] == 6

    optimizer = two_group_sgd()
    scheduler = make(optimizer)
    scheduler.load_state_dict(saved)
    optimizer.load_state_dict(saved_opt)
    assert scheduler.get_last_lr() == list(uninterrupted[6])
    resumed = lr_sequence(optimizer, [scheduler], 9)
    np.testing.assert_array_equal(resumed, uninterrupted[6:])


def test_load_state_dict_refuses_a_mismatch_and_changes_nothing():
    optimizer = two_group_sgd()
    scheduler = CosineAnnealingLR(optimizer, T_max=4)
    before = scheduler.state_dict()
    step_lr = StepLR(two_group_sgd(), step_size=2).state_dict()
    with pytest.raises(ValueError, match="state_dict must have the keys .*'T_max'.*got .*"):
        scheduler.load_state_dict(step_lr)
    one_group = CosineAnnealingLR(two_group_sgd([0.1]), T_max=4).state_dict()
    with pytest.raises(ValueError, match=r"base_lrs must hold one lr per parameter group \(2\)"):
        scheduler.load_state_dict(one_group)
    with pytest.raises(TypeError, match="state_dict must be a dict, got list"):
        scheduler.load_state_dict([])
    assert scheduler.state_dict() == before


def test_the_base_class_needs_get_lr():
    with pytest.raises(NotImplementedError, match="LRScheduler must implement get_lr"):
        LRScheduler(two_group_sgd())


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: StepLR([0.1], 2), TypeError, "StepLR: optimizer must be a tinycnn.optim"),
        (lambda o: StepLR(o, 0), ValueError, "StepLR: step_size must be >= 1, got 0"),
        (lambda o: StepLR(o, 2.5), TypeError, "StepLR: step_size must be an int, got 2.5"),
        (lambda o: StepLR(o, 2, gamma=-0.5), ValueError, "StepLR: gamma must be >= 0, got -0.5"),
        (lambda o: StepLR(o, 2, gamma="x"), TypeError, "StepLR: gamma must be a number"),
        (lambda o: MultiStepLR(o, 3), TypeError, "milestones must be an iterable of ints"),
        (lambda o: MultiStepLR(o, [1, 2.0]), TypeError, "milestones must be ints, got 2.0"),
        (lambda o: MultiStepLR(o, [-1]), ValueError, "milestones must be >= 0, got -1"),
        (lambda o: MultiStepLR(o, [2], gamma=None), TypeError, "gamma must be a number"),
        (lambda o: CosineAnnealingLR(o, 0), ValueError, "T_max must be >= 1, got 0"),
        (lambda o: CosineAnnealingLR(o, 10.0), TypeError, "T_max must be an int, got 10.0"),
        (lambda o: CosineAnnealingLR(o, 10, -1e-3), ValueError, "eta_min must be >= 0"),
    ],
)
def test_bad_arguments(make, error, match):
    optimizer = two_group_sgd()
    with pytest.raises(error, match=match):
        make(optimizer)
    assert all("initial_lr" not in group for group in optimizer.param_groups)
