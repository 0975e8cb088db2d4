"""Pictures of what a network does, as PNG files (matplotlib, an optional extra:
`pip install 'tinycnn[plots]'`), and its autograd graph as Graphviz DOT text (no extra).

    from tinycnn import models, pictures
    pictures.plot_filters(models.alexnet(), "filters.png")
    pictures.plot_feature_maps(model, image, "features.0", "maps.png")
    pictures.plot_receptive_field(model, image, "features.3", (5, 5), "field.png")
    pictures.plot_training_curves("runs/first/log.csv", "curves.png")
    pictures.plot_gradient_norms({"relu": norms}, "gradients.png")
    pictures.plot_seed_curves({"plain20": [[2.1, 0.9], [2.0, 1.0]]}, "loss.png", "loss")
    print(pictures.autograd_dot(loss))

graph.py        the autograd graph as DOT text
measurements.py the numbers each picture draws (no matplotlib)
plots.py        the pictures; figures.py imports matplotlib lazily and writes PNGs atomically
seeds.py        measurements repeated over seeds (the lessons'): mean and spread, drawn
"""

from tinycnn.pictures.graph import autograd_dot
from tinycnn.pictures.measurements import (
    feature_maps,
    filter_images,
    read_training_log,
    receptive_field_box,
    weight_gradient_norms,
)
from tinycnn.pictures.plots import (
    plot_feature_maps,
    plot_filters,
    plot_gradient_norms,
    plot_receptive_field,
    plot_training_curves,
)
from tinycnn.pictures.seeds import plot_seed_curves, plot_seed_values, seed_band, seed_summary

__all__ = [
    "autograd_dot",
    "feature_maps",
    "filter_images",
    "plot_feature_maps",
    "plot_filters",
    "plot_gradient_norms",
    "plot_receptive_field",
    "plot_seed_curves",
    "plot_seed_values",
    "plot_training_curves",
    "read_training_log",
    "receptive_field_box",
    "seed_band",
    "seed_summary",
    "weight_gradient_norms",
]
