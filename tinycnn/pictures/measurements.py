"""The numbers each picture draws, computed without matplotlib (so tests can check them)."""

import csv

import numpy as np

import tinycnn.nn as nn
from tinycnn.summary import summary
from tinycnn.tensor import no_grad, tensor


def first_conv(model):
    """The model's first `nn.Conv2d` (in module order) and its name."""
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise ValueError(f"pictures: model must have an nn.Conv2d layer, got {type(model).__name__}")


def filter_images(model):
    """The first convolution's filters, each scaled to [0, 1] on its own.

    Returns:
        (name, array (OC, KH, KW, C)): channels last, as images are drawn. Each filter is
        shifted and scaled by its own minimum and range, so its pattern shows whatever its
        magnitude (a constant filter becomes 0.5 everywhere).
    """
    name, conv = first_conv(model)
    weight = conv.weight.data.astype(np.float64)  # OC x C x KH x KW
    low = weight.min(axis=(1, 2, 3), keepdims=True)
    span = weight.max(axis=(1, 2, 3), keepdims=True) - low
    scaled = np.where(span > 0, (weight - low) / np.where(span > 0, span, 1), 0.5)
    return name, scaled.transpose(0, 2, 3, 1)


def feature_maps(model, image, layer):
    """The output of the layer named `layer` when `model` sees `image`, in evaluation mode.

    Args:
        model: a Module.
        image: ndarray (C, H, W).
        layer: a name from `dict(model.named_modules())`, e.g. 'features.0'.

    Returns:
        ndarray (channels, OH, OW) of the first (only) image.
    """
    modules = dict(model.named_modules())
    if layer not in modules:
        raise ValueError(
            f"pictures: layer must be one of the model's modules (e.g. "
            f"{', '.join(list(modules)[1:4])}), got {layer!r}"
        )
    captured = []
    was_training = model.training
    model.eval()
    try:
        with modules[layer].register_forward_hook(lambda m, i, out: captured.append(out.data)):
            with no_grad():
                model(tensor(np.asarray(image, dtype=np.float32)[None]))
    finally:
        model.train(was_training)
    return captured[0][0]


def receptive_field_box(model, input_size, layer, position):
    """The input pixels one output value of `layer` sees, from `tinycnn.summary`.

    Args:
        model, layer: as `feature_maps`.
        input_size: (C, H, W).
        position: (row, column) in the layer's output.

    Returns:
        (top, left, bottom, right), inclusive input pixel indices; they may reach past the
        image into the padding.
    """
    rows = [row for row in summary(model, input_size).layers if row.name == layer]
    if not rows or rows[0].rf is None:
        raise ValueError(f"pictures: layer must be a summary row with a known field, got {layer!r}")
    field = rows[0].rf
    corners = []
    for axis in (0, 1):
        centre = field.start[axis] + position[axis] * field.jump[axis]
        corners.append((centre - (field.size[axis] - 1) / 2, centre + (field.size[axis] - 1) / 2))
    (top, bottom), (left, right) = corners
    return top, left, bottom, right


def read_training_log(path):
    """The columns of a `tinycnn train` log.csv as float arrays, keyed by column name."""
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        raise ValueError(f"pictures: {path} must hold at least one epoch, got none")
    return {key: np.array([float(row[key]) for row in rows]) for key in rows[0]}


def weight_gradient_norms(model):
    """(name, norm of its gradient) for each convolution and linear weight, input side first.

    Call after a backward pass; a weight without a gradient gives NaN.
    """
    norms = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            grad = module.weight.grad
            norms.append((name, float(np.linalg.norm(grad)) if grad is not None else np.nan))
    return norms
