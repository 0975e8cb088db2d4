"""Local response normalization kernels against the float64 loop oracles."""

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st
from tolerance import FIXTURE_OK, assert_close

from tinycnn.kernels import reference
from tinycnn.kernels.lrn import local_response_norm_backward, local_response_norm_forward


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE_OK)
@given(
    shape=st.tuples(st.integers(1, 2), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4)),
    size=st.integers(1, 9),  # odd and even, often larger than C
    alpha=st.sampled_from([1e-4, 1e-2, 0.5, 3.0]),
    beta=st.sampled_from([0.5, 0.75, 1.0, 2.0]),
    k=st.sampled_from([1.0, 2.0]),
    magnitude=st.sampled_from([0.1, 1.0, 10.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**32 - 1),
)
@example((1, 5, 3, 3), 5, 1e-4, 0.75, 2.0, 10.0, np.float32, 0)  # AlexNet's setting
@example((2, 3, 2, 1), 4, 0.5, 0.75, 1.0, 1.0, np.float64, 1)  # even size
@example((1, 2, 2, 2), 9, 3.0, 1.0, 1.0, 1.0, np.float32, 2)  # window wider than C
def test_local_response_norm_matches_oracle(
    build, shape, size, alpha, beta, k, magnitude, dtype, seed
):
    rng = np.random.default_rng(seed)
    x = (magnitude * rng.standard_normal(shape)).astype(dtype)
    y, scale = local_response_norm_forward(x, size, alpha, beta, k)
    y_ref, scale_ref = reference.local_response_norm_forward(x, size, alpha, beta, k)
    assert_close(y, y_ref, dtype, np.abs(y_ref).max())
    assert_close(scale, scale_ref, dtype, scale_ref.max())

    dy = rng.standard_normal(shape).astype(dtype)
    dx = local_response_norm_backward(dy, x, y, scale, size, alpha, beta)
    dx_ref = reference.local_response_norm_backward(dy, x, y, scale, size, alpha, beta)
    # dx = (direct term) - (term through the neighbours' scales); the two may nearly cancel.
    direct = np.abs(dy * scale_ref**-beta).max()
    through_scale = 2 * alpha * beta * np.abs(x).max() * np.abs(dy * y_ref / scale_ref).max()
    assert_close(dx, dx_ref, dtype, direct + through_scale)


def test_local_response_norm_window_reaches_further_back_for_even_sizes(build):
    # size 2: channel c sums channels c-1 and c. A single nonzero channel 1 therefore
    # changes the scale of channels 1 and 2, not of channel 0.
    x = np.zeros((1, 4, 1, 1))
    x[0, 1] = 2.0
    _, scale = local_response_norm_forward(x, 2, 1.0, 0.75, 1.0)
    np.testing.assert_allclose(scale.ravel(), [1.0, 3.0, 3.0, 1.0])  # 1 + 1/2 * 2^2
