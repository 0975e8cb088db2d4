"""The verdict rule on made-up measurements: it never says "reproduced" of a difference
within the seed spread, of models at chance, or from too few seeds."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinycnn.lessons.verdict import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    RELATIONS,
    REPRODUCED,
    decide,
    summarize,
)

LOW = [1.0, 1.1, 0.9]  # mean 1.0, sample sd 0.1
HIGH = [3.0, 3.1, 2.9]  # mean 3.0, sample sd 0.1
LEARNED = [0.95, 0.97, 0.96]
AT_CHANCE = [0.11, 0.09, 0.12]


def test_summary_is_the_mean_and_sample_standard_deviation():
    # By hand: mean 2; squared deviations 1, 0, 1 over n - 1 = 2: variance 1.
    summary = summarize([1.0, 2.0, 3.0])
    assert (summary.mean, summary.spread, summary.count) == (2.0, 1.0, 3)
    assert math.isnan(summarize([5.0]).spread)


@pytest.mark.parametrize(
    "relation, outcome",
    [
        ("higher", REPRODUCED),
        ("lower", NOT_REPRODUCED),
        ("not lower", REPRODUCED),
        ("not higher", NOT_REPRODUCED),
    ],
)
def test_a_clear_effect_is_judged_by_its_direction(relation, outcome):
    # B - A = 2.0, far beyond the spread 0.1 + 0.1 = 0.2.
    verdict = decide(LOW, HIGH, relation, learned=[LEARNED])
    assert verdict.outcome == outcome
    assert verdict.difference == pytest.approx(2.0)
    assert verdict.spread == pytest.approx(0.2)


@pytest.mark.parametrize("relation", RELATIONS)
def test_the_same_clear_effect_the_other_way(relation):
    expected = {"higher": NOT_REPRODUCED, "lower": REPRODUCED,
                "not higher": REPRODUCED, "not lower": NOT_REPRODUCED}  # fmt: skip
    assert decide(HIGH, LOW, relation).outcome == expected[relation]


@pytest.mark.parametrize("relation", ["higher", "lower"])
def test_a_difference_within_the_spread_is_inconclusive(relation):
    # Means 1.0 and 1.1, spreads 0.1 each: 0.1 < 0.2.
    verdict = decide(LOW, [1.1, 1.2, 1.0], relation)
    assert verdict.outcome == INCONCLUSIVE
    assert "within spread" in verdict.reason


@pytest.mark.parametrize("relation", RELATIONS)
def test_models_at_chance_are_inconclusive_however_large_the_difference(relation):
    verdict = decide(LOW, HIGH, relation, learned=[LEARNED, AT_CHANCE], chance=0.1, margin=0.1)
    assert verdict.outcome == INCONCLUSIVE
    assert "did not learn" in verdict.reason


def test_the_chance_margin_is_a_stated_number():
    accuracies = [0.24, 0.26, 0.25]  # mean 0.25
    assert decide(LOW, HIGH, "higher", learned=[accuracies], margin=0.1).outcome == REPRODUCED
    assert decide(LOW, HIGH, "higher", learned=[accuracies], margin=0.2).outcome == INCONCLUSIVE


@pytest.mark.parametrize("relation", RELATIONS)
def test_fewer_than_three_seeds_are_inconclusive(relation):
    assert decide(LOW[:2], HIGH[:2], relation).outcome == INCONCLUSIVE


def test_a_diverged_run_is_inconclusive_not_a_crash():
    verdict = decide(LOW, [3.0, math.nan, math.inf], "higher")
    assert verdict.outcome == INCONCLUSIVE
    assert "not finite" in verdict.reason


def test_not_higher_needs_the_whole_interval_within_the_tolerance():
    # B - A = 0.05 with spread 0.2: -0.15 .. 0.25. Within tolerance 0.3, not within 0.1.
    b = [1.05, 1.15, 0.95]
    assert decide(LOW, b, "not higher", tolerance=0.3).outcome == REPRODUCED
    assert decide(LOW, b, "not higher", tolerance=0.1).outcome == INCONCLUSIVE


@given(
    st.lists(st.floats(0.0, 10.0), min_size=3, max_size=6),
    st.randoms(use_true_random=False),
)
def test_a_shuffle_of_the_same_values_is_never_a_strict_effect(values, random):
    # The two conditions measured the very same numbers in another order: no effect at all.
    shuffled = list(values)
    random.shuffle(shuffled)
    for relation in ("higher", "lower"):
        assert decide(values, shuffled, relation).outcome != REPRODUCED


@given(st.integers(0, 2**32 - 1))
def test_noise_alone_is_never_reproduced(seed):
    # Both conditions drawn from one distribution. Whatever the draw, the means differ by
    # less than the two spreads added, or the rule says "inconclusive"/"not reproduced" for
    # one direction; it can never say "reproduced" for both directions at once.
    data = np.random.default_rng(seed)
    a, b = data.normal(1.0, 0.1, 5), data.normal(1.0, 0.1, 5)
    outcomes = {decide(a, b, relation).outcome for relation in ("higher", "lower")}
    assert outcomes != {REPRODUCED}
    if abs(b.mean() - a.mean()) <= a.std(ddof=1) + b.std(ddof=1):
        assert outcomes == {INCONCLUSIVE}


def test_bad_arguments_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="relation must be one of"):
        decide(LOW, HIGH, "bigger")
    with pytest.raises(ValueError, match="tolerance and margin must be >= 0"):
        decide(LOW, HIGH, "not higher", tolerance=-1)
    with pytest.raises(ValueError, match="values must be a non-empty 1-D sequence"):
        decide([], HIGH, "higher")


def test_learned_any_needs_one_model_beyond_chance():
    # A at chance, B learned: a real difference for "B scores higher" (e.g. BatchNorm).
    assert decide(AT_CHANCE, LEARNED, "higher", learned_any=[AT_CHANCE, LEARNED]).outcome == (
        REPRODUCED
    )
    # The other way round it is real too, and against the claim.
    assert decide(LEARNED, AT_CHANCE, "higher", learned_any=[LEARNED, AT_CHANCE]).outcome == (
        NOT_REPRODUCED
    )
    # Both at chance: nothing to compare, even for a "not lower" claim the equal means suit.
    for relation in RELATIONS:
        verdict = decide(AT_CHANCE, AT_CHANCE, relation, learned_any=[AT_CHANCE, AT_CHANCE])
        assert verdict.outcome == INCONCLUSIVE and "did not learn" in verdict.reason
