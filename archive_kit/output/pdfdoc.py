"""A small fpdf2 helper for printed A4 pages in Chinese: the embedded TrueType CJK font, titles,
tables whose header row repeats on every page, and a "第 X 页 共 Y 页" footer whose numbers can
restart (one catalogue after another in one file, each numbered from 1, its cover unnumbered).

Only a TrueType CJK font (``require_cjk_font()``) is used, embedded as a subset: never a
non-embedded CID font, so the PDF prints the same on any machine.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from fpdf import FPDF

from ..fonts import require_cjk_font
from ..textnorm import clean_text

FAMILY = "cjk"
PT_TO_MM = 25.4 / 72


@dataclass(frozen=True)
class PdfColumn:
    """A table column: header text, width in mm, alignment (``L``, ``C``, ``R``)."""

    header: str
    width: float
    align: str = "L"


class CleanTextPDF(FPDF):
    """An FPDF whose every text (cell, multi_cell, text, write, measuring) first goes through
    ``clean_text``: a control character in a title has no glyph and must not reach the page."""

    def normalize_text(self, text: str) -> str:
        """fpdf2 passes every text through here before drawing or measuring it."""
        return super().normalize_text(clean_text(text))


class PdfDoc(CleanTextPDF):
    """An A4 document with the CJK font registered and a page-number footer (``footer_text``
    may use ``{page}`` and ``{pages}``; empty for no footer). Pages are numbered from 1 through the
    document unless ``restart_numbering`` starts a new run; ``unnumbered`` leaves a page (a cover)
    out. Footers are drawn when the document is saved, once every run's page total is known, and
    each run is also a PDF page-label range (``1``, ``2``… in a reader's page box)."""

    def __init__(self, orientation: str = "L", *, margin: float = 15.0,
                 footer_text: str = "第 {page} 页 共 {pages} 页", font: Path | None = None) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FAMILY, "", str(font or require_cjk_font()))
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(False)
        self.footer_text = footer_text
        self.set_font(FAMILY, size=10)
        self._widths: dict[tuple[float, str], float] = {}
        self._run_starts: list[int] = [1]  # the first page of each numbering run
        self._unnumbered: set[int] = set()

    # --- page furniture ---------------------------------------------------------------

    def restart_numbering(self) -> None:
        """The pages added from now on are numbered from 1 again (a new catalogue in the same file)."""
        if self.page == 0:
            return
        self._run_starts.append(self.page + 1)

    def unnumbered(self) -> None:
        """Leave the current page (a cover) out of the page numbers."""
        self._unnumbered.add(self.page)

    def page_numbers(self) -> dict[int, tuple[int, int]]:
        """Each numbered page's (number, total of its run)."""
        last = self.page
        out: dict[int, tuple[int, int]] = {}
        bounds = [*self._run_starts, last + 1]
        for start, end in zip(bounds, bounds[1:]):
            pages = [p for p in range(start, end) if p not in self._unnumbered]
            out.update({p: (n, len(pages)) for n, p in enumerate(pages, 1)})
        return out

    def _draw_footers(self) -> None:
        """Draw every page's number line and set its page label (at save: the run totals are known)."""
        last = self.page
        numbers = self.page_numbers()
        for page in range(1, last + 1):
            self.page = page
            if page in numbers:
                self.set_page_label("D", "", numbers[page][0])
            else:  # a cover: 封面1, 封面2… by its run
                self.set_page_label("D", "封面", sum(1 for s in self._run_starts if s <= page))
            if not self.footer_text or page not in numbers:
                continue
            number, total = numbers[page]
            self.font_family = ""  # a page's content stream sets its own font: select it again on this page
            self.set_font(FAMILY, size=9)
            self.set_xy(self.l_margin, self.h - self.b_margin * 0.75)
            self.cell(self.content_width, 5, self.footer_text.format(page=number, pages=total), align="C")
        self.page = last

    @property
    def content_width(self) -> float:
        """Width between the margins, in mm."""
        return self.w - self.l_margin - self.r_margin

    @property
    def bottom(self) -> float:
        """The lowest y that content may reach."""
        return self.h - self.b_margin

    # --- text measuring ---------------------------------------------------------------

    def text_width(self, text: str) -> float:
        """Width of ``text`` in mm at the current font size (cached per character)."""
        size = self.font_size_pt
        cache = self._widths
        total = 0.0
        for ch in text:
            w = cache.get((size, ch))
            if w is None:
                w = cache[(size, ch)] = self.get_string_width(ch)
            total += w
        return total

    def wrap(self, text: str, width: float) -> list[str]:
        """Break ``text`` into lines no wider than ``width`` mm (any character may break; newlines kept)."""
        lines: list[str] = []
        size = self.font_size_pt
        cache = self._widths
        for para in (text or "").split("\n"):
            line, used = [], 0.0
            for ch in para:
                w = cache.get((size, ch))
                if w is None:
                    w = cache[(size, ch)] = self.get_string_width(ch)
                if line and used + w > width:
                    lines.append("".join(line))
                    line, used = [], 0.0
                line.append(ch)
                used += w
            lines.append("".join(line))
        return lines or [""]

    # --- building blocks --------------------------------------------------------------

    def title_block(self, title: str, subtitle: str = "", *, size: float = 16) -> None:
        """A centred title (and a smaller subtitle line) at the current position."""
        self.set_font(FAMILY, size=size)
        self.set_xy(self.l_margin, self.get_y())
        self.cell(self.content_width, size * PT_TO_MM * 1.6, title, align="C", new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self.set_font(FAMILY, size=10)
            for line in self.wrap(subtitle, self.content_width):
                self.cell(self.content_width, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def cover(self, title: str, fields: Sequence[tuple[str, str]]) -> None:
        """A catalogue's cover page: the title large in the upper third, then one "label：value" line
        per field, left-aligned in a block at the page's centre."""
        self.set_y(self.h * 0.22)
        self.title_block(title, size=28)
        self.set_font(FAMILY, size=15)
        left = self.l_margin + self.content_width * 0.3
        self.set_y(self.h * 0.45)
        for label, value in fields:
            for line in self.wrap(f"{label}：{value}", self.content_width * 0.6):
                self.set_x(left)
                self.cell(self.content_width * 0.6, 11, line, align="L", new_x="LMARGIN", new_y="NEXT")

    def table(self, columns: Sequence[PdfColumn], rows: Sequence[Sequence[object]], *, font_size: float = 9,
              line_height: float | None = None, padding: float = 1.2, new_page_title: str = "") -> None:
        """A bordered table that breaks across pages, repeating the header row on each new page
        (with ``new_page_title`` above it); cells wrap, a row never splits across pages."""
        lh = line_height or font_size * PT_TO_MM * 1.45
        self.set_font(FAMILY, size=font_size)
        self._draw_header(columns, lh, padding)
        for row in rows:
            cells = [self.wrap("" if v is None else str(v), c.width - 2 * padding) for c, v in zip(columns, row)]
            height = max(len(c) for c in cells) * lh + 2 * padding
            if self.get_y() + height > self.bottom:
                self.add_page()
                if new_page_title:
                    self.set_font(FAMILY, size=10)
                    self.cell(self.content_width, 6, new_page_title, align="L", new_x="LMARGIN", new_y="NEXT")
                self.set_font(FAMILY, size=font_size)
                self._draw_header(columns, lh, padding)
            self._draw_row(columns, cells, height, lh, padding)

    def _draw_header(self, columns: Sequence[PdfColumn], lh: float, padding: float) -> None:
        cells = [self.wrap(c.header, c.width - 2 * padding) for c in columns]
        height = max(len(c) for c in cells) * lh + 2 * padding
        self.set_fill_color(225, 225, 225)
        x = self.l_margin
        for col in columns:
            self.rect(x, self.get_y(), col.width, height, style="DF")
            x += col.width
        self._draw_row([PdfColumn(c.header, c.width, "C") for c in columns], cells, height, lh, padding, border=False)

    def _draw_row(self, columns: Sequence[PdfColumn], cells: list[list[str]], height: float, lh: float,
                  padding: float, border: bool = True) -> None:
        y = self.get_y()
        x = self.l_margin
        ascent = lh * 0.72
        for col, lines in zip(columns, cells):
            if border:
                self.rect(x, y, col.width, height)
            top = y + padding + (height - 2 * padding - len(lines) * lh) / 2
            for i, line in enumerate(lines):
                if not line:
                    continue
                if col.align == "C":
                    tx = x + (col.width - self.text_width(line)) / 2
                elif col.align == "R":
                    tx = x + col.width - padding - self.text_width(line)
                else:
                    tx = x + padding
                self.text(tx, top + i * lh + ascent, line)
            x += col.width
        self.set_xy(self.l_margin, y + height)

    def save(self, path: Path) -> Path:
        """Draw the page numbers and write the PDF to ``path``."""
        self._draw_footers()
        self.output(str(path))
        return path
