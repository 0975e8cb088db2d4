"""The progress bar: redrawn in place on a terminal, one line per epoch elsewhere."""

import io

from tinycnn.training.progress import ProgressBar


class Terminal(io.StringIO):
    def isatty(self):
        return True


class FakeMeter:
    def __init__(self, batches):
        self.batches = batches
        self.loss = 0.5
        self.accuracy = 0.875
        self.images_per_second = 1234.4


def test_on_a_terminal_each_batch_redraws_the_line_and_the_summary_stays():
    stream = Terminal()
    bar = ProgressBar(stream, epoch=3, epochs=12, batches=4)
    bar.update(FakeMeter(1))
    bar.update(FakeMeter(4))
    bar.finish("epoch  3/12  done")
    drawn = stream.getvalue().split("\r")
    assert drawn[0] == ""
    assert drawn[1].startswith("epoch  3/12 [#####---------------] 1/4  loss 0.5000  acc  87.50%")
    assert drawn[1].endswith("1,234 img/s")
    assert drawn[2].startswith("epoch  3/12 [####################] 4/4")
    # The summary is padded with blanks over the longer bar it replaces, then ends the line.
    assert drawn[3].startswith("epoch  3/12  done") and drawn[3].endswith("\n")
    assert len(drawn[3]) == len(drawn[2]) + 1


def test_elsewhere_only_the_summary_is_printed():
    stream = io.StringIO()
    bar = ProgressBar(stream, epoch=1, epochs=2, batches=4)
    for batch in range(1, 5):
        bar.update(FakeMeter(batch))
    bar.finish("epoch 1/2  done")
    assert stream.getvalue() == "epoch 1/2  done\n"
