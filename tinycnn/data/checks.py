"""Argument checks shared by the datasets, the DataLoader and the transforms.

Each raises `TypeError` for a value of the wrong type and `ValueError` for a value out of
range, worded "<op>: <what> must be <constraint>, got <value>".
"""

import math
import numbers

import numpy as np


def is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_finite_number(value):
    """True for an int or float that is neither NaN nor infinite nor beyond a float's range
    (an int of 400 digits, which JSON, and so an edited checkpoint, can hold)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def int_at_least(op, name, value, minimum):
    if not is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value)


def number_in(op, name, value, low, high):
    """A real number in the closed interval [low, high], as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{op}: {name} must be in [{low}, {high}], got {value}")
    return float(value)


def boolean(op, name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)


def size_pair(op, name, size):
    """torchvision's image size: an int (a square) or a sequence of one or two ints, >= 1.

    Returns:
        (height, width).
    """
    if is_int(size):
        size = (size, size)
    elif isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(map(is_int, size)):
        size = (size[0], size[-1])
    else:
        raise TypeError(f"{op}: {name} must be an int or a sequence of 1 or 2 ints, got {size!r}")
    if min(size) < 1:
        raise ValueError(f"{op}: {name} must be >= 1, got {size}")
    return int(size[0]), int(size[1])


def optional_callable(op, name, value):
    if value is not None and not callable(value):
        raise TypeError(f"{op}: {name} must be callable or None, got {type(value).__name__}")
    return value


def image(op, value):
    """An image ndarray of shape (..., H, W), e.g. (C, H, W)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{op}: image must be an ndarray (C, H, W), got {type(value).__name__}")
    if value.ndim < 2:
        raise ValueError(f"{op}: image must have shape (C, H, W), got shape {value.shape}")
    return value


def float_image(op, value):
    """An image ndarray (..., H, W) of float32 or float64."""
    value = image(op, value)
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{op}: image must be float32 or float64, got {value.dtype}")
    return value
