"""Lesson `degradation` at quick scale: sane, deterministic, and a verdict per claim."""

import json
import math

from tinycnn.lessons import degradation


def test_quick_run_is_sane_and_reports_a_verdict_per_claim():
    numbers = degradation.measure(scale="quick", seeds=3)
    settings = numbers["settings"]
    steps = math.ceil(settings["images_used"] / settings["batch_size"]) * settings["epochs"]
    assert set(numbers["runs"]) == set(degradation.NETWORKS)
    for name, runs in numbers["runs"].items():
        assert len(runs) == 3, name
        for run in runs:
            assert len(run["batch_losses"]) == steps, name
            assert len(run["epoch_losses"]) == settings["epochs"], name
            assert all(math.isfinite(loss) and loss > 0 for loss in run["batch_losses"]), name
            # Ten classes: an untrained network starts near ln 10 = 2.3.
            assert 1.0 < run["batch_losses"][0] < 10.0, name
            assert 0.0 <= run["final_accuracy"] <= 1.0
    report = degradation.report(numbers)
    assert len(report.verdicts) == 3
    text = str(report)
    for claim, verdict in report.verdicts:
        assert f"{claim.text} -> {verdict.outcome.upper()}" in " ".join(text.split())
        assert "He et al." in claim.source
    assert "yes" not in text.split()
    json.dumps(report.to_dict())  # plottable as it is


def test_the_same_seed_gives_the_same_losses():
    first = degradation.measure(scale="quick", seeds=1)
    assert degradation.measure(scale="quick", seeds=1) == first
