"""Layer L3: the public, stateless operations, with torch.nn.functional's names and semantics.

Import it as `F`:

    import tinycnn.nn.functional as F
    y = F.relu(F.conv2d(x, w, b, stride=1, padding=1))

Every argument check of tinycnn lives here, before any kernel runs: a kernel given a
wrong shape could read out of bounds and crash the interpreter, so nothing reaches one
unchecked. Messages follow "<op>: <what> must be <constraint>, got <value>".
"""

from math import prod

import numpy as np

from tinycnn import rng
from tinycnn.autograd import (
    activation,
    arithmetic,
    conv,
    elementwise,
    loss,
    normalization,
    pooling,
    unpooling,
)
from tinycnn.autograd import dropout as dropout_ops
from tinycnn.autograd import linear as linear_ops
from tinycnn.autograd import shape as shape_ops
from tinycnn.kernels.pooling import pooled_output_size
from tinycnn.tensor import Tensor, apply

_FLOAT_DTYPES = (np.float32, np.float64)


# ===================================================================== argument checks


def _check_tensor(op, name, value):
    """`value` must be a floating-point Tensor; returns its data, made C-contiguous."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")
    if value.dtype not in _FLOAT_DTYPES:
        hint = " (convert images with .astype(np.float32) / 255)" if name == "input" else ""
        raise TypeError(f"{op}: {name} must be float32 or float64, got {value.dtype}{hint}")
    if not value.data.flags.c_contiguous:
        value.data = np.ascontiguousarray(value.data)
    return value.data


def _check_same_dtype(op, name, value, input):
    if value.dtype != input.dtype:
        raise TypeError(
            f"{op}: {name} must have the input's dtype {input.dtype}, got {value.dtype}"
        )


def _check_rank(op, input, ranks, layout):
    if input.ndim not in ranks:
        expected = " or ".join(str(r) for r in ranks)
        raise ValueError(
            f"{op}: input must be {expected}-D {layout}, got {input.ndim}-D shape {input.shape}"
        )


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _pair(op, name, value, minimum):
    """An int, a pair of ints or a one-int tuple (torch's `(2,)`), each >= minimum, as a
    (height, width) tuple."""
    if _is_int(value) or (isinstance(value, (tuple, list)) and len(value) == 1):
        value = (value, value) if _is_int(value) else (value[0], value[0])
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(map(_is_int, value)):
        value = tuple(value)
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(value) < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value[0]), int(value[1])


def _positive_int(op, name, value):
    if not _is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"{op}: {name} must be >= 1, got {value}")
    return int(value)


def _number(op, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {value!r}")
    return float(value)


def _batched(input, op, layout):
    """Give an unbatched (C, H, W) input a batch axis, as torch does; remember to drop it."""
    _check_rank(op, input, (3, 4), layout)
    if input.ndim == 3:
        return input.reshape(1, *input.shape), True
    return input, False


def _unbatched(output, was_unbatched):
    return output.reshape(*output.shape[1:]) if was_unbatched else output


# ===================================================================== convolution


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation, as in every deep-learning library).

    Args:
        input: (N, C, H, W), or (C, H, W) for one unbatched sample.
        weight: (OC, C // groups, KH, KW).
        bias: (OC,) or None.
        stride, padding, dilation: an int or a (height, width) pair; padding may also be
            'valid' (no padding) or 'same' (output size = input size, stride 1 only).
        groups: split the C input channels and OC filters into this many independent
            convolutions (AlexNet's two towers: 2; depthwise: C).

    Shape:
        output (N, OC, OH, OW) with OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1,
        and OW likewise.

    Example:
        >>> x = tinycnn.tensor(np.ones((1, 3, 8, 8), np.float32))
        >>> w = tinycnn.tensor(np.ones((4, 3, 3, 3), np.float32))
        >>> conv2d(x, w, padding=1).shape
        (1, 4, 8, 8)
    """
    input, options, crop, unbatched = _checked_conv2d(
        input, weight, bias, stride, padding, dilation, groups
    )
    output = apply(conv.Conv2d, input, weight, bias, **options)
    if crop != (0, 0):
        output = output[:, :, crop[0] :, crop[1] :]
    return _unbatched(output, unbatched)


def _checked_conv2d(input, weight, bias, stride, padding, dilation, groups):
    """Check conv2d's arguments (raising as conv2d documents) and put them in the kernels'
    form: (input as (N, C, H, W), {stride, padding, dilation, groups} as ints and pairs,
    the (top, left) crop of padding='same', whether input was unbatched)."""
    op = "conv2d"
    _check_tensor(op, "input", input)
    w = _check_tensor(op, "weight", weight)
    _check_same_dtype(op, "weight", weight, input)
    if w.ndim != 4:
        raise ValueError(
            f"{op}: weight must be 4-D (OC, C/groups, KH, KW), got {w.ndim}-D shape {w.shape}"
        )
    input, unbatched = _batched(input, op, "(N, C, H, W)")
    N, C, H, W = input.shape
    OC, C_per_group, KH, KW = w.shape
    if OC < 1 or KH < 1 or KW < 1:  # as torch, which refuses both
        raise ValueError(
            f"{op}: weight (OC, C/groups, KH, KW) must have at least one filter and a "
            f"kernel of at least 1 x 1, got shape {w.shape}"
        )
    groups = _positive_int(op, "groups", groups)
    if C % groups or OC % groups:
        raise ValueError(
            f"{op}: groups must divide both C={C} input channels and OC={OC} filters, "
            f"got groups={groups}"
        )
    if C != C_per_group * groups:
        raise ValueError(
            f"{op}: input has C={C} channels but weight (OC, C/groups, KH, KW) = {w.shape} "
            f"expects {C_per_group * groups}"
        )
    if bias is not None:
        b = _check_tensor(op, "bias", bias)
        _check_same_dtype(op, "bias", bias, input)
        if b.shape != (OC,):
            raise ValueError(f"{op}: bias must have shape (OC,) = ({OC},), got {b.shape}")
    stride = _pair(op, "stride", stride, 1)
    dilation = _pair(op, "dilation", dilation, 1)
    extent = (dilation[0] * (KH - 1) + 1, dilation[1] * (KW - 1) + 1)  # dilated kernel size
    crop = (0, 0)
    if isinstance(padding, str):
        padding, crop = _string_padding(op, padding, stride, extent)
    else:
        padding = _pair(op, "padding", padding, 0)
    padded = (H + 2 * padding[0], W + 2 * padding[1])
    if extent[0] > padded[0] or extent[1] > padded[1]:
        raise ValueError(
            f"{op}: the (dilated) kernel (KH, KW) = {extent} must fit in the padded input "
            f"(H + 2*PH, W + 2*PW) = {padded}"
        )
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return input, options, crop, unbatched


def _string_padding(op, padding, stride, extent):
    """padding='valid' or 'same' as symmetric (PH, PW) and an output crop (top, left).

    'same' needs a total padding of extent - 1 per axis. When that is odd, torch pads one
    more row (column) at the bottom (right) than at the top (left). Padding both sides by
    the larger amount instead adds one output row (column) at the top (left), which is
    cropped away: output row o then reads the same inputs as torch's row o.
    """
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(
            f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
        )
    if stride != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1, got stride={stride}")
    totals = (extent[0] - 1, extent[1] - 1)
    pads = tuple((t + 1) // 2 for t in totals)
    crops = tuple(t % 2 for t in totals)
    return pads, crops


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias.

    Args:
        input: (*, in_features).
        weight: (out_features, in_features).
        bias: (out_features,) or None.

    Shape:
        output (*, out_features).
    """
    op = "linear"
    x = _check_tensor(op, "input", input)
    w = _check_tensor(op, "weight", weight)
    _check_same_dtype(op, "weight", weight, input)
    if w.ndim != 2:
        raise ValueError(
            f"{op}: weight must be 2-D (out_features, in_features), got shape {w.shape}"
        )
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"{op}: input's last axis must have in_features={w.shape[1]} elements, "
            f"got input shape {x.shape}"
        )
    if bias is not None:
        b = _check_tensor(op, "bias", bias)
        _check_same_dtype(op, "bias", bias, input)
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"{op}: bias must have shape (out_features,) = ({w.shape[0]},), got {b.shape}"
            )
    return apply(linear_ops.Linear, input, weight, bias)


# ===================================================================== pooling


def _pool_stride(op, stride, kernel):
    """A pooling stride as a pair; None, () and [] mean the kernel size (torch's default)."""
    if stride is None or (isinstance(stride, (tuple, list)) and not stride):
        return kernel
    return _pair(op, "stride", stride, 1)


def _pool_geometry(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pooling window and return (kernel, stride, padding, dilation) pairs."""
    kernel = _pair(op, "kernel_size", kernel_size, 1)
    stride = _pool_stride(op, stride, kernel)
    padding = _pair(op, "padding", padding, 0)
    dilation = _pair(op, "dilation", dilation, 1)
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"{op}: ceil_mode must be a bool, got {ceil_mode!r}")
    for axis in (0, 1):
        extent = dilation[axis] * (kernel[axis] - 1) + 1
        if 2 * padding[axis] > extent:
            raise ValueError(
                f"{op}: padding must be at most half the (dilated) kernel size {extent}, "
                f"got padding={padding}"
            )
    H, W = input.shape[-2:]
    for axis, size in enumerate((H, W)):
        out = pooled_output_size(
            size, kernel[axis], stride[axis], padding[axis], dilation[axis], ceil_mode
        )
        if out < 1:
            raise ValueError(
                f"{op}: the kernel {kernel} (dilation {dilation}) must fit in the padded "
                f"input (H + 2*PH, W + 2*PW) = ({H + 2 * padding[0]}, {W + 2 * padding[1]})"
            )
    return kernel, stride, padding, dilation


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over each kernel_size window (padding counts as -inf).

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (at most half the kernel),
            dilation: an int or a (height, width) pair.
        ceil_mode: round the output size up instead of down (the last window may hang
            off the edge, but must start inside the input or its left padding).
        return_indices: also return where each maximum came from: the flat index
            ih * W + iw inside its own (n, c) plane, as `max_unpool2d` takes it.

    Shape:
        output (N, C, OH, OW), OH = floor_or_ceil((H + 2*PH - DH*(KH-1) - 1) / SH) + 1;
        indices (int64) the same.

    Example:
        >>> y, where = max_pool2d(x, 2, return_indices=True)
        >>> max_unpool2d(y, where, 2).shape == x.shape          # for even H and W
        True
    """
    op = "max_pool2d"
    _check_tensor(op, "input", input)
    if not isinstance(return_indices, bool):
        raise TypeError(f"{op}: return_indices must be a bool, got {return_indices!r}")
    input, unbatched = _batched(input, op, "(N, C, H, W)")
    kernel, stride, padding, dilation = _pool_geometry(
        op, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    N, C, H, W = input.shape
    OH, OW = (
        pooled_output_size(size, kernel[i], stride[i], padding[i], dilation[i], ceil_mode)
        for i, size in enumerate((H, W))
    )
    indices = np.empty((N, C, OH, OW), dtype=np.int64) if return_indices else None
    output = apply(
        pooling.MaxPool2d, input,
        kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
        ceil_mode=ceil_mode, indices_out=indices,
    )  # fmt: skip
    if return_indices:
        return _unbatched(output, unbatched), _unbatched(Tensor(indices), unbatched)
    return _unbatched(output, unbatched)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value goes back where `indices` says, zeros elsewhere.

    Args:
        input: the pooled values (N, C, OH, OW) or (C, OH, OW).
        indices: what `max_pool2d(..., return_indices=True)` returned, same shape.
        kernel_size, stride (default: kernel_size), padding: the pooling's, an int or a
            pair; they give the default output size.
        output_size: (H, W) (or a longer shape ending in them) when the default is not the
            pooled input's size (odd sizes, ceil_mode).

    Shape:
        output (N, C, H, W), by default H = (OH - 1) * SH - 2 * PH + KH, W likewise.
    """
    op = "max_unpool2d"
    _check_tensor(op, "input", input)
    if not isinstance(indices, Tensor) or not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{op}: indices must be an integer Tensor, got {indices!r}")
    if indices.shape != input.shape:
        raise ValueError(
            f"{op}: indices must have the input's shape {input.shape}, got {indices.shape}"
        )
    input, unbatched = _batched(input, op, "(N, C, OH, OW)")
    kernel = _pair(op, "kernel_size", kernel_size, 1)
    stride = _pool_stride(op, stride, kernel)
    padding = _pair(op, "padding", padding, 0)
    N, C, OH, OW = input.shape
    default = ((OH - 1) * stride[0] - 2 * padding[0] + kernel[0],
               (OW - 1) * stride[1] - 2 * padding[1] + kernel[1])  # fmt: skip
    if output_size is None:
        output_size = default
    elif isinstance(output_size, (tuple, list)) and len(output_size) >= 2:
        output_size = _pair(op, "output_size", tuple(output_size[-2:]), 0)
    else:
        raise TypeError(f"{op}: output_size must be None or a sequence (H, W), got {output_size!r}")
    H, W = output_size
    flat = indices.data.reshape(input.shape)
    if flat.size and (flat.min() < 0 or flat.max() >= H * W):
        bad = flat[(flat < 0) | (flat >= H * W)][0]
        raise ValueError(
            f"{op}: indices must be in [0, H*W) = [0, {H * W}) for output_size {output_size}, "
            f"got {bad}"
        )
    output = apply(unpooling.MaxUnpool2d, input, flat, output_size=output_size)
    return _unbatched(output, unbatched)


def avg_pool2d(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
    divisor_override=None,
):  # fmt: skip
    """Mean over each kernel_size window.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (at most half the kernel):
            an int or a (height, width) pair.
        ceil_mode: round the output size up instead of down.
        count_include_pad: divide by the window size including zero padding (True) or by
            the number of real input elements in the window (False).
        divisor_override: an int >= 1 that divides every window's sum instead.

    Shape:
        output (N, C, OH, OW), OH = floor_or_ceil((H + 2*PH - KH) / SH) + 1.
    """
    op = "avg_pool2d"
    _check_tensor(op, "input", input)
    input, unbatched = _batched(input, op, "(N, C, H, W)")
    kernel, stride, padding, _ = _pool_geometry(
        op, input, kernel_size, stride, padding, 1, ceil_mode
    )
    if not isinstance(count_include_pad, bool):
        raise TypeError(f"{op}: count_include_pad must be a bool, got {count_include_pad!r}")
    if divisor_override is not None:
        divisor_override = _positive_int(op, "divisor_override", divisor_override)
    output = apply(
        pooling.AvgPool2d, input,
        kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
        count_include_pad=count_include_pad, divisor_override=divisor_override,
    )  # fmt: skip
    return _unbatched(output, unbatched)


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (OH, OW), whatever the input size.

    Output row i averages input rows floor(i*H/OH) .. ceil((i+1)*H/OH) - 1, so windows
    may overlap or differ in size by one when OH does not divide H.

    Args:
        input: (N, C, H, W) or (C, H, W).
        output_size: an int, or an (OH, OW) pair where None keeps that input size.

    Shape:
        output (N, C, OH, OW).
    """
    op = "adaptive_avg_pool2d"
    _check_tensor(op, "input", input)
    input, unbatched = _batched(input, op, "(N, C, H, W)")
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(
            size if size is not None else input.shape[2 + axis]
            for axis, size in enumerate(output_size)
        )
    output_size = _pair(op, "output_size", output_size, 1)
    if 0 in input.shape[1:]:  # a window of no elements has no mean (torch refuses too)
        raise ValueError(
            f"{op}: input must have C, H and W >= 1 (N may be 0), got shape {input.shape}"
        )
    output = apply(pooling.AdaptiveAvgPool2d, input, output_size=output_size)
    return _unbatched(output, unbatched)


# ===================================================================== normalization


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Local response normalization across channels, torch's (and Caffe's) formula.

        b[c] = a[c] / (k + alpha / size * sum_{c'} a[c']^2) ** beta

    with c' over the window [c - size//2, c + (size-1)//2], channels outside [0, C)
    counting as zero. NOTE: the AlexNet paper writes alpha without the division by
    `size`; to reproduce its k=2, n=5, alpha=1e-4, pass alpha=5e-4 here.

    Args:
        input: (N, C, *) with at least 3 dimensions.
        size: number of neighbouring channels in the window.

    Shape:
        output: same as input.
    """
    op = "local_response_norm"
    x = _check_tensor(op, "input", input)
    if x.ndim < 3:
        raise ValueError(f"{op}: input must be at least 3-D (N, C, *), got shape {x.shape}")
    size = _positive_int(op, "size", size)
    alpha, beta, k = (
        _number(op, name, v) for name, v in (("alpha", alpha), ("beta", beta), ("k", k))
    )
    # The window runs over channels only, so any trailing axes can be merged into one.
    as_4d = input.reshape(x.shape[0], x.shape[1], prod(x.shape[2:]), 1) if x.ndim != 4 else input
    output = apply(normalization.LocalResponseNorm, as_4d, size=size, alpha=alpha, beta=beta, k=k)
    return output.reshape(x.shape) if x.ndim != 4 else output


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
    eps=1e-5,
):  # fmt: skip
    """Batch normalization over the channel axis (axis 1), torch's semantics.

    In training, each channel is normalized with the batch's mean and biased variance,
    and the running statistics (if given) are updated in place:
        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * unbiased_batch_var
    In evaluation the running statistics normalize instead.

    Args:
        input: (N, C), (N, C, L) or (N, C, H, W).
        running_mean, running_var: (C,) Tensors or ndarrays, or None (training only).
        weight, bias: (C,) Tensors (the learned scale gamma and shift beta) or None.

    Shape:
        output: same as input.
    """
    op = "batch_norm"
    x = _check_tensor(op, "input", input)
    _check_rank(op, input, (2, 3, 4), "(N, C), (N, C, L) or (N, C, H, W)")
    C = x.shape[1]
    mean_data, var_data, eps = _checked_batch_norm_parameters(
        input, C, running_mean, running_var, weight, bias, training, eps
    )
    if x.size == 0:  # as torch: an empty output, and running statistics left alone
        return _scaled_and_shifted(input, weight, bias)
    if training and x.size // C < 2:
        raise ValueError(
            f"{op}: training needs more than 1 value per channel, got input shape {x.shape}"
        )
    # The kernels take (N, C, H, W); lower ranks become H*W = L*1 or 1*1.
    as_4d = input.reshape(x.shape[0], C, prod(x.shape[2:]), 1) if x.ndim != 4 else input
    weight = weight if weight is not None else np.ones(C, dtype=x.dtype)
    bias = bias if bias is not None else np.zeros(C, dtype=x.dtype)
    if training:
        output = apply(
            normalization.BatchNormTraining, as_4d, weight, bias,
            running_mean=mean_data, running_var=var_data,
            momentum=_number(op, "momentum", momentum), eps=eps,
        )  # fmt: skip
        for stat in (running_mean, running_var):
            if isinstance(stat, Tensor):  # updated in place: caches of it must see that
                stat._bump_version()
    else:
        output = apply(
            normalization.BatchNormEvaluation, as_4d, weight, bias,
            mean_data.astype(x.dtype, copy=False), var_data.astype(x.dtype, copy=False),
            eps=eps,
        )  # fmt: skip
    return output.reshape(x.shape) if x.ndim != 4 else output


def _checked_batch_norm_parameters(
    input, C, running_mean, running_var, weight, bias, training, eps
):  # fmt: skip
    """Check batch_norm's arguments other than the input, given its C channels and dtype
    (raising as batch_norm documents); returns the running statistics' arrays and eps."""
    op = "batch_norm"
    mean_data, var_data = _running_stats(op, running_mean, running_var, C, training)
    _check_affine(op, weight, bias, input, C)
    eps = _number(op, "eps", eps)
    if eps <= 0:
        raise ValueError(f"{op}: eps must be > 0, got {eps}")
    return mean_data, var_data, eps


def _running_stats(op, running_mean, running_var, C, training):
    """The running statistics' arrays (or None), checked: (C,) floats, both or neither,
    and present unless training."""
    arrays = []
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        array = stat.data if isinstance(stat, Tensor) else stat
        if array is not None:
            if not isinstance(array, np.ndarray) or array.dtype not in _FLOAT_DTYPES:
                kind = getattr(array, "dtype", type(array).__name__)
                raise TypeError(f"{op}: {name} must be a float32 or float64 array, got {kind}")
            if array.shape != (C,):
                raise ValueError(f"{op}: {name} must have shape (C,) = ({C},), got {array.shape}")
        arrays.append(array)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both None")
    if not training and running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var are needed when training=False")
    return arrays


def _check_affine(op, weight, bias, input, C):
    """weight and bias, each a (C,) Tensor of the input's dtype or None."""
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None:
            data = _check_tensor(op, name, param)
            _check_same_dtype(op, name, param, input)
            if data.shape != (C,):
                raise ValueError(f"{op}: {name} must have shape (C,) = ({C},), got {data.shape}")


def _scaled_and_shifted(input, weight, bias):
    """input * weight + bias along axis 1: batch norm's graph for an input with no elements
    (so weight and bias still get gradients, zeros, as in torch)."""
    channels = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    output = input.clone()
    if weight is not None:
        output = output * weight.reshape(channels)
    if bias is not None:
        output = output + bias.reshape(channels)
    return output


# ===================================================================== activations, dropout


def relu(input, inplace=False):
    """max(input, 0), elementwise.

    NOTE: `inplace=True` is accepted so that torchvision-style models (`ReLU(inplace=True)`)
    build unchanged, but the result is always a new tensor: the graph may still need the
    input (for example a residual branch), and the output values are the same.
    """
    _check_tensor("relu", "input", input)
    return apply(activation.ReLU, input)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (when training).

    The mask is drawn from `tinycnn.rng.generator()`, so `tinycnn.manual_seed` makes it
    reproducible. p = 1 zeroes everything, as in torch. `inplace` is accepted for torch
    compatibility; the result is always a new tensor (see `relu`).
    """
    op = "dropout"
    x = _check_tensor(op, "input", input)
    p = _dropout_arguments(op, p, training)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * np.zeros(x.shape, dtype=x.dtype)
    return apply(dropout_ops.Dropout, input, p=p, generator=rng.generator())


def _dropout_arguments(op, p, training):
    """p as a float in [0, 1]; training must be a bool (a string like "no" is truthy)."""
    p = _number(op, "p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be in [0, 1], got {p}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{op}: training must be a bool, got {training!r}")
    return p


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels with probability p and scale the rest by 1/(1-p) (when training).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single
    elements barely regularizes a convolutional layer; dropping a whole channel does
    (Tompson et al., 2015). The mask is drawn from `tinycnn.rng.generator()`.

    Args:
        input: (N, C, H, W), or (C, H, W) for one unbatched sample.
        p: probability of zeroing a channel, in [0, 1].
        training: apply dropout (True) or return the input unchanged (False).
        inplace: accepted for torch compatibility; the result is always a new tensor.

    NOTE: torch treats a 3-D input as (N, C, L) for now (with a warning that this will
    change); here it is (C, H, W), the behaviour torch announces.

    Shape:
        output: same as input.
    """
    op = "dropout2d"
    x = _check_tensor(op, "input", input)
    p = _dropout_arguments(op, p, training)
    _check_rank(op, input, (3, 4), "(N, C, H, W) or (C, H, W)")
    if not training or p == 0.0:
        return input
    channels = x.shape[:-2] + (1, 1)  # one draw per (n, c), broadcast over H and W
    if p == 1.0:
        return input * np.zeros(channels, dtype=x.dtype)
    keep = rng.generator().random(channels, dtype=x.dtype) >= p
    return apply(arithmetic.Mul, input, keep.astype(x.dtype) / x.dtype.type(1.0 - p))


def sigmoid(input):
    """1 / (1 + exp(-input)), elementwise, without overflow for any input."""
    _check_tensor("sigmoid", "input", input)
    return apply(elementwise.Sigmoid, input)


def tanh(input):
    """The hyperbolic tangent, elementwise."""
    _check_tensor("tanh", "input", input)
    return apply(elementwise.Tanh, input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where input > 0, else negative_slope * input (Maas et al., 2013).

    `inplace` is accepted for torch compatibility; the result is always a new tensor.
    """
    op = "leaky_relu"
    _check_tensor(op, "input", input)
    negative_slope = _number(op, "negative_slope", negative_slope)
    return apply(elementwise.LeakyReLU, input, negative_slope=negative_slope)


# ===================================================================== shape


def flatten(input, start_dim=0, end_dim=-1):
    """Merge the axes start_dim..end_dim into one, as torch.flatten."""
    _check_tensor("flatten", "input", input)
    return input.flatten(start_dim, end_dim)


def cat(tensors, dim=0):
    """Concatenate tensors along `dim`, as torch.cat; gradients flow back to each.

    All tensors must have the same number of dimensions and the same size on every
    axis but `dim`.
    """
    op = "cat"
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(
            f"{op}: tensors must be a non-empty list or tuple of Tensors, got {tensors!r}"
        )
    first = tensors[0]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: tensors[{i}] must be a Tensor, got {type(t).__name__}")
        if t.dtype != first.dtype:
            raise TypeError(f"{op}: tensors[{i}] must have dtype {first.dtype}, got {t.dtype}")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(
                f"{op}: tensors[{i}] is 0-d and cannot be concatenated; "
                "use t.reshape(1) (or torch's stack) first"
            )
    ndim = first.ndim
    if not _is_int(dim) or not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim must be an int in [{-ndim}, {ndim - 1}], got {dim!r}")
    dim = dim % ndim
    for i, t in enumerate(tensors):
        other_axes = first.shape[:dim] + first.shape[dim + 1 :]
        if t.ndim != ndim or t.shape[:dim] + t.shape[dim + 1 :] != other_axes:
            raise ValueError(
                f"{op}: tensors[{i}] must match tensors[0] {first.shape} on every axis but "
                f"dim={dim}, got {t.shape}"
            )
    return apply(shape_ops.Cat, *tensors, dim=dim)


# ===================================================================== softmax


def _normalized_along_dim(op, function, input, dim, dtype):
    """Apply softmax or log-softmax `function` along `dim`, after torch's checks.

    dim=None picks torch's legacy default: 0 for 0-, 1- and 3-D inputs, else 1. dtype
    (float32 or float64) casts the input first, as torch's dtype= argument does.
    """
    x = _check_tensor(op, "input", input)
    ndim = max(x.ndim, 1)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not _is_int(dim) or not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim must be an int in [{-ndim}, {ndim - 1}], got {dim!r}")
    if dtype is not None:
        if np.dtype(dtype) not in _FLOAT_DTYPES:
            raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype!r}")
        input = input.to(dtype)
    return apply(function, input, dim=dim % ndim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(input) / sum(exp(input)) along `dim`: each slice becomes probabilities.

    NOTE: as torch, dim=None picks dim 0 for 0-, 1- and 3-D inputs and dim 1 otherwise;
    pass dim explicitly. `dtype` casts the input first (float32 or float64).
    """
    return _normalized_along_dim("softmax", loss.Softmax, input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(input)) along `dim`, stable for logits of any magnitude.

    NOTE: as torch, dim=None picks dim 0 for 0-, 1- and 3-D inputs and dim 1 otherwise;
    pass dim explicitly. `dtype` casts the input first (float32 or float64).
    """
    return _normalized_along_dim("log_softmax", loss.LogSoftmax, input, dim, dtype)


# ===================================================================== losses


def _check_reduction(op, reduction, size_average=None, reduce=None):
    """reduction must be 'mean', 'sum' or 'none'; torch's deprecated size_average and
    reduce (which it maps onto reduction) must be left None."""
    if size_average is not None or reduce is not None:
        raise NotImplementedError(
            f"{op}: size_average and reduce are deprecated in torch; use reduction=, got "
            f"size_average={size_average!r}, reduce={reduce!r}"
        )
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _classes_last(input):
    """The class axis (1; 0 when unbatched) moved last and the rest flattened: (M, C).

    Returns that and the shape of one loss per element: (N, d1, ...), or () unbatched.
    """
    if input.ndim == 1:
        return input.reshape(1, -1), ()
    C = input.shape[1]
    moved = input if input.ndim == 2 else input.permute(0, *range(2, input.ndim), 1)
    per_element = (input.shape[0], *input.shape[2:])
    return moved.reshape(prod(per_element), C), per_element


def _class_weights(op, weight, C, dtype):
    """The per-class weight as a (C,) array of `dtype` (ones when None)."""
    if weight is None:
        return np.ones(C, dtype=dtype)
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    if w.shape != (C,) or w.dtype.kind not in "fiu":
        raise ValueError(
            f"{op}: weight must be a (C,) = ({C},) array of numbers, got shape {w.shape} "
            f"dtype {w.dtype}"
        )
    return w.astype(dtype)


def _scores_by_class(op, input, weight, reduction, size_average, reduce):
    """A loss's common checks; returns the input as (M, C) rows, the per-element shape
    (see `_classes_last`) and the class weights as a (C,) array."""
    x = _check_tensor(op, "input", input)
    _check_reduction(op, reduction, size_average, reduce)
    if x.ndim < 1:
        raise ValueError(f"{op}: input must be (C,) or (N, C, ...) scores, got shape ()")
    rows, per_element = _classes_last(input)
    return rows, per_element, _class_weights(op, weight, rows.shape[1], x.dtype)


def _index_targets(op, labels, per_element, w, ignore_index, eps):
    """The target distribution q (M, C) of class-index targets, and the mean's divisor.

    q[m] = w[t] * (1 - eps) * onehot(t) + w * eps / C for target t (a zero row where t is
    ignore_index); the divisor is the total weight w[t] of the targets not ignored.
    """
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(
            f"{op}: target must hold integer class indices"
            f"{' or float probabilities' if op == 'cross_entropy' else ''}, "
            f"got dtype {labels.dtype}"
        )
    if labels.shape != per_element:
        raise ValueError(
            f"{op}: target must have shape {per_element} (the input without its class "
            f"axis), got {labels.shape}"
        )
    ignore_index = _int(op, "ignore_index", ignore_index)
    labels = labels.reshape(-1).astype(np.int64)
    C = w.shape[0]
    kept = labels != ignore_index
    bad = kept & ((labels < 0) | (labels >= C))
    if bad.any():
        raise ValueError(
            f"{op}: target class indices must be in [0, {C - 1}] (or ignore_index="
            f"{ignore_index}), got {labels[bad][0]}"
        )
    q = np.zeros((labels.size, C), dtype=w.dtype)
    q[kept, labels[kept]] = (1 - eps) * w[labels[kept]]
    q[kept] += eps / C * w
    return q, w[labels[kept]].sum()


def _weighted_nll(log_p, q, per_element, reduction, divisor):
    """-sum_c q[m, c] * log_p[m, c] per element m, then reduced.

    'mean' divides the sum by `divisor`: torch's is the total weight of the targets
    (so with per-class weights the mean is a weighted mean), or the element count.
    """
    losses = -(log_p * q).sum(1)  # M
    if reduction == "none":
        return losses.reshape(per_element)
    total = losses.sum()
    return total if reduction == "sum" else total / np.asarray(divisor, dtype=q.dtype)


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean",
):  # fmt: skip
    """Negative log-likelihood: -weight[t] * input[t] for each target class t.

    `input` holds log-probabilities (log_softmax's output), so that
    nll_loss(log_softmax(x, 1), t) == cross_entropy(x, t).

    Args:
        input: (N, C), (N, C, d1, ...) or (C,) log-probabilities.
        target: class indices (N,), (N, d1, ...) or a scalar, integers in [0, C).
        weight: per-class weights (C,), or None for all ones.
        size_average, reduce: torch's deprecated arguments; must be None.
        ignore_index: target value that contributes nothing (and is not counted).
        reduction: 'mean' (weighted: divided by the sum of weight[t] over the targets),
            'sum' or 'none'.

    Shape:
        output: a scalar, or the target's shape with reduction='none'.
    """
    op = "nll_loss"
    log_p, per_element, w = _scores_by_class(op, input, weight, reduction, size_average, reduce)
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    q, divisor = _index_targets(op, labels, per_element, w, ignore_index, 0.0)
    return _weighted_nll(log_p, q, per_element, reduction, divisor)


def cross_entropy(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction="mean", label_smoothing=0.0,
):  # fmt: skip
    """Cross-entropy between logits and targets, torch's definition.

    With target classes t and smoothing eps, the target distribution of an element is
    q[c] = weight[t] * (1 - eps) * [c == t] + weight[c] * eps / C, and the loss is
    -sum_c q[c] * log_softmax(input)[c]. Targets may instead be probabilities p (the
    input's shape): then q[c] = weight[c] * ((1 - eps) * p[c] + eps / C).

    Args:
        input: logits (N, C), (N, C, d1, ...) (e.g. per-pixel classes), or (C,).
        target: class indices of the input's shape without C (integers in [0, C), or
            ignore_index), or class probabilities of the input's shape (floats).
        weight: per-class weights (C,), or None for all ones.
        size_average, reduce: torch's deprecated arguments; must be None.
        ignore_index: a class-index target that contributes nothing and is not counted.
        reduction: 'mean' (default), 'sum' or 'none'. With class indices the mean divides
            by the total weight of the targets not ignored; with probabilities, by the
            number of elements.
        label_smoothing: eps in [0, 1].

    NOTE: probability targets are constants here: no gradient flows to them (torch
    would compute one if they required grad).

    Shape:
        output: a scalar, or the input's shape without C with reduction='none'.
    """
    op = "cross_entropy"
    logits, per_element, w = _scores_by_class(op, input, weight, reduction, size_average, reduce)
    eps = _number(op, "label_smoothing", label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {eps}")
    target_data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if np.issubdtype(target_data.dtype, np.floating):
        q, divisor = _probability_targets(op, target_data, input, w, eps)
    else:
        q, divisor = _index_targets(op, target_data, per_element, w, ignore_index, eps)
    return _weighted_nll(log_softmax(logits, 1), q, per_element, reduction, divisor)


def _probability_targets(op, target, input, w, eps):
    """q = weight * ((1 - eps) * p + eps / C) as (M, C), and the element count M."""
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: probability targets must have the input's shape {input.shape}, "
            f"got {target.shape}"
        )
    p, _ = _classes_last(Tensor(target.astype(input.dtype)))
    M, C = p.shape
    return (w * ((1 - eps) * p.data + eps / C)).astype(input.dtype), M


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error: (input - target)^2, averaged (or summed, or per element).

    Both input and target may require grad. size_average and reduce are torch's deprecated
    arguments and must be None.

    NOTE: torch broadcasts targets of another shape (with a warning that the result is
    probably wrong); here the shapes must be equal.

    Shape:
        output: a scalar, or the input's shape with reduction='none'.
    """
    op = "mse_loss"
    _check_tensor(op, "input", input)
    _check_reduction(op, reduction, size_average, reduce)
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, dtype=input.dtype))
    _check_tensor(op, "target", target)
    if target.shape != input.shape:
        raise ValueError(
            f"{op}: target must have the input's shape {input.shape}, got {target.shape}"
        )
    difference = input - target
    squares = difference * difference
    if reduction == "none":
        return squares
    return squares.sum() if reduction == "sum" else squares.mean()


def _int(op, name, value):
    if not _is_int(value):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)
