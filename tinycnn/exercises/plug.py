"""`check --plug`: the learner's code inside a real network.

Kernels go in through `tinycnn.kernels.use`, so every layer, the autograd and the
optimizer of the network run them. `train_small_cnn` trains SmallCNN on the bundled
digits for a short run and returns the test accuracy; `compare_models` runs a network
with and without the learner's parts in it, on one input, and returns the largest
difference of their logits, for the exercises a short run cannot train (whole blocks of
big networks).

The short run: 16 x 16 digits, width 8, batch 32, SGD with momentum 0.9 at lr 0.05 for
two epochs, then one at lr 0.005. With the engine's kernels it reaches 97-99% on the 359
test digits (three seeds measured: 97.5%, 99.4%, 98.9%).
"""

import numpy as np

import tinycnn.nn as nn
import tinycnn.nn.functional as F
from tinycnn import kernels, rng
from tinycnn.data import DataLoader, Digits
from tinycnn.models import small_cnn
from tinycnn.optim import SGD
from tinycnn.tensor import no_grad, tensor

SIZE = 16
WIDTH = 8
EPOCHS = 3
LEARNING_RATES = (0.05, 0.05, 0.005)


def train_small_cnn(ops=None, change_model=None, loss=F.cross_entropy, seed=0, progress=None):
    """Train SmallCNN on the digits with the learner's kernels; return the test accuracy.

    Args:
        ops: the learner's kernels, a dict of op name -> function (see `kernels.use`).
        change_model: a function that takes the SmallCNN and returns the network to train
            (with a pooling layer swapped, a layer inserted, ...), or None.
        loss: loss(logits, labels) -> scalar Tensor.
        seed: for the weights, the batch order and dropout.
        progress: called with a line of text after each epoch, or None.
    """
    rng.manual_seed(seed)
    train, test = Digits(train=True, size=SIZE), Digits(train=False, size=SIZE)
    model = small_cnn(width=WIDTH)
    if change_model is not None:
        model = change_model(model)
    optimizer = SGD(model.parameters(), lr=LEARNING_RATES[0], momentum=0.9)
    with kernels.use(ops or {}):
        for epoch, lr in enumerate(LEARNING_RATES):
            optimizer.param_groups[0]["lr"] = lr
            model.train()
            for images, labels in DataLoader(train, batch_size=32, shuffle=True):
                optimizer.zero_grad()
                loss(model(images), labels).backward()
                optimizer.step()
            accuracy = _accuracy(model, test)
            if progress is not None:
                progress(f"epoch {epoch + 1}/{EPOCHS}: test accuracy {accuracy:.1%}")
    return accuracy


def _accuracy(model, dataset):
    model.eval()
    with no_grad():
        images, labels = next(iter(DataLoader(dataset, batch_size=len(dataset))))
        return float((model(images).data.argmax(axis=1) == labels.data).mean())


def after_each(model, layer_type, make_layer):
    """A copy of the Sequential `model.features` with make_layer() after every layer_type."""
    layers = []
    for layer in model.features:
        layers.append(layer)
        if isinstance(layer, layer_type):
            layers.append(make_layer())
    model.features = nn.Sequential(*layers)
    return model


def replace_each(model, layer_type, make_layer):
    """model.features with every layer_type replaced by make_layer(old layer)."""
    model.features = nn.Sequential(
        *(make_layer(layer) if isinstance(layer, layer_type) else layer for layer in model.features)
    )
    return model


def compare_models(build, put_in_learners_parts):
    """max |learners(x) - library(x)| / max |library(x)| of two networks' logits.

    library = build(); learners = put_in_learners_parts(build()), the same network with
    the learner's parts in it. Both get the library's weights and run in evaluation mode
    on one seeded image x (1, 3, 64, 64).
    """
    library = build().eval()
    learners = put_in_learners_parts(build()).eval()
    learners.load_state_dict(library.state_dict())
    x = tensor(np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32))
    with no_grad():
        expected = library(x).data
        actual = learners(x).data
    return float(np.abs(actual - expected).max() / np.abs(expected).max())
