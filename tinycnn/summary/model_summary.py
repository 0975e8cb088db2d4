"""`summary(model, input_size)`: one row per layer call, and the model's totals."""

from dataclasses import dataclass

import numpy as np

from tinycnn.nn.module import Module
from tinycnn.summary import counts
from tinycnn.summary.receptive_field import receptive_fields
from tinycnn.summary.table import format_table
from tinycnn.summary.trace import trace
from tinycnn.tensor import is_grad_enabled


@dataclass(frozen=True)
class LayerSummary:
    """One call of one layer, on one image.

    Attributes:
        name: the layer's dotted path in the model, e.g. 'layer1.0.conv1'.
        kind: its class name, e.g. 'Conv2d'.
        output_shape: the output's shape for a batch of one, e.g. (1, 64, 112, 112).
        params: the layer's parameters (0 on a second call of the same layer).
        macs: multiply-accumulates (convolutions and linear layers only; see counts.py).
        rf: the output's `ReceptiveField` (size, jump and start along H and W), or None
            where it is unknown (see receptive_field.py).
        activation_bytes: the output's size in bytes.
        im2col_bytes: the column matrix a convolution builds (0 for other layers and for
            1x1 stride-1 convolutions on images of 16 pixels or more, which need none).
    """

    name: str
    kind: str
    output_shape: tuple
    params: int
    macs: int
    rf: object
    activation_bytes: int
    im2col_bytes: int


@dataclass(frozen=True, repr=False)
class Summary:
    """What `summary` returns; `str(summary)` and `repr(summary)` are the printed table.

    Attributes:
        layers: a `LayerSummary` per layer call, in the order the calls finished.
        total_params: every parameter of the model (each shared one once).
        trainable_params: those with requires_grad.
        total_macs: the layers' multiply-accumulates on one image.
        input_shape: the input, batch of one: (1, *input_size).
        dtype: the input's (and the model's) dtype, which sets the byte counts.
        not_run: the outermost modules with parameters that the forward did not call in
            evaluation mode (GoogLeNet's auxiliary classifiers), by name.
        not_run_params: their parameters, which `total_params` includes.
    """

    layers: list
    total_params: int
    trainable_params: int
    total_macs: int
    input_shape: tuple
    dtype: np.dtype
    not_run: tuple
    not_run_params: int

    def __str__(self):
        return format_table(self)

    def __repr__(self):
        """The table, so that a REPL shows `summary(model, ...)` as `print` does."""
        return format_table(self)


def summary(model, input_size):
    """Describe every layer of `model` on one input of `input_size`.

    The model runs once, in evaluation mode, on an empty batch (see trace.py); each layer
    call becomes a row with its output shape, parameters, multiply-accumulates, receptive
    field, activation memory and im2col workspace, all for one image. The model's modes
    and weights are left as they were.

    Args:
        model: a `tinycnn.nn.Module`.
        input_size: the shape of one input without the batch, e.g. (3, 224, 224).

    Returns:
        A `Summary`; print it for the table.

    Example:
        >>> from tinycnn import models
        >>> info = summary(models.resnet18(), (3, 224, 224))
        >>> info.total_params, info.total_macs
        (11689512, 1814073344)
        >>> info.layers[0].name, info.layers[0].output_shape, info.layers[0].rf.size
        ('conv1', (1, 64, 112, 112), (7, 7))
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be a tinycnn.nn.Module, got {type(model).__name__}")
    input_size = _checked_input_size(input_size)
    if not is_grad_enabled():
        raise RuntimeError(
            "summary: grad mode must be on, got a call inside tinycnn.no_grad(): the summary "
            "follows the graph autograd records to connect the layers"
        )
    dtype = _model_dtype(model)
    recorded = trace(model, input_size, dtype)
    fields = receptive_fields(recorded)
    layers, counted = [], set()
    for call, field in zip(recorded.calls, fields, strict=True):
        output_shape = (1, *call.output.shape[1:])
        first_call = id(call.module) not in counted
        counted.add(id(call.module))
        layers.append(
            LayerSummary(
                name=call.name,
                kind=type(call.module).__name__,
                output_shape=output_shape,
                params=counts.parameter_count(call.module) if first_call else 0,
                macs=counts.macs(call.module, output_shape),
                rf=field,
                activation_bytes=counts.activation_bytes(output_shape, dtype.itemsize),
                im2col_bytes=counts.im2col_bytes(call.module, output_shape, dtype.itemsize),
            )
        )
    not_run = list(_not_run(model, counted))
    params = list(model.parameters())
    return Summary(
        layers=layers,
        total_params=sum(p.data.size for p in params),
        trainable_params=sum(p.data.size for p in params if p.requires_grad),
        total_macs=sum(layer.macs for layer in layers),
        input_shape=(1, *input_size),
        dtype=dtype,
        not_run=tuple(name for name, _ in not_run),
        not_run_params=sum(p.data.size for _, m in not_run for p in m.parameters()),
    )


def _checked_input_size(input_size):
    example = "e.g. (3, 224, 224)"
    if not isinstance(input_size, (tuple, list)) or not input_size:
        raise TypeError(
            f"summary: input_size must be a non-empty tuple of ints, {example}, got {input_size!r}"
        )
    for size in input_size:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"summary: input_size must hold ints, {example}, got {input_size!r}")
        if size < 1:
            raise ValueError(
                f"summary: input_size must hold sizes >= 1, {example}, got {input_size!r}"
            )
    return tuple(int(size) for size in input_size)


def _model_dtype(model):
    """The dtype of the model's first floating-point parameter; float32 if it has none."""
    for param in model.parameters():
        if np.issubdtype(param.dtype, np.floating):
            return param.dtype
    return np.dtype(np.float32)


def _not_run(module, called, prefix=""):
    """(name, module) for the outermost submodules with parameters none of whose layers
    were called; `called` holds the ids of the layers that were."""
    for name, child in module.named_children():
        path = f"{prefix}.{name}" if prefix else name
        if next(child.parameters(), None) is None:
            continue
        if not any(id(m) in called for m in child.modules()):
            yield path, child
        else:
            yield from _not_run(child, called, path)
