"""ReLU kernels against the float64 loop oracles (exact: relu only copies or zeroes)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tinycnn.kernels import reference
from tinycnn.kernels.relu import relu_backward, relu_forward

# The `build` fixture is the same for every example, so sharing it is what we want.
FIXTURE_OK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    shape=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
def test_relu_matches_oracle(build, shape, dtype, seed):
    rng = np.random.default_rng(seed)
    # Halves of small integers: many exact zeros, both signs, and some negative zeros.
    x = (rng.integers(-3, 4, shape) / 2 * rng.choice([1, -1], shape)).astype(dtype)
    y = relu_forward(x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, reference.relu_forward(x))

    dy = rng.standard_normal(shape).astype(dtype)
    dx = relu_backward(dy, y)
    assert dx.dtype == dtype
    np.testing.assert_array_equal(dx, reference.relu_backward(dy, y))


def test_relu_gradient_at_zero_is_zero_and_nan_passes_through(build):
    x = np.array([[[[-1.0, 0.0, -0.0, 2.0, np.nan]]]], dtype=np.float32)
    y = relu_forward(x)
    np.testing.assert_array_equal(y, [[[[0.0, 0.0, 0.0, 2.0, np.nan]]]])
    dx = relu_backward(np.ones_like(x), y)
    np.testing.assert_array_equal(dx, [[[[0.0, 0.0, 0.0, 1.0, 0.0]]]])


def test_relu_returns_a_fresh_array():
    x = np.ones((2, 3), dtype=np.float64)
    y = relu_forward(x)
    y[0, 0] = 5.0
    assert x[0, 0] == 1.0
