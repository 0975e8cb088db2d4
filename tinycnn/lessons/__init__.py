"""Lessons: each claim of the classic-CNN lecture, measured with tinycnn's own layers.

    from tinycnn import lessons
    lessons.names()                              # in teaching order
    numbers = lessons.run("receptive-field")     # prints claim and measurement, returns numbers
    lessons.run("degradation", scale="full", seeds=5)

Each lesson is a module here with `NAME`, `measure(scale="default", seeds=3) -> dict` (the
numbers, which the tests check) and `report(numbers) -> Report` (what is printed: the claim
beside the measurement). The lessons that draw random weights or data (those that train, and
vanishing-gradients) measure each condition once per seed and print a verdict per claim from
the seeds (see verdict.py and report.py). The lessons that train also have `draw(numbers,
directory) -> [PNG paths]`: their measurements over the seeds as pictures. `scale`
(scale.py) sizes the lessons that train or time: "quick" takes seconds, "default" a
minute or two, "full" up to about 15 minutes.
"""

import json
import sys

from tinycnn.lessons import (
    alexnet_rf,
    batchnorm,
    bottleneck,
    degradation,
    dense_block,
    dropout,
    im2col,
    inception,
    lrn,
    pooling,
    receptive_field,
    regularization,
    vanishing_gradients,
)
from tinycnn.lessons.scale import DEFAULT_SEEDS, SCALES, check

# In teaching order: the analytic lessons first, then the measured ones.
_LESSONS = {
    lesson.NAME: lesson
    for lesson in (
        receptive_field,
        alexnet_rf,
        inception,
        bottleneck,
        dense_block,
        im2col,
        vanishing_gradients,
        degradation,
        batchnorm,
        lrn,
        pooling,
        regularization,
        dropout,
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


def run(name, scale="default", seeds=DEFAULT_SEEDS, stream=None, as_json=False, pictures=None):
    """Measure lesson `name`, print its report to `stream` (default stdout), return its numbers.

    Args:
        name: one of `names()`.
        scale: "quick", "default" or "full" (see scale.py).
        seeds: how many seeds the lessons that draw random weights or data (those that
            train, and vanishing-gradients) run each condition with.
        stream: a text file to print to.
        as_json: print one JSON object (the lesson, its numbers and verdicts) instead of text.
        pictures: a directory to draw the lesson's pictures in (PNG files, matplotlib
            needed), for the lessons that have some; None: none drawn.
    """
    lesson = get(name)
    scale, seeds = check(scale, seeds)
    numbers = lesson.measure(scale=scale, seeds=seeds)
    report = lesson.report(numbers)
    if as_json:
        document = {"lesson": name, "scale": scale, "seeds": seeds, "numbers": numbers}
        text = json.dumps({**document, **report.to_dict()}, default=_plain)
    else:
        text = str(report)
    print(text, file=sys.stdout if stream is None else stream)
    if pictures is not None and hasattr(lesson, "draw"):
        for path in lesson.draw(numbers, pictures):
            print(f"wrote {path}", file=sys.stderr)
    return numbers


def _plain(value):
    """A NumPy scalar or array as the Python number or list JSON can hold."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"lessons: cannot write {type(value).__name__} as JSON")


__all__ = ["SCALES", "get", "names", "run"]
