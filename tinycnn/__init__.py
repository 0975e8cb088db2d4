"""tinycnn: a convolutional-network engine written from scratch in NumPy and Numba.

import tinycnn
import tinycnn.nn as nn
import tinycnn.nn.functional as F
"""

# First, before anything imports NumPy: sets OPENBLAS_THREAD_TIMEOUT and OMP_WAIT_POLICY
# (unless the user set them), which OpenBLAS reads when NumPy loads; see kernels/threads.py.
from tinycnn.kernels import threads  # noqa: F401, I001

from tinycnn.gradcheck import gradcheck
from tinycnn.io.weights import load, save
from tinycnn.nn.functional import cat
from tinycnn.rng import manual_seed
from tinycnn.summary import summary
from tinycnn.tensor import Tensor, is_grad_enabled, no_grad, tensor

__all__ = [
    "Tensor",
    "cat",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "no_grad",
    "save",
    "summary",
    "tensor",
]
