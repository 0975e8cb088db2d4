"""How close a kernel's result must be to its float64 oracle: one rule for every test.

A kernel adds up terms in an order of its own, so it differs from the oracle by rounding
errors of the size of those terms, not of the result, which may nearly cancel. So the
tolerance is relative to ``scale``, the size of the terms summed (for a convolution, the
same convolution of |x| and |w|; for an average, the largest |x|).
"""

import numpy as np
from hypothesis import HealthCheck

RTOL = {np.float32: 1e-5, np.float64: 1e-10}

# The kernel tests' `build` fixture is the same for every Hypothesis example, so sharing it
# between examples is what we want.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


def assert_close(actual, expected, dtype, scale):
    """Same shape and dtype, and values within ``RTOL[dtype] * scale`` of ``expected``."""
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL[dtype] * np.max(scale))
