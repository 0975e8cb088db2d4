"""The textbook kernel set: plain vectorized NumPy, one short file per op.

Every op of `tinycnn.kernels.OP_NAMES`, written the way a textbook derives it: no Numba,
no threads, no reused buffers. Run a model on it with

    with tinycnn.kernels.use("textbook"):
        logits = model(x)

and step through any layer with pdb. The results equal the fast kernels' up to float
rounding (tests/models/test_kernel_sets.py).

    im2col.py               image patches <-> columns (im2col, col2im)
    conv2d.py               convolution: im2col + one matrix product per group; backwards
    pooled_size.py          how many pooling windows fit (torch's floor and ceil modes)
    max_pool2d.py           max pooling and its gradient
    avg_pool2d.py           average pooling and its gradient
    adaptive_avg_pool2d.py  adaptive average pooling and its gradient
    local_response_norm.py  local response normalization and its gradient
    batch_norm.py           batch normalization, training and evaluation, and gradients
    relu.py                 the rectified linear unit and its gradient
    dropout.py              inverted dropout and its gradient
    sgd.py                  the SGD update of one parameter
"""

from tinycnn.kernels.textbook.adaptive_avg_pool2d import (
    adaptive_avg_pool2d_backward,
    adaptive_avg_pool2d_forward,
)
from tinycnn.kernels.textbook.avg_pool2d import avg_pool2d_backward, avg_pool2d_forward
from tinycnn.kernels.textbook.batch_norm import (
    batch_norm_eval_backward,
    batch_norm_eval_forward,
    batch_norm_train_backward,
    batch_norm_train_forward,
)
from tinycnn.kernels.textbook.conv2d import (
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
)
from tinycnn.kernels.textbook.dropout import dropout_backward, dropout_forward
from tinycnn.kernels.textbook.im2col import col2im, im2col
from tinycnn.kernels.textbook.local_response_norm import (
    local_response_norm_backward,
    local_response_norm_forward,
)
from tinycnn.kernels.textbook.max_pool2d import max_pool2d_backward, max_pool2d_forward
from tinycnn.kernels.textbook.relu import relu_backward, relu_forward
from tinycnn.kernels.textbook.sgd import sgd_update

__all__ = [
    "adaptive_avg_pool2d_backward",
    "adaptive_avg_pool2d_forward",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "batch_norm_eval_backward",
    "batch_norm_eval_forward",
    "batch_norm_train_backward",
    "batch_norm_train_forward",
    "col2im",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_forward",
    "dropout_backward",
    "dropout_forward",
    "im2col",
    "local_response_norm_backward",
    "local_response_norm_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "relu_backward",
    "relu_forward",
    "sgd_update",
]
