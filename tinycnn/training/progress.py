"""The progress bar of `tinycnn train`: one line per epoch, redrawn after every batch.

On a terminal the line is redrawn in place with a carriage return ('\\r'):

    epoch  3/12 [########------------]  18/41  loss 0.2113  acc 93.58%  1,012 img/s

and when the epoch ends it becomes the epoch's summary, which stays. When the output is
not a terminal (a file, a pipe, a test), nothing is drawn during the epoch: only the
summary line is printed, so a log holds one line per epoch.
"""

BAR_WIDTH = 20


class ProgressBar:
    """Draws one epoch's progress on `stream`.

    Args:
        stream: a text stream, e.g. sys.stdout.
        epoch: this epoch's number, from 1.
        epochs: the number of epochs of the run.
        batches: the number of batches in the epoch.

    Example:
        >>> bar = ProgressBar(sys.stdout, epoch=1, epochs=12, batches=41)
        >>> train_one_epoch(model, loader, optimizer, 10, on_batch=bar.update)
        >>> bar.finish("epoch  1/12  train loss 0.93 ...")
    """

    def __init__(self, stream, epoch, epochs, batches):
        self.stream = stream
        self.live = _is_terminal(stream)
        self.prefix = f"epoch {epoch:>{len(str(epochs))}}/{epochs}"
        self.batches = batches
        self._drawn = 0  # length of the line on screen, to blank what a shorter line leaves

    def update(self, meter):
        """Redraw the line from a `Meter` of the batches done so far (only on a terminal)."""
        if not self.live:
            return
        done = round(BAR_WIDTH * meter.batches / self.batches)
        bar = "#" * done + "-" * (BAR_WIDTH - done)
        width = len(str(self.batches))
        self._draw(
            f"{self.prefix} [{bar}] {meter.batches:>{width}}/{self.batches}"
            f"  loss {meter.loss:.4f}  acc {100 * meter.accuracy:6.2f}%"
            f"  {meter.images_per_second:,.0f} img/s"
        )

    def finish(self, summary):
        """Replace the bar with `summary` and end the line."""
        if self.live:
            self._draw(summary)
            self.stream.write("\n")
        else:
            self.stream.write(summary + "\n")
        self.stream.flush()

    def end_line(self):
        """End a half-drawn bar (the epoch was interrupted), so what follows starts a line."""
        if self.live and self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, line):
        self.stream.write("\r" + line.ljust(self._drawn))
        self.stream.flush()
        self._drawn = len(line)


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty())


def epoch_summary(epoch, epochs, lr, train, validation):
    """The line that stays for an epoch: its lr, train and validation loss and accuracy.

    Args:
        epoch, epochs: as for `ProgressBar`.
        lr: the learning rate the epoch used.
        train, validation: the epoch's Meters.
    """
    return (
        f"epoch {epoch:>{len(str(epochs))}}/{epochs}  lr {lr:.4g}"
        f"  train loss {train.loss:.4f} acc {100 * train.accuracy:6.2f}%"
        f"  val loss {validation.loss:.4f} acc {100 * validation.accuracy:6.2f}%"
        f"  {train.images_per_second:,.0f} img/s  {train.seconds + validation.seconds:.1f} s"
    )
