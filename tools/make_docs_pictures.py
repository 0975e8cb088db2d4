"""Draw the pictures of the learning track in docs/.

Run from the project root: `python tools/make_docs_pictures.py` (needs matplotlib:
`pip install -e '.[plots]'`). It writes

    docs/im2col.png            chapter 2: a 4 x 4 image, its 3 x 3 windows and their columns
    docs/receptive_fields.png  chapter 4: AlexNet's receptive fields, from tinycnn.summary
    docs/training_curves.png   chapter 7: the curves of `tinycnn train` with its defaults
                               (a full run of 12 epochs)

`--skip-training` redraws the first two only.
"""

import argparse
import io
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.patches import Rectangle

from tinycnn import models, pictures, summary
from tinycnn.kernels.conv import tuning
from tinycnn.pictures.figures import new_figure, save_png
from tinycnn.training import Recipe, train

DOCS = Path(__file__).resolve().parent.parent / "docs"
WINDOW_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3")  # one per 3 x 3 window


def draw_grid(axis, values, colours, title):
    """A table of numbers, one cell per entry, each cell filled with its colour."""
    rows, columns = values.shape
    for r in range(rows):
        for c in range(columns):
            cell = Rectangle((c, rows - 1 - r), 1, 1, facecolor=colours[r][c], alpha=0.35)
            cell.set_edgecolor("black")
            axis.add_patch(cell)
            axis.text(c + 0.5, rows - 0.5 - r, f"{values[r, c]:g}", ha="center", va="center")
    axis.set(xlim=(0, columns), ylim=(0, rows), aspect="equal", title=title)
    axis.axis("off")


def im2col_picture(path):
    """The 4 x 4 image 0..15, its four 3 x 3 windows (one outlined in each colour), the
    9 x 4 column matrix (column j is window j), and the filter row that multiplies it."""
    image = np.arange(16.0).reshape(4, 4)
    columns = np.stack(
        [image[oh : oh + 3, ow : ow + 3].reshape(-1) for oh in range(2) for ow in range(2)],
        axis=1,
    )  # (9, 4)
    figure = new_figure(figsize=(9, 3.6))
    image_axis, columns_axis, filter_axis = figure.subplots(
        1, 3, gridspec_kw={"width_ratios": [4, 4, 9]}
    )
    draw_grid(image_axis, image, [["white"] * 4] * 4, "image x (4 x 4)")
    for j, colour in enumerate(WINDOW_COLOURS):
        oh, ow = divmod(j, 2)
        inset = 0.06 * (j + 1)
        image_axis.add_patch(
            Rectangle(
                (ow + inset, 1 - oh + inset), 3 - 2 * inset, 3 - 2 * inset,
                fill=False, edgecolor=colour, linewidth=2.5,
            )
        )  # fmt: skip
    colours = [[WINDOW_COLOURS[j] for j in range(4)] for _ in range(9)]
    draw_grid(columns_axis, columns, colours, "cols = im2col(x) (9 x 4)")
    kernel = np.array([[1.0, 0.0, -1.0]] * 3).reshape(1, 9)
    draw_grid(filter_axis, kernel, [["#dddddd"] * 9], "w.reshape(1, 9); y = w @ cols")
    return save_png(figure, path)


def receptive_field_picture(path):
    """The receptive field of the centre unit after each of AlexNet's convolutions, drawn
    on the 224 x 224 input, with the sizes tinycnn.summary works out."""
    info = summary(models.alexnet(), (3, 224, 224))
    convs = [layer for layer in info.layers if layer.kind == "Conv2d"]
    figure = new_figure(figsize=(5.2, 4.6))
    axis = figure.subplots()
    axis.add_patch(Rectangle((0, 0), 224, 224, facecolor="#eeeeee", edgecolor="black"))
    for number, layer in enumerate(convs, start=1):
        # the unit at the middle of the output map: its field's centre on the input
        middle = [size // 2 for size in layer.output_shape[2:]]  # (OH // 2, OW // 2)
        starts, jumps = layer.rf.start, layer.rf.jump
        centre = [s + m * j for s, m, j in zip(starts, middle, jumps, strict=True)]
        size_h, size_w = layer.rf.size
        corner = (centre[1] - (size_w - 1) / 2, centre[0] - (size_h - 1) / 2)
        colour = f"C{number - 1}"
        axis.add_patch(Rectangle(corner, size_w, size_h, fill=False, edgecolor=colour, lw=2))
        axis.text(
            corner[0] + size_w + 2, corner[1] + 1, f"conv{number}: {size_h}",
            color=colour, va="top", fontsize=8,
        )  # fmt: skip
    axis.set(
        xlim=(-10, 290), ylim=(234, -10), aspect="equal",
        title="AlexNet: receptive field of the centre unit\non the 224 x 224 input",
    )  # fmt: skip
    return save_png(figure, path)


def training_curves_picture(path):
    """Train with `tinycnn train`'s defaults into a temporary run, then draw its log.

    The convolution algorithms come from the fixed rule, not from timing: timing may pick
    others from run to run, whose different rounding changes the curves.
    """
    with tempfile.TemporaryDirectory() as run, tuning.disabled():
        result = train(Recipe(), out=run, stream=io.StringIO())
        print(f"trained: test accuracy {result.test.accuracy:.4f}")
        return pictures.plot_training_curves(Path(run) / "log.csv", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-training", action="store_true", help="only the first two")
    arguments = parser.parse_args()
    written = [
        im2col_picture(DOCS / "im2col.png"),
        receptive_field_picture(DOCS / "receptive_fields.png"),
    ]
    if not arguments.skip_training:
        written.append(training_curves_picture(DOCS / "training_curves.png"))
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
