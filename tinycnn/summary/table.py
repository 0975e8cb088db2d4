"""The printed form of a `Summary`: a table with one row per layer call, then the totals."""

COLUMNS = (
    # (heading, right-aligned)
    ("Layer", False),
    ("Kind", False),
    ("Output (C x H x W)", False),
    ("Params", True),
    ("MACs", True),
    ("RF", True),
    ("Jump", True),
    ("Start", True),
    ("Activation", True),
    ("im2col", True),
)

LEGEND = (
    "RF: receptive field, the input pixels one output value sees; Jump: input pixels between",
    "the fields of neighbouring outputs; Start: the input pixel at the centre of the first",
    "output's field; ? where unknown (see tinycnn/summary/receptive_field.py).",
)


def format_table(summary):
    """The table of `summary` (a `Summary`), as one string."""
    rows = [_cells(layer) for layer in summary.layers]
    headings = [heading for heading, _ in COLUMNS]
    widths = [max(len(text) for text in column) for column in zip(headings, *rows, strict=True)]

    def line(cells):
        padded = (
            text.rjust(width) if right else text.ljust(width)
            for text, width, (_, right) in zip(cells, widths, COLUMNS, strict=True)
        )
        return "  ".join(padded).rstrip()

    rule = "-" * len(line(headings))
    input_text = " x ".join(map(str, summary.input_shape))
    parts = [
        f"Input {input_text} ({summary.dtype.name}); MACs and memory per image",
        rule,
        line(headings),
        rule,
        *(line(cells) for cells in rows),
        rule,
        *_totals(summary),
        *LEGEND,
    ]
    return "\n".join(parts)


def _cells(layer):
    field = layer.rf
    return [
        layer.name or "(model)",
        layer.kind,
        " x ".join(map(str, layer.output_shape[1:])),
        f"{layer.params:,}",
        f"{layer.macs:,}",
        _per_axis(field.size) if field else "?",
        _per_axis(field.jump) if field else "?",
        _per_axis(field.start) if field else "?",
        _bytes(layer.activation_bytes),
        _bytes(layer.im2col_bytes) if layer.im2col_bytes else "-",
    ]


def _totals(summary):
    lines = [
        f"Total params: {summary.total_params:,}",
        f"Trainable params: {summary.trainable_params:,}",
        f"Non-trainable params: {summary.total_params - summary.trainable_params:,}",
        f"Total MACs: {summary.total_macs:,} ({summary.total_macs / 1e9:.3f} G)",
    ]
    if summary.not_run:
        lines.append(
            f"Not run in evaluation mode: {', '.join(summary.not_run)} "
            f"({summary.not_run_params:,} of the params)"
        )
    activations = sum(layer.activation_bytes for layer in summary.layers)
    lines.append(f"Layer outputs, all together: {_bytes(activations)}")
    widest = max(summary.layers, key=lambda layer: layer.im2col_bytes, default=None)
    if widest is not None and widest.im2col_bytes:
        lines.append(f"Largest im2col workspace: {_bytes(widest.im2col_bytes)} ({widest.name})")
    return lines


def _per_axis(pair):
    """'7' when both axes agree, '7x5' (H x W) when they do not."""
    texts = [_number(value) for value in pair]
    return texts[0] if texts[0] == texts[1] else "x".join(texts)


def _number(value):
    return str(value) if isinstance(value, int) else f"{value:.4g}"


def _bytes(n):
    """1536 -> '1.5 KiB'."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
