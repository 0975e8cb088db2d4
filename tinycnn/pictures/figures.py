"""matplotlib, imported only when a picture is drawn, and PNG files written atomically.

matplotlib is an optional extra (`pip install tinycnn[plots]`): the rest of tinycnn, and the
DOT text of `autograd_dot`, work without it.
"""

import io

from tinycnn.io.atomic import atomic_write


def pyplot():
    """matplotlib.pyplot with the file-only Agg backend (no window, no display needed).

    Raises:
        ImportError: naming the extra to install, when matplotlib is missing.
    """
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError(
            "pictures: matplotlib is needed to draw PNG files, got none installed; install "
            "it with `pip install 'tinycnn[plots]'` (or `pip install matplotlib`)"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(figure, path):
    """Render `figure` to PNG in memory, write it to `path` atomically, close the figure."""
    buffer = io.BytesIO()
    try:
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    finally:
        pyplot().close(figure)
    atomic_write(path, lambda file: file.write(buffer.getvalue()))
    return path
