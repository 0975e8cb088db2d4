"""Shared by the model tests: a check that a block's BatchNorm uses batch statistics in
training and its running statistics in evaluation, and running statistics to set, so that
a whole network's evaluation mode is tested away from BatchNorm's initial identity."""

import numpy as np

import tinycnn.nn as nn


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


def set_running_statistics(model, seed=2):
    """Give every BatchNorm running statistics unlike its initial 0 and 1."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            C = module.num_features
            module.running_mean.data[...] = rng.normal(0, 0.5, C)
            module.running_var.data[...] = rng.uniform(0.5, 2.0, C)
