"""Lesson `batchnorm` at quick scale: every condition trained per seed, two verdicts."""

import math

from tinycnn.lessons import batchnorm


def test_quick_run_trains_each_condition_per_seed_and_judges_two_claims():
    numbers = batchnorm.measure(scale="quick", seeds=3)
    assert set(numbers["runs"]) == set(batchnorm.CONDITIONS)
    for name, runs in numbers["runs"].items():
        assert len(runs) == 3
        for run in runs:
            assert len(run["epoch_losses"]) == numbers["settings"]["epochs"]
            assert run["first_loss"] == run["epoch_losses"][0]
            assert 0 <= run["final_accuracy"] <= 1 and 0 <= run["test_accuracy"] <= 1
            if batchnorm.CONDITIONS[name][1] == batchnorm.BASE_LR:
                assert math.isfinite(run["first_loss"]), name  # the base rate never diverges
    report = batchnorm.report(numbers)
    assert len(report.verdicts) == 2
    for claim, verdict in report.verdicts:
        assert claim.source.startswith("Ioffe & Szegedy")
        assert claim.a.startswith("no BN") and claim.b.startswith("BN")
        assert verdict.a.count == verdict.b.count == 3
