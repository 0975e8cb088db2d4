"""Optimizers and learning-rate schedulers, with torch.optim's names and update rules.

    from tinycnn.optim import SGD
    from tinycnn.optim.lr_scheduler import CosineAnnealingLR

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = CosineAnnealingLR(opt, T_max=200)

`Optimizer` is the base class (parameter groups, per-parameter state, state dicts); `SGD`,
`Adam` and `AdamW` implement one update each; `lr_scheduler` changes the groups' lrs.
"""

from tinycnn.optim import lr_scheduler
from tinycnn.optim.adam import Adam, AdamW
from tinycnn.optim.optimizer import Optimizer
from tinycnn.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
