"""Slow, obviously-correct loop oracles for every kernel, computed in float64.

Each oracle has the same signature as the fast kernel it checks and returns float64
arrays. They are written as plain Python loops over every output element, straight from
the defining formula, so that a reader can check them by eye. Only tests and benchmarks
import this module; the engine itself never does.
"""

import numpy as np

# ---------------------------------------------------------------- convolution (im2col, conv2d)

# ------------------------------------- pooling, normalization (LRN, batch norm), activation
