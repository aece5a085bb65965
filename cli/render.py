"""Everything the CLI prints goes through here: tables that line up Chinese (double-width) text,
and one cleaning step so no value (a title from a manifest, a file name, a text) can act on the
terminal (escape sequences, C1 controls, bidi overrides are shown as visible escapes instead)."""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

import click

from archive_kit.formats import escape_unsafe, is_unsafe_char
from archive_kit.output.tables import display_width as width


def clean(text: object, *, one_line: bool = True) -> str:
    """``text`` safe for a terminal: controls, escape sequences, C1 controls, bidi overrides and
    lone surrogates shown as ``\\x1b``, ``\\u202e``…; newlines and tabs kept only when not ``one_line``."""
    return escape_unsafe(str(text), keep="" if one_line else "\n\t")


def echo(text: object = "", *, err: bool = False, one_line: bool = False,
         decorate: Callable[[str], str] | None = None) -> None:
    """Print for people (stdout, or stderr with ``err``): cleaned first, then ``decorate``d with the
    CLI's own colours, so only archive-kit's escape sequences ever reach the terminal."""
    line = clean(text, one_line=one_line)
    click.echo(decorate(line) if decorate else line, err=err)


def emit_json(data: Any) -> None:
    """Print one JSON document (UTF-8, not ASCII-escaped) in which every unsafe character is a
    ``\\uNNNN`` escape: json.dumps escapes C0 controls itself but lets C1 controls, bidi overrides
    and lone surrogates through raw. The parsed values are unchanged."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    click.echo("".join(f"\\u{ord(c):04x}" if c != "\n" and is_unsafe_char(c) else c for c in text))


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
    """A plain-text table with a header rule; cells are cleaned and clipped to ``max_col`` columns."""
    cells = [[clip(clean("" if v is None else v), max_col) for v in row] for row in rows]
    widths = [width(h) for h in headers]
    for row in cells:
        for i, v in enumerate(row):
            widths[i] = max(widths[i], width(v))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - width(v)) for i, v in enumerate(values)).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)
