"""Layer L3: the public, stateless operations, with torch.nn.functional's names and semantics.

Import it as `F`:

    import tinycnn.nn.functional as F
    y = F.relu(F.conv2d(x, w, b, stride=1, padding=1))

Every argument check of tinycnn lives here, before any kernel runs: a kernel given a
wrong shape could read out of bounds and crash the interpreter, so nothing reaches one
unchecked. Messages follow "<op>: <what> must be <constraint>, got <value>".
"""

import numpy as np

from tinycnn import rng
from tinycnn.autograd import activation, arithmetic, conv, loss, normalization, pooling
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
    """An int or a pair of ints, each >= minimum, as a (height, width) tuple."""
    if _is_int(value):
        value = (value, value)
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
    output = apply(
        conv.Conv2d, input, weight, bias,
        stride=stride, padding=padding, dilation=dilation, groups=groups,
    )  # fmt: skip
    if crop != (0, 0):
        output = output[:, :, crop[0] :, crop[1] :]
    return _unbatched(output, unbatched)


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


def _pool_geometry(op, input, kernel_size, stride, padding, dilation, ceil_mode):
    """Check a pooling window and return (kernel, stride, padding, dilation) pairs."""
    kernel = _pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None or stride == [] else _pair(op, "stride", stride, 1)
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


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over each kernel_size window (padding counts as -inf).

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (at most half the kernel),
            dilation: an int or a (height, width) pair.
        ceil_mode: round the output size up instead of down (the last window may hang
            off the edge, but must start inside the input or its left padding).

    Shape:
        output (N, C, OH, OW), OH = floor_or_ceil((H + 2*PH - DH*(KH-1) - 1) / SH) + 1.
    """
    op = "max_pool2d"
    _check_tensor(op, "input", input)
    input, unbatched = _batched(input, op, "(N, C, H, W)")
    kernel, stride, padding, dilation = _pool_geometry(
        op, input, kernel_size, stride, padding, dilation, ceil_mode
    )
    output = apply(
        pooling.MaxPool2d, input,
        kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
        ceil_mode=ceil_mode,
    )  # fmt: skip
    return _unbatched(output, unbatched)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over each kernel_size window.

    Args:
        input: (N, C, H, W) or (C, H, W).
        kernel_size, stride (default: kernel_size), padding (at most half the kernel):
            an int or a (height, width) pair.
        ceil_mode: round the output size up instead of down.
        count_include_pad: divide by the window size including zero padding (True) or by
            the number of real input elements in the window (False).

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
    output = apply(
        pooling.AvgPool2d, input,
        kernel_size=kernel, stride=stride, padding=padding, ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
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
    as_4d = input.reshape(x.shape[0], x.shape[1], -1, 1) if x.ndim != 4 else input
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
    stats = (running_mean, running_var)
    for name, stat in zip(("running_mean", "running_var"), stats, strict=True):
        if stat is not None:
            array = stat.data if isinstance(stat, Tensor) else stat
            if not isinstance(array, np.ndarray) or array.dtype not in _FLOAT_DTYPES:
                kind = getattr(array, "dtype", type(array).__name__)
                raise TypeError(f"{op}: {name} must be a float32 or float64 array, got {kind}")
            if array.shape != (C,):
                raise ValueError(f"{op}: {name} must have shape (C,) = ({C},), got {array.shape}")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: running_mean and running_var must both be given or both None")
    if not training and running_mean is None:
        raise ValueError(f"{op}: running_mean and running_var are needed when training=False")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None:
            data = _check_tensor(op, name, param)
            _check_same_dtype(op, name, param, input)
            if data.shape != (C,):
                raise ValueError(f"{op}: {name} must have shape (C,) = ({C},), got {data.shape}")
    eps = _number(op, "eps", eps)
    if eps <= 0:
        raise ValueError(f"{op}: eps must be > 0, got {eps}")
    if training and x.size // C < 2:
        raise ValueError(
            f"{op}: training needs more than 1 value per channel, got input shape {x.shape}"
        )
    # The kernels take (N, C, H, W); lower ranks become H*W = L*1 or 1*1.
    as_4d = input.reshape(x.shape[0], C, -1, 1) if x.ndim != 4 else input
    weight = weight if weight is not None else np.ones(C, dtype=x.dtype)
    bias = bias if bias is not None else np.zeros(C, dtype=x.dtype)
    mean_data, var_data = (s.data if isinstance(s, Tensor) else s for s in stats)
    if training:
        output = apply(
            normalization.BatchNormTraining, as_4d, weight, bias,
            running_mean=mean_data, running_var=var_data,
            momentum=_number(op, "momentum", momentum), eps=eps,
        )  # fmt: skip
    else:
        output = apply(
            normalization.BatchNormEvaluation, as_4d, weight, bias,
            mean_data.astype(x.dtype, copy=False), var_data.astype(x.dtype, copy=False),
            eps=eps,
        )  # fmt: skip
    return output.reshape(x.shape) if x.ndim != 4 else output


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
    p = _number(op, "p", p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * np.zeros(x.shape, dtype=x.dtype)
    keep = rng.generator().random(x.shape, dtype=x.dtype) >= p
    mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return apply(arithmetic.Mul, input, mask)


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


# ===================================================================== losses


def log_softmax(input, dim=None):
    """log(softmax(input)) along `dim`, stable for logits of any magnitude.

    NOTE: as torch, dim=None picks dim 0 for 0-, 1- and 3-D inputs and dim 1 otherwise;
    pass dim explicitly.
    """
    op = "log_softmax"
    x = _check_tensor(op, "input", input)
    ndim = max(x.ndim, 1)
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    if not _is_int(dim) or not -ndim <= dim < ndim:
        raise ValueError(f"{op}: dim must be an int in [{-ndim}, {ndim - 1}], got {dim!r}")
    return apply(loss.LogSoftmax, input, dim=dim % ndim)


def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and class indices, with optional label smoothing.

    loss_n = -sum_c q[n, c] * log_softmax(input)[n, c], with the target distribution
    q = (1 - label_smoothing) * onehot(target) + label_smoothing / C.

    Args:
        input: logits (N, C), or (C,) for one sample.
        target: class indices (N,) (or a scalar for one sample), integers in [0, C).
        weight: per-class weights; not supported (must be None).
        reduction: 'mean' (default), 'sum' or 'none'.
        label_smoothing: in [0, 1].

    Shape:
        output: a scalar, or (N,) with reduction='none'.
    """
    op = "cross_entropy"
    x = _check_tensor(op, "input", input)
    if weight is not None:
        raise NotImplementedError(f"{op}: per-class weight is not supported, got {weight!r}")
    if x.ndim not in (1, 2):
        raise ValueError(
            f"{op}: input must be logits (N, C) or (C,), got {x.ndim}-D shape {x.shape}"
        )
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}")
    unbatched = x.ndim == 1
    if unbatched:
        input, labels = input.reshape(1, -1), labels.reshape(1)
    N, C = input.shape
    if labels.shape != (N,):
        raise ValueError(f"{op}: target must have shape (N,) = ({N},), got {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= C):
        bad = labels[(labels < 0) | (labels >= C)][0]
        raise ValueError(f"{op}: target class indices must be in [0, {C - 1}], got {bad}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    label_smoothing = _number(op, "label_smoothing", label_smoothing)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    output = apply(
        loss.CrossEntropy, input, labels.astype(np.int64),
        reduction=reduction, label_smoothing=label_smoothing,
    )  # fmt: skip
    return output.reshape(()) if unbatched and reduction == "none" else output
