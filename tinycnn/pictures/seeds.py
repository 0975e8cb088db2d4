"""Pictures of measurements repeated over seeds, as the lessons make them (PNG files).

    from tinycnn import pictures
    pictures.plot_seed_curves({"plain20": [[2.1, 0.9], [2.0, 1.0]]}, "loss.png", "loss")
    pictures.plot_seed_values({"plain": [0.08, 0.09, 0.07]}, "gap.png", "train - test")

Each run is one seed: a curve (one value per epoch) or one value. What is drawn is what a
verdict is made from: the mean, and the spread around it (see tinycnn.lessons.verdict).
"""

import numpy as np

from tinycnn.pictures.figures import new_figure, save_png


def seed_band(curves):
    """The mean curve over seeds and the lowest and highest value at each step.

    Args:
        curves: per seed, a curve of equal length: [[v1, v2, ...], ...].

    Returns:
        (mean, low, high), float64 arrays of the curves' length.

    Raises:
        ValueError: if the curves are missing or of different lengths.
    """
    if not len(curves) or len({len(curve) for curve in curves}) != 1:
        lengths = [len(curve) for curve in curves]
        raise ValueError(f"pictures: curves must be one or more of equal length, got {lengths}")
    values = np.asarray(curves, dtype=np.float64)  # seeds x steps
    return values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def seed_summary(values):
    """(mean, sample standard deviation (0 for a single value)) of one condition's seeds."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"pictures: values must be a non-empty list of numbers, got {values!r}")
    spread = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), spread


def plot_seed_curves(series, path, ylabel, title="", log=False):
    """One line per condition: the mean over seeds, with a band from the lowest to the
    highest seed at each step.

    Args:
        series: {label: [[value per step] per seed]}.
        path: the PNG file to write.
        ylabel, title: the axis label and the title.
        log: a logarithmic vertical axis (for losses spanning orders of magnitude).
    """
    figure = new_figure(figsize=(6, 4))
    axis = figure.subplots()
    for label, curves in series.items():
        mean, low, high = seed_band(curves)
        steps = np.arange(1, len(mean) + 1)
        (line,) = axis.plot(steps, mean, "-o", markersize=3, label=f"{label} ({len(curves)} seeds)")
        axis.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
    if log:
        axis.set_yscale("log")
    from matplotlib.ticker import MaxNLocator  # here: matplotlib is an optional extra

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only
    axis.set(xlabel="epoch", ylabel=ylabel, title=title)
    axis.legend()
    axis.grid(alpha=0.3)
    return save_png(figure, path)


def plot_seed_values(series, path, ylabel, title=""):
    """Each condition's seeds as dots, and their mean +- spread as a bar with error bars.

    Args:
        series: {label: [value per seed]}.
        path, ylabel, title: as `plot_seed_curves`.
    """
    figure = new_figure(figsize=(1.5 + 1.2 * len(series), 4))
    axis = figure.subplots()
    for index, values in enumerate(series.values()):
        mean, spread = seed_summary(values)
        axis.bar(index, mean, yerr=spread, capsize=6, alpha=0.35)
        axis.plot(np.full(len(values), index), values, "k.", markersize=6)
    axis.set_xticks(range(len(series)), list(series), rotation=20, ha="right")
    axis.set(ylabel=ylabel, title=title)
    axis.grid(alpha=0.3, axis="y")
    return save_png(figure, path)
