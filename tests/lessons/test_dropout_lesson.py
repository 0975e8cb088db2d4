"""Lesson `dropout`: the mask ensemble, and a quick run."""

from tinycnn import rng
from tinycnn.lessons import dropout
from tinycnn.lessons.short_runs import accuracy, digits


def test_without_dropout_every_mask_ensemble_is_the_plain_network():
    # p = 0 draws no mask: M forward passes are identical, so their average classifies as
    # the network in evaluation mode does.
    rng.manual_seed(0)
    model = dropout.Perceptron(0.0)
    test = digits(train=False, size=dropout.SIZE, count=64)
    assert dropout.ensemble_accuracy(model, test, 5, seed=0) == accuracy(model, test)


def test_the_ensemble_is_reproducible_from_its_seed():
    rng.manual_seed(0)
    model = dropout.Perceptron(0.5)
    test = digits(train=False, size=dropout.SIZE, count=64)
    first = dropout.ensemble_accuracy(model, test, 3, seed=1)
    assert dropout.ensemble_accuracy(model, test, 3, seed=1) == first
    assert not model.training  # left in evaluation mode


def test_quick_run_scores_the_scaled_network_and_each_ensemble_per_seed():
    numbers = dropout.measure(scale="quick", seeds=3)
    assert set(numbers["ensembles"]) == set(dropout.SCALES["quick"]["masks"])
    assert all(len(accuracies) == 3 for accuracies in numbers["ensembles"].values())
    assert all(len(runs) == 3 for runs in numbers["results"].values())
    report = dropout.report(numbers)
    assert [claim.b for claim, _ in report.verdicts] == ["dropout", "5 masks", "scaled network"]
