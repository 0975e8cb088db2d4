"""Draw docs/gradient_norms.png, the picture in the README.

Run from the project root: `python tools/make_readme_picture.py` (needs matplotlib:
`pip install -e '.[plots]'`). The numbers are those of `tinycnn lessons vanishing-gradients`.
"""

from pathlib import Path

from tinycnn import pictures
from tinycnn.lessons import vanishing_gradients
from tinycnn.lessons.scale import DEFAULT_SEEDS

OUT = Path(__file__).resolve().parent.parent / "docs" / "gradient_norms.png"


def main():
    # {init: {activation: [per layer: the geometric mean over the seeds]}}
    norms = vanishing_gradients.measure(seeds=DEFAULT_SEEDS)["norms"]
    series = {
        f"{activation}, {init} init": values
        for init, by_activation in norms.items()
        for activation, values in by_activation.items()
    }
    title = (
        f"Gradient norm by depth, 20-layer plain network, {DEFAULT_SEEDS} seeds (geometric mean)"
    )
    pictures.plot_gradient_norms(series, OUT, title=title)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
