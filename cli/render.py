"""Terminal output helpers: tables that line up Chinese (double-width) text."""
from __future__ import annotations

from typing import Iterable, Sequence

from archive_kit.output.tables import display_width as width


def clip(text: str, max_width: int) -> str:
    """Cut text to ``max_width`` columns, marking the cut with …."""
    if width(text) <= max_width:
        return text
    out, w = [], 0
    for c in text:
        cw = width(c)
        if w + cw > max_width - 1:
            break
        out.append(c)
        w += cw
    return "".join(out) + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], max_col: int = 40) -> str:
    """A plain-text table with a header rule; cells are clipped to ``max_col`` columns."""
    cells = [[clip("" if v is None else str(v), max_col) for v in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], width(v))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)
