"""matplotlib, imported only when a picture is drawn, and PNG files written atomically.

matplotlib is an optional extra (`pip install tinycnn[plots]`): the rest of tinycnn, and the
DOT text of `autograd_dot`, work without it.
"""

import io

from tinycnn.io.atomic import atomic_write


def new_figure(figsize):
    """A matplotlib Figure of `figsize` inches that pyplot knows nothing about.

    Drawing through `matplotlib.figure.Figure` rather than pyplot changes no global state:
    no backend is switched and no window is opened in a user's interactive session.

    Raises:
        ImportError: naming the extra to install, when matplotlib is missing.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "pictures: matplotlib is needed to draw PNG files, got none installed; install "
            "it with `pip install 'tinycnn[plots]'` (or `pip install matplotlib`)"
        ) from error
    return Figure(figsize=figsize)


def save_png(figure, path):
    """Render `figure` to PNG in memory, then write it to `path` atomically."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    atomic_write(path, lambda file: file.write(buffer.getvalue()))
    return path
