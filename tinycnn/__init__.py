"""tinycnn: a convolutional-network engine written from scratch in NumPy and Numba.

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
"""

# First, before anything imports NumPy: the thread and malloc settings, which OpenBLAS
# and Numba read when they load (TINYCNN_CONFIGURE=0 opts out; kernels/runtime/configure.py).
from tinycnn.kernels.runtime.configure import configure  # noqa: I001

configure()


from tinycnn import data, models, nn, optim
from tinycnn.gradcheck import gradcheck
from tinycnn.io.weights import load, save
from tinycnn.nn.functional import cat, flatten
from tinycnn.rng import manual_seed
from tinycnn.summary import summary
from tinycnn.tensor import (
    Tensor,
    float32,
    float64,
    int32,
    int64,
    is_grad_enabled,
    no_grad,
    tensor,
    uint8,
)

__all__ = [
    "Tensor",
    "cat",
    "data",
    "float32",
    "float64",
    "flatten",
    "gradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "models",
    "nn",
    "no_grad",
    "optim",
    "save",
    "summary",
    "tensor",
    "uint8",
]
