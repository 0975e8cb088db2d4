"""What the kernel tests share: tolerances against the float64 oracles, and one check."""

import numpy as np
from hypothesis import HealthCheck

RTOL = {np.float32: 1e-5, np.float64: 1e-10}

# The `build` fixture is the same for every example, so sharing it is what we want.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


def assert_close(actual, expected, dtype, scale):
    """Same shape and dtype, and values within RTOL[dtype] * scale.

    scale is the size of the terms the kernel adds up: rounding errors are relative to
    it, not to a result that may nearly cancel.
    """
    assert actual.dtype == dtype
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL[dtype] * scale)
