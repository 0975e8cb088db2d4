"""`DatasetError`: a dataset file that cannot be read."""


class DatasetError(ValueError):
    """A dataset file is corrupt, truncated, of another kind, not a regular file, or claims
    more memory than `tinycnn.io.budget` allows (an image: more pixels than
    `tinycnn.data.image_file.MAX_PIXELS`).

    A ValueError (the input is bad), so `except ValueError` catches it too. Its message is
    one line naming the file, what it claimed and the limit.
    """
