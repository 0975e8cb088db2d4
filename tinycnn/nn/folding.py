"""BatchNorm folded into the convolution before it, for inference (tinycnn/nn/fusion.py).

In eval mode a BatchNorm2d is an affine map per channel, with the running statistics:

    y[n, oc] = gamma[oc] * (z[n, oc] - mean[oc]) / sqrt(var[oc] + eps) + beta[oc]

and when z = conv2d(x, w) + b, scaling filter oc scales output channel oc, so

    y = conv2d(x, w') + b'   with   s  = gamma / sqrt(var + eps)          (OC,)
                                    w' = w * s[oc]  (each filter)         (OC, C/G, KH, KW)
                                    b' = (b - mean) * s + beta            (OC,)

One convolution then does what took a convolution and a pass over its whole output. s and
b' are computed in float64 and rounded to the convolution's dtype, w' in that dtype.

NOTE: only a BatchNorm *after* a convolution folds. DenseNet's order is BatchNorm, ReLU,
convolution (pre-activation): a ReLU in between is not affine, and even without one, folding
into the *following* convolution is wrong at the border, where zero padding pads the
normalized map with zeros, not with the values that normalize to zero. DenseNet still folds
its stem's norm0 and each dense layer's norm2, which follows the layer's 1x1 conv1.

The folded weights are cached per BatchNorm2d, keyed by the identity and version of the six
arrays they come from (the conv's weight and bias, the BatchNorm's weight, bias, running
mean and running variance), eps and the dtype: an optimizer step, `load_state_dict`, an
`nn.init` call, an in-place Tensor update, a training-mode forward (which moves the running
statistics) or `model.double()` each makes the next forward fold afresh. `bn.train()`
drops the entry: training changes what it was made from.
"""

import weakref

import numpy as np

# BatchNorm2d -> _Folded. Weak: a module that is deleted takes its entry with it.
_CACHE = weakref.WeakKeyDictionary()


def fold_batch_norm(w, b, gamma, beta, mean, var, eps):
    """w' and b' such that conv2d(x, w') + b' = batch_norm(conv2d(x, w) + b) in eval mode.

    Args:
        w: the conv's weight (OC, C/G, KH, KW); b: its bias (OC,) or None.
        gamma, beta: the BatchNorm's weight and bias (OC,), or None (1 and 0).
        mean, var: its running statistics (OC,). eps: added to var.

    Returns:
        (w', b') in w's dtype, new arrays.
    """
    f64 = np.float64
    s = 1.0 / np.sqrt(var.astype(f64) + eps)  # (OC,)
    if gamma is not None:
        s *= gamma
    shift = -mean.astype(f64) * s if b is None else (b.astype(f64) - mean) * s
    if beta is not None:
        shift += beta
    # s is rounded to w's dtype first: a float64 copy of w would be the largest temporary
    # array of the fold, for one more rounding in w' (two instead of one, each 2^-24 in float32).
    w_folded = w * s.astype(w.dtype).reshape(-1, 1, 1, 1)
    return w_folded, shift.astype(w.dtype)


class _Folded:
    """A cached fold: w', b', and what they were made from: weak references to the six
    source arrays (an entry must not keep a replaced array alive), their versions, eps and
    the dtype."""

    def __init__(self, sources, key, weight, bias):
        self.sources = tuple(_no_array if a is None else weakref.ref(a) for a in sources)
        self.key, self.weight, self.bias = key, weight, bias

    def made_from(self, sources, key):
        return self.key == key and all(
            ref() is a for ref, a in zip(self.sources, sources, strict=True)
        )


def _no_array():
    """The weak reference stand-in of an absent source (a conv without bias): None."""
    return None


def folded_parameters(conv_weight, conv_bias, bn):
    """(w', b') of `fold_batch_norm` for the conv parameters (Tensors; bias may be None)
    and the BatchNorm2d `bn`, from the cache while none of their sources changed."""
    tensors = (conv_weight, conv_bias, bn.weight, bn.bias, bn.running_mean, bn.running_var)
    sources = tuple(None if t is None else t.data for t in tensors)
    versions = tuple(None if t is None else t._version for t in tensors)
    key = (versions, bn.eps, conv_weight.dtype)
    entry = _CACHE.get(bn)
    if entry is None or not entry.made_from(sources, key):
        weight, bias = fold_batch_norm(*sources, float(bn.eps))
        entry = _CACHE[bn] = _Folded(sources, key, weight, bias)
    return entry.weight, entry.bias


def forget(bn):
    """Drop `bn`'s cached fold (its w' is as large as the conv's weight): training is about
    to change what it was folded from, so it could not be used again anyway."""
    _CACHE.pop(bn, None)
