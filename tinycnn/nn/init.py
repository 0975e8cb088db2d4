"""Weight initialization, as torch.nn.init: same names, arguments and formulas.

Every function fills `tensor.data` in place and returns `tensor`. Random draws come from
`tinycnn.rng.generator()`, so `tinycnn.manual_seed(seed)` makes them reproducible (the
numbers differ from torch's, whose generator is different).

For a weight of shape (out, in, *kernel), with receptive field r = prod(kernel):

    fan_in  = in * r        fan_out = out * r

    xavier:  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming: std = gain / sqrt(fan)        (fan = fan_in or fan_out, by `mode`)
    a uniform draw with standard deviation std has bounds +-sqrt(3) * std.
"""

import math

import numpy as np

from tinycnn.rng import generator
from tinycnn.tensor import Tensor

_LINEAR_GAIN_OPS = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: the factor that keeps activations' scale.

    ================= ====================================
    nonlinearity      gain
    ================= ====================================
    linear, conv*     1
    sigmoid           1
    tanh              5 / 3
    relu              sqrt(2)
    leaky_relu        sqrt(2 / (1 + negative_slope ** 2))
    selu              3 / 4
    ================= ====================================

    Args:
        nonlinearity: the name, as in the table.
        param: the negative slope for 'leaky_relu'. Default: 0.01.

    Example:
        >>> calculate_gain("relu")
        1.4142135623730951
    """
    if nonlinearity in _LINEAR_GAIN_OPS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise TypeError(
                f"calculate_gain: negative_slope must be a number, got {type(param).__name__}"
            )
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: nonlinearity must be a supported name, got {nonlinearity!r}")


def _array(op, tensor):
    """The array that `op` is about to fill in place (so the tensor's version moves on)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: tensor must be a Tensor, got {type(tensor).__name__}")
    tensor._bump_version()
    return tensor.data


def _standard_draw(array, draw):
    """Fill `array` in place from `draw` (a Generator's `random` or `standard_normal`).

    Drawing straight into the array, in its own dtype, avoids a float64 temporary as large
    as the weight (822 MB for VGG's first fully-connected layer) and a cast.
    """
    if array.dtype in (np.float32, np.float64) and array.flags.c_contiguous:
        draw(dtype=array.dtype, out=array)
    else:
        array[...] = draw(size=array.shape)


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel)."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            f"init: fan in and fan out need a tensor with at least 2 dimensions, got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """Fill `tensor` with draws from the uniform distribution U(a, b)."""
    array = _array("uniform_", tensor)
    if a > b:
        raise ValueError(f"uniform_: a must be <= b, got a={a}, b={b}")
    _standard_draw(array, generator().random)  # U(0, 1)
    array *= b - a
    array += a
    return tensor


def normal_(tensor, mean=0.0, std=1.0):
    """Fill `tensor` with draws from the normal distribution N(mean, std**2)."""
    array = _array("normal_", tensor)
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    _standard_draw(array, generator().standard_normal)  # N(0, 1)
    array *= std
    array += mean
    return tensor


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Fill `tensor` with draws from N(mean, std**2) restricted to [a, b].

    NOTE: torch maps uniform draws through the inverse normal CDF; NumPy has no vectorized
    inverse error function, so this redraws every value outside [a, b] until none is left
    (rejection sampling: the same distribution). That is fast only while [a, b] holds a
    fair share of the normal's mass, so [a, b] must hold at least 1% of it.

    Args:
        tensor: the Tensor to fill.
        mean, std: the parameters of the normal distribution before truncation.
        a, b: the bounds (absolute values, not multiples of std).
    """
    array = _array("trunc_normal_", tensor)
    if std <= 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std}")
    if a >= b:
        raise ValueError(f"trunc_normal_: a must be < b, got a={a}, b={b}")

    def cdf(x):  # the standard normal CDF
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    mass = cdf((b - mean) / std) - cdf((a - mean) / std)
    if mass < 0.01:
        raise NotImplementedError(
            f"trunc_normal_: [a, b] must hold at least 1% of N(mean, std**2), got [{a}, {b}] "
            f"holding {mass:.2e} of N({mean}, {std}**2)"
        )
    values = generator().normal(mean, std, size=array.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = generator().normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    array[...] = values
    return tensor


def constant_(tensor, val):
    """Fill `tensor` with the value `val`."""
    _array("constant_", tensor)[...] = val
    return tensor


def zeros_(tensor):
    """Fill `tensor` with zeros."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill `tensor` with ones."""
    return constant_(tensor, 1)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(-bound, bound), bound = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(-bound, bound), bound = gain * sqrt(3 / fan).

    Args:
        tensor: a weight of shape (out, in, *kernel).
        a: the negative slope of the leaky ReLU that follows (used when nonlinearity is
            'leaky_relu'; 0 gives ReLU's gain sqrt(2)).
        mode: 'fan_in' keeps the forward activations' variance, 'fan_out' the backward
            gradients'.
        nonlinearity: as for `calculate_gain`; 'relu' or 'leaky_relu' are the usual ones.

    Example:
        >>> w = Parameter(np.empty((64, 3, 3, 3), dtype=np.float32))
        >>> _ = kaiming_uniform_(w, mode="fan_out", nonlinearity="relu")
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): N(0, std**2), std = gain / sqrt(fan); arguments as kaiming_uniform_."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def _reset_weight_and_bias(weight, bias):
    """torch's default initialization of Linear and Conv2d (their `reset_parameters`).

    weight: kaiming_uniform_ with a=sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in));
    bias (if not None): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too.
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)
