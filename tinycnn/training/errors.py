"""`TrainingError`: a problem with what the user asked for or gave, not a bug in tinycnn."""


class TrainingError(Exception):
    """An unknown name, a missing or corrupt file, a checkpoint that does not fit the run.

    Its message is one line naming the value or file at fault; `tinycnn train` and
    `tinycnn evaluate` print it without a traceback and exit with a non-zero status.
    """


class RunInterruptedError(Exception):
    """Training was stopped by Ctrl-C (KeyboardInterrupt) after its last epoch was saved.

    Its message is the one line `tinycnn train` prints: which epoch was saved where, and
    how to continue.
    """


class DivergedError(TrainingError):
    """The loss of a batch was NaN or infinite: the run diverged (often: too large an lr).

    Raised by `loop.train_one_epoch` before that batch's update; the trainer adds the
    epoch and the checkpoint that is kept.

    Attributes:
        batch: the batch's number in its epoch, from 1.
        loss: the loss, nan, inf or -inf.
    """

    def __init__(self, batch, loss):
        super().__init__(f"batch {batch}: the loss is {loss}")
        self.batch = batch
        self.loss = loss
