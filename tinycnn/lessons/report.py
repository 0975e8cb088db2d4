"""`Report`: what a lesson prints, the claim beside the measurement.

report = Report("Two 3x3 convolutions see as much as one 5x5", claim="...")
report.compare("receptive field", claimed=5, measured=5)
report.table(("layer", "weights"), [("conv1", 147456), ...])
report.note("measured with summary() on a 128 x 16 x 16 input")
report.verdict(Claim(...), decide(a, b, "higher"))   # a measured claim and its verdict
print(report)
"""

import textwrap
from dataclasses import dataclass

WIDTH = 92  # the printed text's width, in characters


@dataclass(frozen=True)
class Claim:
    """A claim a lesson tests over several seeds.

    Attributes:
        text: the claim in words, e.g. "plain56 trains worse than plain20".
        source: where it comes from: paper and section, or "the lecture".
        condition: the condition tested, in one line (data, scale, what is measured).
        a, b: the names of the two conditions compared (B against A).
        quantity: what each seed's value is, e.g. "final training loss".
    """

    text: str
    source: str
    condition: str
    a: str
    b: str
    quantity: str


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
        self.verdicts = []  # (Claim, Verdict), in the order they were added

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

    def verdict(self, claim, verdict):
        """A measured claim (a `Claim`) and its `verdict.Verdict`, printed as a block."""
        self.verdicts.append((claim, verdict))
        self._sections.append(("verdict", claim, verdict))

    def to_dict(self):
        """The verdicts as JSON-able data: claim, source, condition, outcome and numbers."""
        return {
            "title": self.title,
            "claim": self.claim,
            "verdicts": [
                {"claim": claim.text, "source": claim.source, "condition": claim.condition,
                 "a": claim.a, "b": claim.b, "quantity": claim.quantity, **verdict.to_dict()}
                for claim, verdict in self.verdicts
            ],
        }  # fmt: skip

    def __str__(self):
        lines = [self.title, "=" * len(self.title), *_wrap("Claim: " + self.claim), ""]
        for section in self._sections:
            if section[0] == "compare":
                lines += format_table(("", "claim", "measured"), section[1])
            elif section[0] == "table":
                lines += format_table(section[1], section[2])
            elif section[0] == "verdict":
                lines += _verdict_lines(*section[1:])
            else:
                lines += _wrap(section[1])
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"


def _verdict_lines(claim, verdict):
    a, b = verdict.a, verdict.b
    return [
        *_wrap(f"Claim: {claim.text} -> {verdict.outcome.upper()}"),
        *_wrap(f"  Source: {claim.source}", indent="    "),
        *_wrap(f"  Tested: {claim.condition}", indent="    "),
        *_wrap(
            f"  {claim.quantity}, mean ± spread over {min(a.count, b.count)} seeds: "
            f"{claim.a} {a}, {claim.b} {b}",
            indent="    ",
        ),
        *_wrap(
            f"  Per seed: {claim.a} {_values(a)}; {claim.b} {_values(b)}",
            indent="    ",
        ),
        *_wrap(f"  Why: {verdict.reason}", indent="    "),
    ]


def _values(summary):
    return "[" + ", ".join(f"{value:.3g}" for value in summary.values) + "]"


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


def _wrap(text, indent=""):
    return textwrap.wrap(text, WIDTH, subsequent_indent=indent) or [""]
