"""Verdicts from several seeds: "reproduced", "not reproduced" or "inconclusive".

    a = [0.41, 0.38, 0.44]            # one measurement per seed, condition A (e.g. plain20)
    b = [1.62, 1.71, 1.55]            # the same seeds, condition B (e.g. plain56)
    verdict = decide(a, b, "higher")  # the claim: B's value is higher than A's
    verdict.outcome                   # "reproduced"

The rule (every lesson's printed verdict follows it):

1. Each condition is summarized over its seeds as mean +- spread, the spread being the
   sample standard deviation (ddof = 1) of the per-seed values. Fewer than `MIN_SEEDS`
   seeds give no spread worth the name, and a value that is not finite (a run that
   diverged) no mean: either way the verdict is "inconclusive".
2. A difference between models that did not learn is noise. A model has learned when its
   mean accuracy is more than `margin` above `chance` (for ten classes, by default, above
   0.10 + 0.10 = 0.20). The lesson passes the accuracies a claim needs: `learned`, those
   that must all have learned (e.g. for a train/test gap, which is near 0 at chance
   whatever the regularizer), and `learned_any`, of which at least one must have (e.g. for
   "B scores higher than A": if A learned and B did not, that is a real difference). If
   either test fails the verdict is "inconclusive".
3. The difference d = mean(B) - mean(A) is compared with s = spread(A) + spread(B), so the
   two intervals mean +- spread must not overlap before anything is claimed:
   - "higher" (B > A): reproduced if d > s; not reproduced if d < -s.
   - "lower"  (B < A): reproduced if d < -s; not reproduced if d > s.
   - "not higher" (B <= A + tolerance): reproduced if d + s <= tolerance (even the
     pessimistic end of the difference is within the tolerance); not reproduced if
     d - s > tolerance. "not lower" mirrors it (B >= A - tolerance).
   Anything else is "inconclusive": the difference is within the spread.

So "reproduced" is never said of a difference within the seed-to-seed spread, nor of
models at chance. The rule is deliberately simple and conservative; it is not a
significance test, and with 3 seeds it can miss a real but small effect (which then reads
"inconclusive", never "reproduced").
"""

import math
from dataclasses import dataclass

import numpy as np

MIN_SEEDS = 3
RELATIONS = ("higher", "lower", "not higher", "not lower")
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


@dataclass(frozen=True)
class Summary:
    """Per-seed values summarized: their mean, spread (sample standard deviation) and count,
    and the values themselves, seed 0 first."""

    mean: float
    spread: float
    count: int
    values: tuple

    def to_dict(self):
        return {
            "mean": self.mean,
            "spread": self.spread,
            "seeds": self.count,
            "values": list(self.values),
        }

    def __str__(self):
        if self.count < 2:
            return f"{_number(self.mean)} (1 seed, no spread)"
        return f"{_number(self.mean)} ± {self.spread:.2g}"


def summarize(values):
    """Mean and sample standard deviation (ddof = 1; NaN for a single value) of `values`.

    A value that is not finite (a diverged run) makes the mean or spread not finite too.

    Raises:
        ValueError: if `values` is empty or not one-dimensional.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"verdict: values must be a non-empty 1-D sequence, got {values!r}")
    spread = float(np.std(array, ddof=1)) if array.size > 1 else math.nan
    return Summary(float(array.mean()), spread, int(array.size), tuple(array.tolist()))


@dataclass(frozen=True)
class Verdict:
    """The outcome of one claim and why.

    Attributes:
        outcome: "reproduced", "not reproduced" or "inconclusive".
        reason: one line saying which part of the rule decided it.
        a, b: the two conditions' Summaries.
        difference: mean(B) - mean(A).
        spread: spread(A) + spread(B), what the difference is compared with.
    """

    outcome: str
    reason: str
    a: Summary
    b: Summary
    difference: float
    spread: float

    def to_dict(self):
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "difference": self.difference,
            "spread": self.spread,
        }


def decide(a, b, relation, tolerance=0.0, learned=(), learned_any=(), chance=0.1, margin=0.1):
    """The verdict on the claim "B is `relation` A", from per-seed values (see the module's rule).

    Args:
        a, b: the per-seed values of conditions A and B (same seeds, same order).
        relation: one of "higher", "lower", "not higher", "not lower".
        tolerance: for "not higher" / "not lower": how much worse B may be and still count.
        learned: per-seed accuracies of the models that must all have learned for the claim
            to mean anything (a sequence of sequences); empty: no such check.
        learned_any: per-seed accuracies of models of which at least one must have learned;
            empty: no such check.
        chance: the accuracy of guessing (1 / classes).
        margin: how far above chance a mean accuracy must be to count as learned.

    Returns:
        a Verdict.

    Raises:
        ValueError: an unknown relation, a negative tolerance or margin, or bad values.
    """
    if relation not in RELATIONS:
        raise ValueError(
            f"verdict: relation must be one of {', '.join(RELATIONS)}, got {relation!r}"
        )
    if not tolerance >= 0 or not margin >= 0:
        raise ValueError(
            f"verdict: tolerance and margin must be >= 0, got {tolerance!r} and {margin!r}"
        )
    A, B = summarize(a), summarize(b)
    difference = B.mean - A.mean
    spread = A.spread + B.spread

    def verdict(outcome, reason):
        return Verdict(outcome, reason, A, B, difference, spread)

    seeds = min(A.count, B.count)
    if seeds < MIN_SEEDS:
        return verdict(INCONCLUSIVE, f"{seeds} seed(s): a spread needs at least {MIN_SEEDS}")
    if not (math.isfinite(difference) and math.isfinite(spread)):
        return verdict(INCONCLUSIVE, "a value is not finite (a run diverged): no mean to compare")
    threshold = chance + margin  # a mean accuracy at or below it: the model did not learn
    not_learned = [summarize(accuracies).mean for accuracies in learned]
    not_learned = [mean for mean in not_learned if mean <= threshold]
    best_of_any = max((summarize(accuracies).mean for accuracies in learned_any), default=1.0)
    if best_of_any <= threshold:
        not_learned.append(best_of_any)
    if not_learned:
        return verdict(
            INCONCLUSIVE,
            f"a model did not learn: accuracy {not_learned[0]:.3f} is within {margin:g} of "
            f"chance ({chance:g})",
        )
    sign = 1.0 if relation in ("higher", "not lower") else -1.0
    gain = sign * difference  # > 0: B differs from A in the claimed direction
    d, s, t = _number(difference), _number(spread), _number(tolerance)
    if relation in ("higher", "lower"):
        if gain > spread:
            return verdict(REPRODUCED, f"difference {d} beyond spread {s}")
        if gain < -spread:
            return verdict(NOT_REPRODUCED, f"difference {d} beyond spread {s}, the other way")
    else:
        if gain - spread >= -tolerance:
            return verdict(REPRODUCED, f"difference {d} with spread {s} is within tolerance {t}")
        if gain + spread < -tolerance:
            return verdict(
                NOT_REPRODUCED, f"difference {d} is beyond tolerance {t} by more than spread {s}"
            )
    return verdict(INCONCLUSIVE, f"difference {d} within spread {s}")


def _number(value):
    """4 significant digits, as the tables print them."""
    return f"{value:.3g}" if value != 0 and abs(value) < 1e-3 else f"{value:.4g}"
