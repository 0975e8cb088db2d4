"""`Report`: what a lesson prints, the claim beside the measurement.

report = Report("Two 3x3 convolutions see as much as one 5x5", claim="...")
report.compare("receptive field", claimed=5, measured=5)
report.table(("layer", "weights"), [("conv1", 147456), ...])
report.note("measured with summary() on a 128 x 16 x 16 input")
print(report)
"""

import textwrap

WIDTH = 92  # the printed text's width, in characters


class Report:
    """A lesson's printout: its title, the claim, rows of claimed and measured values, tables,
    and notes, in the order they were added.

    Args:
        title: one line naming the lesson.
        claim: the lecture's claim, in words.
    """

    def __init__(self, title, claim):
        self.title = title
        self.claim = claim
        self._sections = []  # ("compare", rows) | ("table", headers, rows) | ("note", text)

    def compare(self, quantity, claimed, measured):
        """A row of the claimed-against-measured table (consecutive rows form one table)."""
        if self._sections and self._sections[-1][0] == "compare":
            self._sections[-1][1].append((quantity, claimed, measured))
        else:
            self._sections.append(("compare", [(quantity, claimed, measured)]))

    def table(self, headers, rows):
        """A table of its own, e.g. a number per layer."""
        self._sections.append(("table", tuple(headers), [tuple(row) for row in rows]))

    def note(self, text):
        """A paragraph: how a number was measured, or what it does and does not show."""
        self._sections.append(("note", text))

    def __str__(self):
        lines = [self.title, "=" * len(self.title), *_wrap("Claim: " + self.claim), ""]
        for section in self._sections:
            if section[0] == "compare":
                lines += format_table(("", "claim", "measured"), section[1])
            elif section[0] == "table":
                lines += format_table(section[1], section[2])
            else:
                lines += _wrap(section[1])
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def format_table(headers, rows):
    """Lines of a plain-text table; numbers right-aligned, with thousands separators."""
    cells = [[_cell(value) for value in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        parts = [
            text.rjust(width) if is_number else text.ljust(width)
            for text, width, is_number in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return lines


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value):
    if isinstance(value, bool) or not _is_number(value):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.3g}"
    return f"{value:,.4g}" if abs(value) >= 1000 else f"{value:.4g}"


def _wrap(text):
    return textwrap.wrap(text, WIDTH) or [""]
