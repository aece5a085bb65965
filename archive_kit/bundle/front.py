"""The fpdf2 half of ``bundle.pdf``: cover, table of contents, placeholder pages and the overlay
pages (archival stamp, running page number, photo caption) that are merged onto the renditions.

Everything is drawn in one fpdf2 document so the CJK font subset is embedded once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..dates import chinese_date
from ..fonts import require_cjk_font
from ..output.pdfdoc import CleanTextPDF
from .plan import MISSING, Entry, Plan, Section

A4 = (210.0, 297.0)
# the 归档章 (DA/T 22-2015 appendix): two rows of three 15 × 8 mm cells, 45 × 16 mm in all, kept at
# least STAMP_MARGIN mm from every edge of the page (printers clip closer to the edge)
STAMP_CELL = (15.0, 8.0)
STAMP_SIZE = (3 * STAMP_CELL[0], 2 * STAMP_CELL[1])
STAMP_MARGIN = 5.0
# where a first page's content goes on an A4 portrait page when its top has no blank area for the
# stamp (x, y from top, w, h in mm): a band on top holds the stamp, a 9 mm band below the page number
CONTENT_BOX = (10.5, STAMP_MARGIN + STAMP_SIZE[1] + 2.0, 189.0, 297.0 - STAMP_MARGIN - STAMP_SIZE[1] - 2.0 - 9.0)
CONTENT_BOX_LANDSCAPE = (8.0, CONTENT_BOX[1], 281.0, 210.0 - CONTENT_BOX[1] - 9.0)
PHOTO_BOX = (15.0, 22.0, 180.0, 226.0)
RED = (200, 30, 30)
# table of contents columns: (heading, width mm)
COLUMNS = [("档号", 44.0), ("题名", 70.0), ("文号", 30.0), ("日期", 17.0), ("起始页", 13.0), ("页数", 12.0)]
LEFT = 12.0
LINE_H = 4.6


@dataclass(frozen=True)
class BundleMeta:
    """What the cover and stamps say: unit, fonds, track, year, criterion and the date made."""

    unit: str
    fonds: str
    category: str
    track_name: str
    track_code: str | None
    year: int
    criterion: str | None
    made: dt.date
    class_name: str | None = None  # the 归档章's 机构（问题）: the schema's class_name, else track_code


def stamp_place(size: tuple[float, float]) -> tuple[float, float]:
    """Where the stamp goes (x, y of its top left, mm) on a page of ``size`` whose top-right corner is
    known to be blank (a placeholder, a photo page, a page shrunk to make room)."""
    return size[0] - STAMP_MARGIN - STAMP_SIZE[0], STAMP_MARGIN


@dataclass
class FrontLayout:
    """fpdf2 page numbers (1-based) of what was drawn, for the pypdf half to wire up."""

    front_pages: int = 0
    links: list[tuple[int, tuple[float, float, float, float], Entry]] = field(default_factory=list)
    section_pages: dict[int, int] = field(default_factory=dict)  # id(section) -> fpdf page
    placeholders: dict[int, int] = field(default_factory=dict)  # id(entry) -> fpdf page
    unreadable_page: int = 0
    overlays: list[int] = field(default_factory=list)  # fpdf page per evidence page, in order


class FrontMatter:
    """Draws the fpdf2 pages of a bundle."""

    def __init__(self, meta: BundleMeta) -> None:
        self.meta = meta
        self.pdf = CleanTextPDF(unit="mm", format="A4")
        self.pdf.add_font("cjk", "", str(require_cjk_font()))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creation_date(dt.datetime.combine(meta.made, dt.time(), dt.timezone.utc))
        self.pdf.set_title(f"{meta.track_name} {meta.year} 迎检资料汇编")
        self.pdf.set_creator("archive-kit")
        self.layout = FrontLayout()

    # --- front matter -------------------------------------------------------------------

    def cover(self, plan: Plan) -> None:
        """The cover: unit, track, year, criterion, item and page counts, date made."""
        m, pdf = self.meta, self.pdf
        pdf.add_page()
        pdf.set_font("cjk", size=16)
        pdf.set_y(55)
        pdf.multi_cell(0, 10, m.unit or "", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.set_font("cjk", size=26)
        pdf.multi_cell(0, 14, f"{m.track_name}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 14, "迎检资料汇编", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
        pdf.set_font("cjk", size=16)
        pdf.cell(0, 10, f"{m.year} 年度", align="C", new_x="LMARGIN", new_y="NEXT")
        if m.criterion:
            pdf.multi_cell(0, 10, f"测评指标：{m.criterion}", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(190)
        pdf.set_font("cjk", size=13)
        docs = len(plan.entries)
        lines = [f"全宗号：{m.fonds}", f"共 {docs} 件，{plan.pages} 页",
                 f"编制日期：{chinese_date(m.made)}"]
        for line in lines:
            pdf.cell(0, 9, line, align="C", new_x="LMARGIN", new_y="NEXT")
        self._front_number()

    def contents(self, plan: Plan) -> None:
        """The table of contents grouped by criterion; rows remember their rectangles for links."""
        pdf = self.pdf
        self._toc_page(first=True)
        for sec in plan.sections:
            self._heading(sec)
            for entry, linked in sec.rows:
                self._row(entry, linked)
        self._front_number()
        self.layout.front_pages = pdf.page

    def _toc_page(self, first: bool = False) -> None:
        """A new contents page with the column headings."""
        pdf = self.pdf
        if not first:
            self._front_number()
        pdf.add_page()
        pdf.set_y(14)
        if first:
            pdf.set_font("cjk", size=18)
            pdf.cell(0, 12, "目　录", align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        pdf.set_font("cjk", size=9)
        pdf.set_fill_color(225, 225, 225)
        x = LEFT
        y = pdf.get_y()
        for name, w in COLUMNS:
            pdf.set_xy(x, y)
            pdf.cell(w, 7, name, border=1, align="C", fill=True)
            x += w
        pdf.set_xy(LEFT, y + 7)

    def _need(self, h: float) -> None:
        """Start a new contents page when ``h`` mm do not fit."""
        if self.pdf.get_y() + h > A4[1] - 16:
            self._toc_page()

    def _heading(self, sec: Section) -> None:
        """A criterion heading row (with the missing-evidence mark when it has none)."""
        pdf = self.pdf
        total = sum(w for _, w in COLUMNS)
        pdf.set_font("cjk", size=10)
        text = "　" * (sec.depth - 1) + sec.heading
        lines = pdf.multi_cell(total - 34, LINE_H + 0.6, text, dry_run=True, output="LINES")
        h = max(1, len(lines)) * (LINE_H + 0.6) + 2
        self._need(h + (LINE_H + 2 if sec.rows else 0))
        y = pdf.get_y()
        self.layout.section_pages[id(sec)] = pdf.page
        pdf.set_fill_color(240, 240, 240)
        pdf.rect(LEFT, y, total, h, style="DF")
        pdf.set_xy(LEFT + 1, y + 1)
        pdf.multi_cell(total - 34, LINE_H + 0.6, text)
        if sec.missing:
            pdf.set_text_color(*RED)
            pdf.set_xy(LEFT + total - 33, y + 1)
            pdf.cell(32, LINE_H + 0.6, MISSING, align="R")
            pdf.set_text_color(0, 0, 0)
        pdf.set_xy(LEFT, y + h)

    def _row(self, entry: Entry, linked: bool) -> None:
        """One document row; a repeat listing (a link) says so after the title."""
        pdf = self.pdf
        pdf.set_font("cjk", size=8.5)
        title = entry.title + ("（关联材料）" if linked else "")
        values = [entry.code, title, entry.doc.doc_number or "", entry.date8, str(entry.start), str(entry.pages)]
        cells = [pdf.multi_cell(w - 1.6, LINE_H, v, dry_run=True, output="LINES") if v else [""]
                 for v, (_, w) in zip(values, COLUMNS)]
        h = max(len(c) for c in cells) * LINE_H + 2
        self._need(h)
        y = pdf.get_y()
        x = LEFT
        for lines, (_, w), align in zip(cells, COLUMNS, "LLLCCC"):
            pdf.rect(x, y, w, h)
            pdf.set_xy(x + 0.8, y + 1)
            pdf.multi_cell(w - 1.6, LINE_H, "\n".join(lines), align=align)
            x += w
        self.layout.links.append((pdf.page, (LEFT, y, x - LEFT, h), entry))
        pdf.set_xy(LEFT, y + h)

    def _front_number(self) -> None:
        """Roman page number at the bottom of a front-matter page."""
        pdf = self.pdf
        pdf.set_font("cjk", size=9)
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(0, A4[1] - 10)
        pdf.cell(A4[0], 5, _roman(pdf.page), align="C")

    # --- evidence ------------------------------------------------------------------------

    def placeholder(self, entry: Entry) -> None:
        """The page that stands in for a document without a usable rendition."""
        pdf = self.pdf
        pdf.add_page()
        self.layout.placeholders[id(entry)] = pdf.page
        box_x, box_y, box_w, _ = CONTENT_BOX
        pdf.set_draw_color(120, 120, 120)
        pdf.rect(box_x + 10, 70, box_w - 20, 110)
        pdf.set_xy(box_x + 16, 80)
        pdf.set_font("cjk", size=16)
        pdf.multi_cell(box_w - 32, 9, "此件未能生成 PDF 转换件", align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=11)
        doc = entry.doc
        lines = [f"档号：{entry.code}", f"题名：{entry.title}", f"原件：originals/ 文件夹中的 {doc.original_name}",
                 f"说明：{entry.rendition.note or '转换件无法读取'}"]
        for line in lines:
            pdf.set_x(box_x + 16)
            pdf.multi_cell(box_w - 32, 7, line, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(0, 0, 0)

    def unreadable(self) -> None:
        """One shared page for single pages of a rendition that cannot be copied."""
        pdf = self.pdf
        pdf.add_page()
        self.layout.unreadable_page = pdf.page
        pdf.set_font("cjk", size=14)
        pdf.set_xy(20, 120)
        pdf.multi_cell(170, 9, "此页无法读取（转换件已损坏），请查阅原件。", align="C")

    def overlay(self, entry: Entry, k: int, size: tuple[float, float], number: int,
                stamp_at: tuple[float, float] | None = None) -> None:
        """The overlay of one evidence page: page number, stamp on a first page (its top left at
        ``stamp_at``, else the top-right corner), caption on a photo."""
        pdf = self.pdf
        pdf.add_page(format=size)
        self.layout.overlays.append(pdf.page)
        pdf.set_font("cjk", size=10)
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(0, size[1] - 8)
        pdf.cell(size[0], 5, f"- {number} -", align="C")
        if k == 0:
            self._stamp(entry, stamp_at or stamp_place(size))
        if entry.is_photo and entry.rendition.path is not None:
            self._caption(entry, size)

    def _stamp(self, entry: Entry, at: tuple[float, float]) -> None:
        """The archival stamp (归档章) with its top left at ``at`` (mm), cells as DA/T 22-2015 orders
        them: 全宗号, 年度, 件号 over 机构（问题）, 保管期限, 页数."""
        pdf = self.pdf
        cw, ch = STAMP_CELL
        x0, y0 = at
        pdf.set_draw_color(*RED)
        pdf.set_text_color(*RED)
        pdf.set_line_width(0.35)
        for i, (label, value) in enumerate(stamp_cells(self.meta, entry)):
            x, y = x0 + (i % 3) * cw, y0 + (i // 3) * ch
            pdf.rect(x, y, cw, ch)
            pdf.set_font("cjk", size=4.6)
            pdf.set_xy(x, y + 0.3)
            pdf.cell(cw, 2.4, label, align="C")
            size = 8.0
            pdf.set_font("cjk", size=size)
            while size > 4.0 and pdf.get_string_width(value) > cw - 1.0:  # a long class name still fits
                size -= 0.5
                pdf.set_font("cjk", size=size)
            pdf.set_xy(x, y + 3.0)
            pdf.cell(cw, 4.4, value, align="C")
        pdf.set_draw_color(0, 0, 0)
        pdf.set_text_color(0, 0, 0)
        pdf.set_line_width(0.2)

    def _caption(self, entry: Entry, size: tuple[float, float]) -> None:
        """The caption under an image: a photo's archival code and DA/T 50 fields (题名, 时间, 地点,
        人物, 摄影者, 背景/事由, 备注); a scan's title, date and remarks."""
        pdf, doc = self.pdf, entry.doc
        x, y, w, h = PHOTO_BOX
        pdf.set_xy(x, y + h + 3)
        if doc.is_photo:
            pdf.set_font("cjk", size=9.5)
            lines = [f"档号：{entry.code}　题名：{_clip(entry.title, 60)}",
                     f"时间：{doc.date or '不详'}　地点：{_clip(doc.place or '不详', 40)}　"
                     f"摄影者：{_clip(doc.photographer or '不详', 20)}",
                     f"人物：{_clip(doc.people or '—', 90)}", f"背景/事由：{_clip(doc.background or '—', 90)}"]
            step = 5.0
        else:
            pdf.set_font("cjk", size=10.5)
            lines = [f"题名：{_clip(entry.title, 90)}", f"日期：{doc.date or '不详'}"]
            step = 5.6
        if doc.remarks:
            lines.append(f"备注：{_clip(doc.remarks, 90 if doc.is_photo else 140)}")
        for line in lines:
            pdf.set_x(x)
            pdf.multi_cell(w, step, line, new_x="LMARGIN", new_y="NEXT", max_line_height=step)

    def output(self) -> bytes:
        """The fpdf2 document's bytes."""
        return bytes(self.pdf.output())


def stamp_cells(meta: BundleMeta, entry: Entry) -> list[tuple[str, str]]:
    """The stamp's six (label, value) cells in reading order."""
    doc = entry.doc
    item = f"{doc.item_number:04d}" if doc.item_number else ""
    return [("全宗号", meta.fonds), ("年度", str(doc.year or meta.year)), ("件号", item),
            ("机构（问题）", meta.class_name or meta.track_code or meta.category), ("保管期限", doc.retention or ""),
            ("页数", str(entry.pages))]


def _clip(text: str, n: int) -> str:
    """At most ``n`` characters, marked with … when cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


def _roman(n: int) -> str:
    """Lower-case roman numeral (front matter page numbers)."""
    out = []
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
