"""`BatchNorm2d`: batch normalization of each channel, with running statistics."""

import numpy as np

from tinycnn.nn import folding, init
from tinycnn.nn import functional as F
from tinycnn.nn.functional import _positive_int
from tinycnn.nn.fusion import DeferredConv, fusing
from tinycnn.nn.module import Module
from tinycnn.nn.parameter import Parameter
from tinycnn.tensor import Tensor


class BatchNorm2d(Module):
    """Normalizes each channel of an (N, C, H, W) input (Ioffe & Szegedy, 2015):

        y = (x - mean[c]) / sqrt(var[c] + eps) * weight[c] + bias[c]

    In training mode, mean and var are the batch's, over (N, H, W), var biased; each
    training step then updates the running statistics in place, torch's way:

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * unbiased batch_var

    and counts the step in num_batches_tracked. With momentum=None the factor is
    1 / num_batches_tracked instead, i.e. the running statistics are the plain average of
    all batches so far. In eval mode the running statistics normalize, unless the layer
    does not track them (track_running_stats=False): then batch statistics are used in
    both modes.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability. Default: 1e-5.
        momentum: weight of the new batch in the running statistics, or None for a
            cumulative average. Default: 0.1.
        affine: whether to learn a per-channel scale (weight) and shift (bias). Default:
            True.
        bias: (keyword only) with affine, whether to learn the shift too; False keeps the
            scale alone (torch 2.13's option). Default: True.
        track_running_stats: whether to keep running statistics (buffers running_mean,
            running_var, num_batches_tracked); if False, those buffers are None. Default:
            True.

    Attributes:
        weight, bias: Parameters (C,) initialized to 1 and 0, or None if not affine (bias:
            or not bias).
        running_mean, running_var: buffers (C,) starting at 0 and 1.
        num_batches_tracked: 0-d int64 buffer, the number of training steps so far.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, C, H, W), same as the input.

    Example:
        >>> bn = BatchNorm2d(64)
        >>> list(bn.state_dict())
        ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    def __init__(
        self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, *,
        bias=True,
    ):  # fmt: skip
        super().__init__()
        self.num_features = _positive_int("BatchNorm2d", "num_features", num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.learns_bias = affine and bias  # torch: affine=False has no bias either
        self.track_running_stats = track_running_stats
        C = self.num_features
        self.register_parameter("weight", Parameter(np.empty(C, np.float32)) if affine else None)
        self.register_parameter(
            "bias", Parameter(np.empty(C, np.float32)) if self.learns_bias else None
        )
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(C, dtype=np.float32))
            self.register_buffer("running_var", np.ones(C, dtype=np.float32))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Set running_mean to 0, running_var to 1 and num_batches_tracked to 0."""
        if self.track_running_stats:
            self.running_mean.fill_(0)  # in place, and counted (a cached fold must see it)
            self.running_var.fill_(1)
            self.num_batches_tracked.fill_(0)

    def reset_parameters(self):
        """Reset the running statistics, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        if isinstance(input, Tensor) and input.ndim != 4:
            raise ValueError(
                f"BatchNorm2d: input must be 4-D (N, C, H, W), got shape {input.shape}"
            )
        if self._folds_into(input):
            # Inference: this BatchNorm joins the convolution before it (nn/folding.py).
            recipe = input.recipe
            _, conv_weight, conv_bias = recipe.reads
            weight, bias = folding.folded_parameters(
                conv_weight.tensor, None if conv_bias is None else conv_bias.tensor, self
            )
            return input.with_folded(weight, bias)
        track = self.training and self.track_running_stats
        factor = 0.0 if self.momentum is None else self.momentum
        if track and self.momentum is None:  # cumulative average over all batches so far
            factor = 1.0 / (int(self.num_batches_tracked.data) + 1)
        # Batch statistics when training, or when there are no running statistics to use.
        use_batch_stats = self.training or self.running_mean is None
        # Running statistics are passed only where they should be read or updated.
        keep_stats = not self.training or self.track_running_stats
        output = F.batch_norm(
            input,
            self.running_mean if keep_stats else None,
            self.running_var if keep_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )
        if track:  # counted after the call, so a rejected input changes nothing
            self.num_batches_tracked.data += 1
        return output

    def train(self, mode=True):
        if mode:
            folding.forget(self)  # free the folded copy of the conv's weight
        return super().train(mode)

    def _folds_into(self, input):
        """Whether this call may fold into `input`'s convolution: in eval mode with running
        statistics, no graph to record, and input a Conv2d output not computed yet, of that
        convolution's own weight and bias (not one with a BatchNorm folded in already)."""
        if self.training or self.running_mean is None or not isinstance(input, DeferredConv):
            return False
        if not (input.pending and fusing(self.weight, self.bias)):
            return False
        recipe = input.recipe
        if recipe.folded:
            return False
        # Bad arguments raise here as F.batch_norm raises them, and nothing is computed.
        F._checked_batch_norm_parameters(
            input, input.shape[1], self.running_mean, self.running_var, self.weight,
            self.bias, False, self.eps,
        )  # fmt: skip
        recipe.check_unchanged()
        # The fold reads the conv's parameters as they are now: they must be the call's.
        return all(read is None or read.tensor.data is read.array for read in recipe.reads)

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.learns_bias}, "
            f"track_running_stats={self.track_running_stats}"
        )
