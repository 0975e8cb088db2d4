"""`Meter`: running totals of one pass over a dataset (loss, confusion matrix, time)."""

import time

import numpy as np

from tinycnn.training.confusion import confusion_matrix


class Meter:
    """Adds up the loss and the (true, predicted) counts batch by batch, and times the pass.

    Args:
        num_classes: K, the number of classes.

    Attributes:
        batches, images: how many have been added.
        confusion: int64 (K, K), counts of (true class, predicted class).
    """

    def __init__(self, num_classes):
        self.batches = 0
        self.images = 0
        self.loss_sum = 0.0  # sum over images of each image's loss, in float64
        self.confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
        self._start = time.perf_counter()
        self._end = None

    def add(self, loss, logits, labels):
        """Count one batch.

        Args:
            loss: the batch's mean loss, a float.
            logits: ndarray (N, K) of class scores.
            labels: ndarray (N,) of true classes.
        """
        self.batches += 1
        self.images += len(labels)
        self.loss_sum += loss * len(labels)
        predictions = logits.argmax(axis=1)  # (N,)
        self.confusion += confusion_matrix(labels, predictions, len(self.confusion))

    def stop(self):
        """Stop the clock: `seconds` no longer grows."""
        self._end = time.perf_counter()

    @property
    def loss(self):
        """The mean loss per image."""
        return self.loss_sum / max(self.images, 1)

    @property
    def correct(self):
        return int(np.trace(self.confusion))

    @property
    def accuracy(self):
        """The share of images whose highest score is their true class, in [0, 1]."""
        return self.correct / max(self.images, 1)

    @property
    def seconds(self):
        end = self._end if self._end is not None else time.perf_counter()
        return end - self._start

    @property
    def images_per_second(self):
        return self.images / max(self.seconds, 1e-9)
