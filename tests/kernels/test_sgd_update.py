"""The one-pass SGD kernel, in both builds, against the same update as NumPy operations."""

import numpy as np
import pytest

from tinycnn.kernels.sgd import sgd_update_loop


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "nesterov, maximize, first_step",
    [(False, False, True), (False, False, False), (True, True, False)],
    ids=["first step", "later step", "nesterov, maximize"],
)
def test_sgd_update_equals_numpy_to_the_last_bit(build, dtype, nesterov, maximize, first_step):
    rng = np.random.default_rng(0)
    p, g, b = (rng.standard_normal(1000).astype(dtype) for _ in range(3))
    lr, m, undamped, wd = (dtype(v) for v in (0.05, 0.9, 1 - 0.25, 1e-2))
    param, buffer = p.copy(), b.copy()
    sgd_update_loop(
        param, g, buffer, lr, m, undamped, wd, nesterov, maximize, first_step, work=p.size
    )
    g = -g if maximize else g
    g = wd * p + g
    b = g if first_step else m * b + undamped * g
    g = m * b + g if nesterov else b
    np.testing.assert_array_equal(buffer, b)
    np.testing.assert_array_equal(param, p + -lr * g)
