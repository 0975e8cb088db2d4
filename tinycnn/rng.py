"""The one random-number generator behind every random draw in tinycnn.

Weight initialization (`tinycnn.nn.init`), dropout masks and data augmentation all draw
from `generator()`, so `manual_seed(seed)` makes a whole run reproducible, as
`torch.manual_seed` does. The draws themselves differ from torch's: the two libraries use
different generators.
"""

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Reseed the global generator; returns it.

    Args:
        seed: a non-negative int.

    Example:
        >>> import tinycnn
        >>> _ = tinycnn.manual_seed(0)
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be >= 0, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator():
    """The global `np.random.Generator` that `manual_seed` seeds."""
    return _generator
