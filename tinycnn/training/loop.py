"""One epoch of training, and one pass of evaluation, over a DataLoader.

    for epoch in range(epochs):
        train = train_one_epoch(model, train_loader, optimizer, num_classes)
        validation = evaluate(model, validation_loader, num_classes)
        scheduler.step()

Both return a `Meter` with the mean loss, the accuracy, the confusion matrix and the
images per second of the pass.
"""

import math
import warnings

import tinycnn.nn.functional as F
from tinycnn.tensor import no_grad
from tinycnn.training.errors import DivergedError
from tinycnn.training.meter import Meter


def train_one_epoch(model, loader, optimizer, num_classes, on_batch=None):
    """Train on every batch of `loader` once: forward, loss, backward, update.

    Args:
        model: a Module returning class scores (N, K); put in training mode.
        loader: a DataLoader of (images, labels) batches.
        optimizer: a `tinycnn.optim` optimizer over the model's parameters.
        num_classes: K.
        on_batch: optional function called with the Meter after each batch (the progress
            bar draws itself from it; a test can raise KeyboardInterrupt in it).

    Returns:
        the epoch's Meter; its loss and accuracy are those of each batch before its update.

    Raises:
        DivergedError: a batch's loss is NaN or infinite; raised before its update.
    """
    model.train()
    meter = Meter(num_classes)
    # A diverging run overflows inside the kernels before its loss is checked: NumPy's
    # overflow warnings would only repeat what DivergedError says in one line. (Not
    # np.errstate: it holds for this thread only, and the kernels' threads warn too.)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", r"(overflow|invalid value) encountered", category=RuntimeWarning
        )
        for batch, (images, labels) in enumerate(loader, 1):  # (N, C, H, W), (N,) int64
            optimizer.zero_grad()
            logits = model(images)  # (N, K)
            loss = F.cross_entropy(logits, labels)
            if not math.isfinite(loss.item()):  # its update would make every weight NaN
                raise DivergedError(batch, loss.item())
            loss.backward()
            optimizer.step()
            meter.add(loss.item(), logits.data, labels.data)
            if on_batch is not None:
                on_batch(meter)
    meter.stop()
    return meter


def evaluate(model, loader, num_classes):
    """Score every batch of `loader` in evaluation mode, without recording gradients.

    Evaluation mode makes BatchNorm use its running statistics and turns dropout off, so
    the result does not depend on the batches and draws no random numbers.

    Args:
        model, loader, num_classes: as for `train_one_epoch`.

    Returns:
        a Meter over the whole loader.
    """
    model.eval()
    meter = Meter(num_classes)
    with no_grad():
        for images, labels in loader:
            logits = model(images)  # (N, K)
            meter.add(F.cross_entropy(logits, labels).item(), logits.data, labels.data)
    meter.stop()
    return meter
