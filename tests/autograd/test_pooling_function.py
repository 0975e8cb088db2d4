"""The pooling Functions keep for backward only what a backward that will run needs."""

import numpy as np

from tinycnn.autograd.function import Context
from tinycnn.autograd.pooling import MaxPool2d
from tinycnn.kernels import reference

GEOMETRY = {
    "kernel_size": (3, 3),
    "stride": (2, 2),
    "padding": (1, 1),
    "dilation": (1, 1),
    "ceil_mode": False,
}


def test_max_pool2d_without_gradient_saves_no_indices():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6)).astype(np.float32)
    ctx = Context([False])  # what `apply` builds under no_grad or for a constant input
    y = MaxPool2d.forward(ctx, x, **GEOMETRY)
    assert ctx.saved == ()
    y_ref, _ = reference.max_pool2d_forward(x, *GEOMETRY.values())
    np.testing.assert_array_equal(y, y_ref.astype(np.float32))


def test_max_pool2d_with_gradient_saves_the_indices_backward_uses():
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6)).astype(np.float32)
    ctx = Context([True])
    y = MaxPool2d.forward(ctx, x, **GEOMETRY)
    _, indices_ref = reference.max_pool2d_forward(x, *GEOMETRY.values())
    (indices,) = ctx.saved
    np.testing.assert_array_equal(indices, indices_ref)
    dy = np.ones_like(y)
    (dx,) = MaxPool2d.backward(ctx, dy)
    np.testing.assert_array_equal(dx, reference.max_pool2d_backward(dy, indices_ref, x.shape))
