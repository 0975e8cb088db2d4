"""Lesson `degradation` in quick mode: sane, deterministic, and honest about what it shows."""

import math

from tinycnn.lessons import degradation


def test_quick_run_is_sane_deterministic_and_reports_each_check():
    numbers = degradation.measure(quick=True)
    settings = numbers["settings"]
    steps = math.ceil(settings["images_used"] / settings["batch_size"]) * settings["epochs"]
    assert set(numbers["losses"]) == set(degradation.NETWORKS)
    for name, losses in numbers["losses"].items():
        assert len(losses) == steps, name
        assert all(math.isfinite(loss) and loss > 0 for loss in losses), name
        # Ten classes: an untrained network starts near ln 10 = 2.3 (BN keeps scores moderate).
        assert 1.0 < losses[0] < 10.0, name
    assert degradation.measure(quick=True) == numbers  # same seed, same batches, same losses
    text = str(degradation.report(numbers))
    verdicts = [line for line in text.splitlines() if line.startswith(("plain56", "resnet56"))]
    assert len(verdicts) == 3
    agrees = all(line.rstrip().endswith("yes") for line in verdicts)
    assert ("agrees with the claim" in text) == agrees
    assert ("does not fully show" in text) == (not agrees)
