"""Lesson `lrn`: LRN's factor on activations against the paper's formula, and a quick run."""

import numpy as np

from tinycnn.lessons import lrn
from tinycnn.lessons.small_nets import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE


def test_factor_is_k_to_the_minus_beta_for_small_activations_and_shrinks_for_large():
    factors = lrn.activation_factors(magnitudes=(1, 100, 1000), images=8)
    # b / a = (k + alpha / n * sum a^2)^-beta <= k^-beta, with equality as a -> 0.
    ceiling = 2.0**-0.75
    for row in factors.values():
        assert row["factor_max"] <= ceiling * (1 + 1e-6)
        assert row["factor_min"] <= row["factor_mean"] <= row["factor_max"]
    # Activations of about 0.3: alpha / n * sum a^2 is about 1e-4 * 0.5, tiny next to k = 2.
    assert abs(factors[1]["factor_mean"] - ceiling) < 1e-3
    assert factors[1000]["factor_mean"] < factors[100]["factor_mean"] < factors[1]["factor_mean"]


def test_lrn_constants_are_alexnets_in_torchs_convention():
    # The paper: b = a / (k + 1e-4 * sum a^2)^0.75 over n = 5 channels; torch divides its
    # alpha by n, so its alpha is 5 * 1e-4.
    assert (LRN_SIZE, LRN_K, LRN_BETA) == (5, 2.0, 0.75)
    assert np.isclose(LRN_ALPHA / LRN_SIZE, 1e-4)


def test_quick_run_compares_with_and_without_lrn_per_seed():
    numbers = lrn.measure(scale="quick", seeds=3)
    assert set(numbers["results"]) == {"no LRN", "LRN"}
    assert all(len(runs) == 3 for runs in numbers["results"].values())
    report = lrn.report(numbers)
    assert len(report.verdicts) == 1
    claim, verdict = report.verdicts[0]
    assert "section 3.3" in claim.source and verdict.b.count == 3
