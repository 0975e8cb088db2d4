"""A check shared by the model tests: a block's BatchNorm uses batch statistics in
training and its running statistics in evaluation."""

import numpy as np


def check_batch_norm_modes(block, bn, x):
    """Run `block` (which contains `bn`) on the batch `x` in both modes and check that

    - in training a sample's output depends on the rest of the batch, and the running
      statistics move towards the batch's (num_batches_tracked counts both calls);
    - in evaluation a sample's output does not, and the running statistics stay put.
    """
    bn.running_mean.data[...] = 0.5
    bn.running_var.data[...] = 2.0

    block.train()
    out = block(x).data
    assert not np.allclose(block(x[:1]).data, out[:1], atol=1e-3)
    assert bn.num_batches_tracked.item() == 2
    assert not np.allclose(bn.running_mean.data, 0.5)

    block.eval()
    mean, var = bn.running_mean.data.copy(), bn.running_var.data.copy()
    out = block(x).data
    np.testing.assert_allclose(block(x[:1]).data, out[:1], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, mean)
    np.testing.assert_array_equal(bn.running_var.data, var)
    assert bn.num_batches_tracked.item() == 2
