"""The error every reader raises for a weight file it cannot read."""


class WeightFileError(ValueError):
    """A weight file is truncated, corrupt, in another format, or asks to run code.

    A ValueError (the input is bad), so `except ValueError` catches it too. `tinycnn.load`
    raises it with a one-line message that names the file.
    """


class RefusedPickleError(WeightFileError):
    """A .pth file's pickle names a global outside the allow-list: it asks to run code, or
    to build objects other than tensors, numbers, strings, lists and dicts. Refused before
    anything in the file is run."""
