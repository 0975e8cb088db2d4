"""Refuse, before any data is opened, an image size whose activations cannot fit in memory.

check_memory(recipe, batch_size)   # TrainingError: "--image-size 20000 would need ..."
"""

import os

from tinycnn.summary import summary
from tinycnn.training.errors import TrainingError
from tinycnn.training.recipe import build_model, model_arguments

PROBE_SIZE = 256  # the image size at which check_memory measures a network


def check_memory(recipe, batch_size):
    """Refuse an image size whose activations could never fit in this machine's memory.

    One batch of `batch_size` keeps every layer's output for the backward pass (and an
    evaluation pass makes them all, one after another). Their size is read from
    `tinycnn.summary` at PROBE_SIZE (one image, cheap) and scaled by the pixel count,
    (S / PROBE_SIZE)**2, which the convolutional layers, nearly all of it, follow. Only
    sizes above PROBE_SIZE are checked: below, one batch is small. The probe model is
    built before the generator is seeded (its draws change nothing) and for two classes
    (the data, which says how many, is not open yet; the head's outputs are a few numbers).
    """
    C, S = recipe.model_channels, recipe.image_size
    if S <= PROBE_SIZE:
        return
    model = build_model(recipe.model, model_arguments(recipe, 2))
    try:
        probe = summary(model, (C, PROBE_SIZE, PROBE_SIZE))
    except ValueError:  # the network cannot take the probe: the trainer's own check says why
        return
    # in ints: an edited checkpoint's image size may be too large for a float
    per_image = sum(layer.activation_bytes for layer in probe.layers) * S * S // PROBE_SIZE**2
    needed = batch_size * per_image
    available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if needed > available:
        raise TrainingError(
            f"--image-size {S} would need about {format_bytes(needed)} for the activations of one "
            f"batch of {batch_size} {C} x {S} x {S} images ({format_bytes(per_image)} an image), "
            f"more than the {format_bytes(available)} of memory this machine has; choose a "
            "smaller --image-size or --batch-size"
        )


def format_bytes(count):
    """A byte count (an int) for people: '512.0 MB', '2.3 TB'."""
    for power, unit in enumerate(("B", "kB", "MB", "GB")):
        if count < 1000 ** (power + 1):
            return f"{count / 1000**power:.1f} {unit}"
    if count < 1000**6:
        return f"{count / 1000**4:,.1f} TB"
    return f"{count // 1000**4:,} TB"  # beyond a float's range, for an absurd image size
