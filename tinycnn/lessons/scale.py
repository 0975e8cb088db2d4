"""How big a lesson's measurement is: its scale and its number of seeds.

    quick    a smoke test: seconds (the test suite runs every lesson at this scale)
    default  a minute or two
    full     at most about 15 minutes per lesson on 2 cores

The analytic lessons compute the same numbers at every scale; the lessons that train (and
vanishing-gradients, which draws random networks but trains none) run each condition once
per seed (`seeds`, at least `verdict.MIN_SEEDS` for a verdict).
"""

from tinycnn.data import checks

SCALES = ("quick", "default", "full")
DEFAULT_SEEDS = 3


def check(scale, seeds):
    """(scale, seeds) after checking them.

    Raises:
        ValueError: unless scale is one of SCALES and seeds >= 1.
        TypeError: if seeds is not an int.
    """
    if scale not in SCALES:
        raise ValueError(f"lessons: scale must be one of {', '.join(SCALES)}, got {scale!r}")
    return scale, int(checks.int_at_least("lessons", "seeds", seeds, 1))
