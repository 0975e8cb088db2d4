"""Fused inference on whole models: eval logits under no_grad with every foldable BatchNorm
folded (tinycnn/nn/fusion.py) against the same model run op by op.

Weights come from `seeded_state_dict` (exact in float32, so both dtypes start from the
same numbers). The tolerance is the one tests/models/test_kernel_sets.py holds the
kernel sets to, for the same reason (only the rounding differs, here of the folded
weights and of the convolution that absorbs the BatchNorm):

    max |fused - unfused| / max |unfused|  <=  1e-4 in float32, 1e-10 in float64

tests/models/test_torchvision_outputs.py compares the fused logits with torchvision's
too: its eval-mode forward runs under no_grad.
"""

import numpy as np
import pytest
from seeded_weights import seeded_state_dict

import tinycnn
import tinycnn.nn as nn
from tinycnn import models
from tinycnn.nn import fused_inference
from tinycnn.nn.fusion import DeferredConv

TOLERANCE = {np.float32: 1e-4, np.float64: 1e-10}

# builder arguments, and how many BatchNorms follow a convolution directly
MODELS = {
    # the stem's, two per BasicBlock (8) and three downsampling ones
    "resnet18": ({}, 1 + 16 + 3),
    # every BasicConv2d: conv then bn
    "googlenet": ({"aux_logits": False}, 57),
    # pre-activation (BN, ReLU, conv): only the stem's and each dense layer's norm2,
    # which follows its 1x1 conv1
    "densenet121": ({}, 1 + 58),
}


def build(name):
    model = models.get_model(name, num_classes=10, **MODELS[name][0])
    shapes = {key: array.shape for key, array in model.state_dict().items()}
    model.load_state_dict(seeded_state_dict(shapes))
    return model.eval()


def count_folds(model):
    """A list that grows by one for each BatchNorm2d call that folds."""
    folds = []

    def record(module, inputs, output):
        if isinstance(output, DeferredConv) and output.pending and output.recipe.folded:
            folds.append(module)

    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.register_forward_hook(record)
    return folds


def error(a, b):
    return float(np.abs(a - b).max()) / float(np.abs(b).max())


@pytest.mark.parametrize("name", list(MODELS))
def test_fused_logits_equal_unfused_ones(name):
    model = build(name)
    folds = count_folds(model)
    for dtype in (np.float32, np.float64):
        model.to(dtype)
        x = tinycnn.tensor(np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(dtype))
        with tinycnn.no_grad():
            unfused = model(x).data  # fused inference is off by default
            assert not folds
            with fused_inference(True):
                fused = model(x).data
        assert fused.dtype == dtype
        assert len(folds) == MODELS[name][1]
        assert error(fused, unfused) <= TOLERANCE[dtype]
        folds.clear()
