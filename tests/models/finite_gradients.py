"""Checks shared by the model tests: after a backward pass through a whole network, the
loss is finite and every parameter has a gradient of its own shape, with no inf or NaN."""

import numpy as np

import tinycnn.nn.functional as F


def assert_finite_gradients(model):
    """Every parameter of `model` has a finite gradient of its shape; a failure names it."""
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert param.grad.shape == param.shape, name
        assert np.isfinite(param.grad).all(), name


def assert_training_step_is_finite(model, x, target):
    """In training mode, from zeroed gradients, backpropagate the cross-entropy of
    model(x) against the class indices `target`; the loss and every gradient are finite."""
    model.train()
    model.zero_grad()
    loss = F.cross_entropy(model(x), target)
    loss.backward()
    assert np.isfinite(loss.item())
    assert_finite_gradients(model)
