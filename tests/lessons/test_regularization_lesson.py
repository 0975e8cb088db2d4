"""Lesson `regularization` in quick mode: sane, deterministic, consistent report."""

import numpy as np

from tinycnn import rng
from tinycnn.lessons import regularization
from tinycnn.tensor import tensor


def test_quick_run_is_sane_and_deterministic():
    numbers = regularization.measure(quick=True)
    results = numbers["results"]
    assert set(results) == set(regularization.VARIANTS)
    for name, r in results.items():
        assert 0.0 <= r["train_accuracy"] <= 1.0 and 0.0 <= r["test_accuracy"] <= 1.0, name
        assert r["gap"] == r["train_accuracy"] - r["test_accuracy"]
        assert r["final_loss"] > 0
    assert regularization.measure(quick=True) == numbers
    text = str(regularization.report(numbers))
    for name in ("dropout", "augmentation", "both"):
        held = results[name]["gap"] < results["plain"]["gap"]
        row = next(line for line in text.splitlines() if line.startswith(f"gap with {name} "))
        assert row.rstrip().endswith("yes" if held else "no")


def test_dropout_variant_zeroes_units_only_in_training():
    rng.manual_seed(0)
    model = regularization.SmallCNNWithDropout(0.5)
    x = tensor(np.random.default_rng(0).random((4, 1, 16, 16)).astype(np.float32))
    model.eval()
    first, second = model(x).data, model(x).data
    np.testing.assert_array_equal(first, second)  # no dropout in evaluation mode
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)  # a new mask each call
