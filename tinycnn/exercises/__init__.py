"""Exercises: write a piece of the engine yourself, check it, and plug it into a network.

    tinycnn exercises                         # the list, in order
    tinycnn exercises start im2col work/      # writes work/im2col.py: a skeleton to fill in
    tinycnn exercises check work/im2col.py    # checks it, and says what is wrong and why
    tinycnn exercises check work/im2col.py --plug   # then trains a network with it

Each exercise is a module here with NAME, SUMMARY, FUNCTIONS (what the learner's file
defines), SOLUTION (the module that solves it: the textbook kernels, or one in
solutions/), SKELETON (the file `start` writes), `check(learner) -> number of cases`
(raises `CheckError` at the first wrong case) and `plug_in(learner, progress) -> str`.
`learner` is anything with the functions as attributes: the loaded file, or a solution.
"""

import importlib

from tinycnn.exercises import (
    avg_pool2d,
    basic_block,
    batch_norm,
    conv2d_backward,
    conv2d_im2col,
    conv2d_loops,
    dense_layer,
    dropout,
    im2col,
    local_response_norm,
    max_pool2d,
    receptive_field,
    relu_backward,
    sgd_momentum,
    sigmoid_function,
    softmax_cross_entropy,
)
from tinycnn.exercises.failure import CheckError
from tinycnn.exercises.learner_file import LearnerFileError, write_skeleton
from tinycnn.exercises.learner_file import load as load_learner_file

# In teaching order: the convolution, the other layers, the loss and the optimizer, then
# building blocks of networks.
_EXERCISES = {
    exercise.NAME: exercise
    for exercise in (
        im2col,
        conv2d_loops,
        conv2d_im2col,
        conv2d_backward,
        max_pool2d,
        avg_pool2d,
        relu_backward,
        batch_norm,
        local_response_norm,
        dropout,
        softmax_cross_entropy,
        sgd_momentum,
        sigmoid_function,
        basic_block,
        dense_layer,
        receptive_field,
    )
}


def names():
    """Every exercise's name, in teaching order."""
    return list(_EXERCISES)


def get(name):
    """The exercise module called `name`.

    Raises:
        ValueError: unless `name` is one of `names()`.
    """
    if name not in _EXERCISES:
        raise ValueError(f"exercises: NAME must be one of {', '.join(names())}, got {name!r}")
    return _EXERCISES[name]


def solution(name):
    """The module holding exercise `name`'s solution."""
    return importlib.import_module(get(name).SOLUTION)


__all__ = [
    "CheckError",
    "LearnerFileError",
    "get",
    "load_learner_file",
    "names",
    "solution",
    "write_skeleton",
]
