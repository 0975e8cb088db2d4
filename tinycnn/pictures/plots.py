"""The pictures, each a PNG file: `plot_<what>(..., path)` returns `path`.

    from tinycnn import models, pictures
    pictures.plot_filters(models.alexnet(), "filters.png")
    pictures.plot_training_curves("runs/first/log.csv", "curves.png")

Each draws numbers that measurements.py computes, so a test can check those without
matplotlib; matplotlib itself is imported only here, when a picture is drawn.
"""

import math

import numpy as np

from tinycnn.pictures import measurements
from tinycnn.pictures.figures import new_figure, save_png


def _grid(count, columns):
    """(rows, columns) of a grid holding `count` panels."""
    columns = min(columns, count)
    return math.ceil(count / columns), columns


def _panels(count, columns, size=1.2):
    rows, columns = _grid(count, columns)
    figure = new_figure(figsize=(size * columns, size * rows))
    axes = figure.subplots(rows, columns)
    axes = np.atleast_1d(axes).ravel()
    for axis in axes:
        axis.axis("off")
    return figure, axes


def plot_filters(model, path, columns=8):
    """The first convolution's filters as small images (RGB if it has 3 input channels)."""
    name, images = measurements.filter_images(model)  # OC x KH x KW x C
    figure, axes = _panels(len(images), columns)
    for axis, image in zip(axes, images, strict=False):
        if image.shape[-1] == 3:
            axis.imshow(image, interpolation="nearest")
        else:
            axis.imshow(image[..., 0], cmap="gray", interpolation="nearest")
    figure.suptitle(f"{name}: {len(images)} filters of {images.shape[1]}x{images.shape[2]}")
    return save_png(figure, path)


def plot_feature_maps(model, image, layer, path, columns=8, limit=32):
    """The input and the first `limit` channels of `layer`'s output for that input."""
    maps = measurements.feature_maps(model, image, layer)[:limit]  # channels x OH x OW
    figure, axes = _panels(len(maps) + 1, columns)
    _show_image(axes[0], image)
    axes[0].set_title("input", fontsize=8)
    for index, (axis, fmap) in enumerate(zip(axes[1:], maps, strict=False)):
        axis.imshow(fmap, cmap="viridis", interpolation="nearest")
        axis.set_title(str(index), fontsize=7)
    figure.suptitle(f"{layer}: {len(maps)} feature maps of {maps.shape[1]}x{maps.shape[2]}")
    return save_png(figure, path)


def plot_receptive_field(model, image, layer, position, path):
    """The input with the field of one output value of `layer` drawn on it as a box."""
    top, left, bottom, right = measurements.receptive_field_box(model, image.shape, layer, position)
    figure = new_figure(figsize=(4, 4))
    axis = figure.subplots()
    _show_image(axis, image)
    # Pixel i covers [i - 0.5, i + 0.5] in imshow's coordinates.
    from matplotlib.patches import Rectangle  # here: matplotlib is an optional extra

    box = Rectangle(
        (left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
        fill=False, edgecolor="red", linewidth=2,
    )  # fmt: skip
    axis.add_patch(box)
    axis.set_xlim(min(-0.5, left - 1), max(image.shape[2] - 0.5, right + 1))
    axis.set_ylim(max(image.shape[1] - 0.5, bottom + 1), min(-0.5, top - 1))
    axis.set_title(
        f"{layer} at {tuple(position)} sees {int(bottom - top + 1)}x{int(right - left + 1)}",
        fontsize=9,
    )
    return save_png(figure, path)


def plot_training_curves(log_path, path):
    """Loss and accuracy per epoch, training and validation, from a run's log.csv."""
    log = measurements.read_training_log(log_path)
    figure = new_figure(figsize=(9, 3.5))
    loss_axis, accuracy_axis = figure.subplots(1, 2)
    for split, style in (("train", "-o"), ("val", "--s")):
        loss_axis.plot(log["epoch"], log[f"{split}_loss"], style, label=split)
        accuracy_axis.plot(log["epoch"], log[f"{split}_accuracy"], style, label=split)
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1))
    for axis in (loss_axis, accuracy_axis):
        axis.legend()
        axis.grid(alpha=0.3)
    return save_png(figure, path)


def plot_gradient_norms(series, path, title="Gradient norm by depth"):
    """Gradient norm against layer depth, one line per series, on a log scale.

    Args:
        series: {label: [norm of layer 1, layer 2, ...]}, e.g. the numbers of the
            `vanishing-gradients` lesson, or [n for _, n in weight_gradient_norms(model)].
    """
    figure = new_figure(figsize=(6, 4))
    axis = figure.subplots()
    for label, norms in series.items():
        axis.semilogy(range(1, len(norms) + 1), norms, "-o", markersize=3, label=label)
    axis.set(xlabel="layer (1 = next to the input)", ylabel="|dL/dW|", title=title)
    axis.legend()
    axis.grid(alpha=0.3, which="both")
    return save_png(figure, path)


def _show_image(axis, image):
    """A (C, H, W) image in [0, 1]: gray for one channel, RGB for three."""
    image = np.asarray(image)
    if image.shape[0] == 3:
        axis.imshow(np.clip(image.transpose(1, 2, 0), 0, 1), interpolation="nearest")
    else:
        axis.imshow(image[0], cmap="gray", interpolation="nearest")
