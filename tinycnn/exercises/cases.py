"""Running a check over cases: the edge cases first, then cases Hypothesis draws.

The edge cases (1x1 kernels, stride > 1, padding, one output pixel, ...) run in the order
given, simplest first, so the first failure is usually the easiest to understand. Then
Hypothesis draws more cases, the same ones on every run (derandomized); when one fails,
Hypothesis shrinks it to a smallest failing case before it is reported.
"""

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.reporting import with_reporter


def run(check_case, edge_cases, strategy, drawn=20):
    """Call check_case(case) on every edge case, then on `drawn` cases from `strategy`.

    Returns:
        the number of cases checked. A failure (CheckError or any error of the
        learner's code) propagates, for the smallest failing case Hypothesis found.
    """
    for case in edge_cases:
        check_case(case)
    if not drawn:
        return len(edge_cases)
    count = 0

    @settings(
        max_examples=drawn,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
    )
    @given(strategy)
    def check_drawn(case):
        nonlocal count
        count += 1
        check_case(case)

    with with_reporter(lambda message: None):  # Hypothesis's own report: not for learners
        check_drawn()
    return len(edge_cases) + count
