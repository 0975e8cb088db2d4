"""See inside a model: `summary(model, input_size)` gives one row per layer with its output
shape, parameters, multiply-accumulates, receptive field, activation memory and im2col
workspace, and the model's totals.

    from tinycnn import models, summary
    print(summary(models.resnet18(), (3, 224, 224)))

trace.py runs the model and records the layer calls, counts.py counts what each costs,
receptive_field.py follows the receptive fields through the network, table.py prints.
"""

from tinycnn.summary.model_summary import LayerSummary, Summary, summary
from tinycnn.summary.receptive_field import ReceptiveField

__all__ = ["LayerSummary", "ReceptiveField", "Summary", "summary"]
