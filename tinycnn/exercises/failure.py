"""How a check fails: `CheckError`, and `compare`, which finds what is wrong and why.

A failure says, in plain words, which function and which case (shapes, stride, padding),
which element, the expected and the actual value, and a hint when the learner's result
equals what a classic mistake would give (a transposed result, a missing padding, a
forgotten 1/N, ...): each check lists those mistakes as `Mistake`s.
"""

from dataclasses import dataclass

import numpy as np


class CheckError(Exception):
    """The learner's function gave a wrong result (or none) on one case."""

    def __init__(self, function, case, problem, hint=None):
        super().__init__(problem)
        self.function = function
        self.case = case
        self.problem = problem
        self.hint = hint

    def __str__(self):
        lines = [f"{self.function}: {self.problem}", f"  case: {self.case}"]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


@dataclass
class Mistake:
    """A classic mistake: what it would return on this case, and the hint that fixes it.

    Attributes:
        hint: what to change, in a sentence.
        result: a function of no arguments returning what the mistake gives (the arrays
            in the same order as the checked results); called only after a mismatch.
    """

    hint: str
    result: object


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def _matches(actual, mistaken):
    """Whether every actual array equals the mistake's, to rounding."""
    actual, mistaken = _as_tuple(actual), _as_tuple(mistaken)
    if len(actual) != len(mistaken):
        return False
    for a, m in zip(actual, mistaken, strict=True):
        a, m = np.asarray(a), np.asarray(m)
        if a.shape != m.shape or not np.allclose(a, m, rtol=1e-6, atol=1e-9, equal_nan=True):
            return False
    return True


def hint_for(actual, mistakes):
    """The hint of the first mistake that gives exactly `actual`, or None."""
    for mistake in mistakes:
        try:
            mistaken = mistake.result()
        except (ValueError, IndexError, ZeroDivisionError):
            continue  # the mistake cannot even run on this case
        if _matches(actual, mistaken):
            return mistake.hint
    return None


def _format(value):
    return f"{value:.6g}" if isinstance(value, (float, np.floating)) else repr(value)


def compare(function, case, name, actual, expected, mistakes=(), rtol=1e-6, all_results=None):
    """Raise CheckError unless `actual` equals `expected` to rounding.

    Args:
        function: the learner's function, for the message ("conv2d_forward").
        case: the case in words.
        name: what is compared, e.g. "y" or "dx".
        actual, expected: the learner's result and the right one (expected: float64).
        mistakes: `Mistake`s to recognize; their results are compared with all_results.
        rtol: allowed error relative to the largest |expected| (at least 1).
        all_results: what the mistakes' results are compared with (default: actual).
    """
    all_results = actual if all_results is None else all_results
    if not isinstance(actual, np.ndarray):
        raise CheckError(
            function, case, f"{name} must be a NumPy array, got {type(actual).__name__}"
        )
    if actual.shape != expected.shape:
        problem = f"{name} has shape {actual.shape}, expected {expected.shape}"
        raise CheckError(function, case, problem, hint_for(all_results, mistakes))
    tolerance = rtol * max(1.0, float(np.abs(expected).max(initial=0.0)))
    actual_values = np.atleast_1d(actual).astype(np.float64)  # a 0-d loss too
    expected_values = np.atleast_1d(expected)
    error = np.abs(actual_values - expected_values)
    error[np.isnan(actual_values) != np.isnan(expected_values)] = np.inf
    error[np.isnan(actual_values) & np.isnan(expected_values)] = 0.0
    if error.size and error.max() > tolerance:
        worst = np.unravel_index(np.argmax(error), error.shape)
        element = name if actual.ndim == 0 else f"{name}[{', '.join(str(int(i)) for i in worst)}]"
        problem = (
            f"{element} is wrong: expected {_format(expected_values[worst])}, "
            f"got {_format(actual_values[worst])}"
        )
        raise CheckError(function, case, problem, hint_for(all_results, mistakes))


def check_dtype(function, case, name, actual, dtype):
    """Raise CheckError unless actual has the input's dtype."""
    if isinstance(actual, np.ndarray) and actual.dtype != dtype:
        raise CheckError(
            function,
            case,
            f"{name} has dtype {actual.dtype}, expected the input's dtype {np.dtype(dtype)}",
            "create arrays with dtype=x.dtype (np.zeros(shape) is float64): the engine runs "
            "float32",
        )


def call(function_name, case, function, *args, **kwargs):
    """function(*args, **kwargs); an error in it becomes a CheckError naming the case.

    NumPy's warnings (overflow, 0/0) are silenced: the infinities and NaNs they warn of are
    in the result, where the comparison finds and explains them.
    """
    try:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)
    except CheckError:
        raise
    except NotImplementedError:
        raise CheckError(
            function_name,
            case,
            "raises NotImplementedError",
            "write the body where the skeleton raises NotImplementedError",
        ) from None
    except Exception as error:  # the learner's code: report any error with the case
        raise CheckError(function_name, case, f"raised {type(error).__name__}: {error}") from error
