"""Lesson `regularization` at quick scale: no verdict says "reproduced" for models at
chance, and the dropout variant only drops in training."""

import numpy as np

from tinycnn.lessons import regularization
from tinycnn.lessons.short_runs import CHANCE
from tinycnn.lessons.verdict import REPRODUCED


def test_quick_run_never_claims_an_effect_for_models_near_chance():
    numbers = regularization.measure(scale="quick", seeds=3)
    results = numbers["results"]
    assert set(results) == set(regularization.VARIANTS)
    for name, runs in results.items():
        assert len(runs) == 3
        for r in runs:
            assert 0.0 <= r["train_accuracy"] <= 1.0 and 0.0 <= r["test_accuracy"] <= 1.0, name
            assert r["gap"] == r["train_accuracy"] - r["test_accuracy"]
    report = regularization.report(numbers)
    assert [claim.b for claim, _ in report.verdicts] == [
        "dropout", "augmentation", "weight decay", "all three"
    ]  # fmt: skip
    plain_test = np.mean([r["test_accuracy"] for r in results["plain"]])
    for claim, verdict in report.verdicts:
        test = np.mean([r["test_accuracy"] for r in results[claim.b]])
        if min(plain_test, test) < CHANCE + 0.1:  # a model within 0.1 of chance
            assert verdict.outcome != REPRODUCED, claim.text
            assert "did not learn" in verdict.reason
    assert "yes" not in str(report).split()
