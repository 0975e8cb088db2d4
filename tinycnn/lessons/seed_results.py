"""Each condition's results over the seeds, gathered for a lesson's tables and verdicts.

A lesson that trains runs every condition once per seed and keeps
{condition: [result per seed]}, each result a dict such as {"train_accuracy": 0.93,
"test_accuracy": 0.88, "gap": 0.05}. These helpers turn that into per-seed values
(what `verdict.decide` compares), mean curves and table rows.
"""

import numpy as np

from tinycnn.lessons.verdict import summarize


def seed_values(results, key):
    """[result[key] for each seed's result], as floats: one condition's per-seed values."""
    return [float(result[key]) for result in results]


def values_per_seed(results, keys=None):
    """{condition: {key: [value per seed]}} from {condition: [result per seed]}, for every
    key of the results or only `keys` (a result may also hold curves, which are no value)."""
    return {
        name: {key: seed_values(runs, key) for key in (runs[0] if keys is None else keys)}
        for name, runs in results.items()
    }


def summary_rows(values, keys):
    """Table rows: each condition's name, then its per-seed values of each of `keys` as
    mean ± spread. `values`: {condition: {key: [value per seed]}}."""
    return [(name, *(str(summarize(v[key])) for key in keys)) for name, v in values.items()]


def mean_curve(curves):
    """The element-wise mean of equal-length per-seed curves, as a list (for tables)."""
    return np.mean(np.asarray(curves, dtype=np.float64), axis=0).tolist()


def mean_loss_rows(runs, epochs):
    """Table rows (epoch, each condition's training loss that epoch, the mean over the
    seeds), from {condition: [result per seed]} whose results hold "epoch_losses"."""
    curves = [mean_curve([run["epoch_losses"] for run in seeds]) for seeds in runs.values()]
    return [(epoch + 1, *(curve[epoch] for curve in curves)) for epoch in range(epochs)]
