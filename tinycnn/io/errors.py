"""The errors a reader raises for a weight file it cannot read."""

import zipfile

# What zipfile raises for a damaged archive: bad headers or checksums, an early end, an
# undecodable name (UnicodeDecodeError, a ValueError), a method or flag it does not support,
# an encrypted entry (RuntimeError). The readers turn them into WeightFileError.
CORRUPT_ZIP_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class WeightFileError(ValueError):
    """A weight file is truncated, corrupt, in another format, or asks to run code.

    A ValueError (the input is bad), so `except ValueError` catches it too. `tinycnn.load`
    raises it with a one-line message that names the file.
    """


class RefusedPickleError(WeightFileError):
    """A .pth file's pickle names a global outside the allow-list: it asks to run code, or
    to build objects other than tensors, numbers, strings, lists and dicts. Refused before
    anything in the file is run."""
