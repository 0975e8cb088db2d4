"""Lessons: each claim of the classic-CNN lecture, measured with tinycnn's own layers.

    from tinycnn import lessons
    lessons.names()                              # in teaching order
    numbers = lessons.run("receptive-field")     # prints claim and measurement, returns numbers

Each lesson is a module here with `NAME`, `measure(quick=False) -> dict` (the numbers, which
the tests check) and `report(numbers) -> Report` (what is printed: the claim beside the
measurement, see report.py). `quick` shrinks the lessons that train or run networks, so a
test or a first look takes seconds.
"""

import sys

from tinycnn.lessons import (
    alexnet_rf,
    bottleneck,
    degradation,
    dense_block,
    inception,
    receptive_field,
    regularization,
    vanishing_gradients,
)

# In teaching order: the analytic lessons first, then the measured ones.
_LESSONS = {
    lesson.NAME: lesson
    for lesson in (
        receptive_field,
        alexnet_rf,
        inception,
        bottleneck,
        dense_block,
        vanishing_gradients,
        degradation,
        regularization,
    )
}


def names():
    """Every lesson's name, in teaching order."""
    return list(_LESSONS)


def get(name):
    """The lesson module called `name`.

    Raises:
        ValueError: unless `name` is one of `names()`.
    """
    if name not in _LESSONS:
        raise ValueError(f"lessons: NAME must be one of {', '.join(names())}, got {name!r}")
    return _LESSONS[name]


def run(name, quick=False, stream=None):
    """Measure lesson `name`, print its report to `stream` (default stdout), return its numbers.

    Args:
        name: one of `names()`.
        quick: a smaller measurement that takes seconds (for the lessons that train).
        stream: a text file to print to.
    """
    lesson = get(name)
    numbers = lesson.measure(quick=quick)
    print(lesson.report(numbers), file=sys.stdout if stream is None else stream)
    return numbers


__all__ = ["get", "names", "run"]
