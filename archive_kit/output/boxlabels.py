"""Printable box furniture after DA/T 22-2015 (6.4): spine labels (盒脊, one per box, as wide as the
box's spine), box covers (盒面: the 全宗名称) and remarks sheets (备考表), one page per box.

A box's spine width is chosen from the widths boxes are sold with (20, 30, 40, 50 mm) by the
thickness of its pages: ``SHEET_MM`` per page (70–80 g/m² copy paper, one sheet per page as
archived documents are printed single-sided) plus ``ALLOWANCE`` for staples, folds and the
remarks sheet; the narrowest spine that holds that, and 50 mm for anything thicker. So up to 166
pages take 20 mm, 250 pages 30 mm, 333 pages 40 mm, more 50 mm. The config's ``spine_width_mm``
sets one width for every box instead.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..config import SPINE_WIDTHS
from ..criteria.registry import TrackRegistry
from ..numbering import Box
from .listings import class_name
from .tables import clean, save_package

SPINE_HEIGHT_MM = 255.0
SHEET_MM = 0.1
ALLOWANCE = 0.2
SPINE_GAP_MM = 4.0  # between labels on a page, to cut along
PAGE_ROOM_MM = 180.0  # A4 portrait inside 15 mm margins


def spine_width(box: Box, fixed: int = 0) -> int:
    """The box's spine width in mm: ``fixed`` when set, else chosen by its pages (see the module)."""
    if fixed:
        return fixed
    thickness = box.pages * SHEET_MM * (1 + ALLOWANCE)
    return next((w for w in SPINE_WIDTHS if w >= thickness), SPINE_WIDTHS[-1])


def spine_pages(boxes: Sequence[Box], fixed: int = 0) -> list[list[tuple[Box, int]]]:
    """The boxes with their spine widths, grouped into A4 pages: as many labels side by side as fit."""
    pages: list[list[tuple[Box, int]]] = []
    used = PAGE_ROOM_MM + 1
    for box in boxes:
        width = spine_width(box, fixed)
        if used + SPINE_GAP_MM + width > PAGE_ROOM_MM:
            pages.append([])
            used = -SPINE_GAP_MM
        pages[-1].append((box, width))
        used += SPINE_GAP_MM + width
    return pages


def spine_fields(box: Box, registry: TrackRegistry) -> list[tuple[str, list[str]]]:
    """The spine's fields top to bottom: label and value lines (first item above last item); the
    class is the 机构（问题） of DA/T 22-2015, named as the catalogue cover names it."""
    fields = [
        ("全宗号", [box.fonds]),
        ("年度", [str(box.year)]),
        ("保管期限", [box.retention_name]),
        ("机构（问题）", [class_name(registry, box.track)]),
        ("起止件号", [f"{box.first_item:04d}", "至", f"{box.last_item:04d}"]),
        ("盒号", [str(box.box)]),
    ]
    return [(label, [clean(v) for v in values]) for label, values in fields]


def remarks_lines(box: Box, registry: TrackRegistry, unit_name: str) -> tuple[str, str]:
    """(identification line, contents line) of a box's remarks sheet."""
    ident = (f"全宗号：{box.fonds}　{unit_name + '　' if unit_name else ''}年度：{box.year}　"
             f"保管期限：{box.retention_name}　机构（问题）：{class_name(registry, box.track)}\n"
             f"盒号：{box.box}　起止件号：{box.first_item:04d}—{box.last_item:04d}")
    contents = f"本盒共有文件 {box.items} 件，共 {box.pages} 页。"
    return clean(ident), contents


# DA/T 22-2015 6.4.2: 盒内文件情况说明, 整理人, 整理日期, 检查人, 检查日期 (no 立卷时间: that
# belongs to the old file-based 案卷 system)
REMARKS_HEADING = "盒内文件情况说明："
SIGN_LINES = ["整理人：＿＿＿＿＿＿＿＿　　整理日期：＿＿＿＿年＿＿月＿＿日",
              "检查人：＿＿＿＿＿＿＿＿　　检查日期：＿＿＿＿年＿＿月＿＿日"]


def write_spines(out: Path, fmt: str, boxes: Sequence[Box], registry: TrackRegistry, *, width: int = 0) -> Path:
    """Spine labels, A4 portrait, each as wide as its box's spine (``spine_width``; ``width`` fixes
    it), side by side as many as fit on a page, cut along the frames."""
    pages = spine_pages(boxes, width)
    return _spines_pdf(out, pages, registry) if fmt == "pdf" else _spines_docx(out, pages, registry)


def write_covers(out: Path, fmt: str, boxes: Sequence[Box], *, unit_name: str = "") -> Path:
    """One box cover (盒面) per box, A4 portrait: the 全宗名称 (the unit's name) over a double rule,
    as DA/T 22-2015 6.4.1.1 puts on the box's face; a blank line to fill in where it is not set."""
    return _covers_pdf(out, boxes, unit_name) if fmt == "pdf" else _covers_docx(out, boxes, unit_name)


def write_remarks(out: Path, fmt: str, boxes: Sequence[Box], registry: TrackRegistry, *,
                  unit_name: str = "") -> Path:
    """One remarks sheet per box, each on its own A4 portrait page."""
    lines = [remarks_lines(box, registry, unit_name) for box in boxes]
    return _remarks_pdf(out, lines) if fmt == "pdf" else _remarks_docx(out, lines)


# --------------------------------------------------------------------------- PDF


SPINE_ROWS_MM = [22, 22, 22, 60, 70, SPINE_HEIGHT_MM - 196]


LABEL_PT = 9  # a spine field's label (全宗号, 机构（问题）…) where the spine is wide enough for it


def _value_size(label: str, width: int) -> float:
    """Font size (pt) of a spine value: the box number large, narrow spines smaller."""
    return (22 if label == "盒号" else 13) * (0.8 if width < 30 else 1.0)


def _spines_pdf(out: Path, pages: list[list[tuple[Box, int]]], registry: TrackRegistry) -> Path:
    from .pdfdoc import FAMILY, PdfDoc

    pdf = PdfDoc("P", footer_text="", margin=15)
    for page in pages:
        pdf.add_page()
        x0 = pdf.l_margin
        for box, width in page:
            y0 = pdf.t_margin
            pdf.set_line_width(0.4)
            pdf.rect(x0, y0, width, SPINE_HEIGHT_MM)
            y = y0
            for (label, values), h in zip(spine_fields(box, registry), SPINE_ROWS_MM):
                pdf.set_line_width(0.2)
                if y > y0:
                    pdf.line(x0, y, x0 + width, y)
                pdf.set_font(FAMILY, size=LABEL_PT)  # smaller where the label would touch the frame
                pdf.set_font(FAMILY, size=LABEL_PT * min(1.0, (width - 3) / pdf.get_string_width(label)))
                pdf.set_xy(x0, y + 2)
                pdf.cell(width, 5, label, align="C")
                size = _value_size(label, width)
                pdf.set_font(FAMILY, size=size)
                lines = [ln for v in values for ln in pdf.wrap(v, width - 3)]
                lh = size * 0.5
                top = y + 8 + max(0.0, (h - 8 - len(lines) * lh) / 2)
                for k, line in enumerate(lines):
                    pdf.set_xy(x0, top + k * lh)
                    pdf.cell(width, lh, line, align="C")
                y += h
            x0 += width + SPINE_GAP_MM
    return pdf.save(out)


def _covers_pdf(out: Path, boxes: Sequence[Box], unit_name: str) -> Path:
    from .pdfdoc import FAMILY, PdfDoc

    pdf = PdfDoc("P", footer_text="", margin=20)
    name = clean(unit_name) or "＿" * 12
    for _box in boxes:
        pdf.add_page()
        pdf.set_line_width(0.4)
        pdf.rect(pdf.l_margin, 25, pdf.content_width, pdf.h - 50)
        pdf.set_font(FAMILY, size=14)
        pdf.set_xy(pdf.l_margin, 95)
        pdf.cell(pdf.content_width, 10, "全宗名称", align="C")
        pdf.set_font(FAMILY, size=26)
        lines = pdf.wrap(name, pdf.content_width - 30)
        y = 112
        for line in lines:
            pdf.set_xy(pdf.l_margin, y)
            pdf.cell(pdf.content_width, 14, line, align="C")
            y += 14
        rule = min(pdf.content_width - 30, max(pdf.get_string_width(x) for x in lines) + 10)
        x = pdf.l_margin + (pdf.content_width - rule) / 2
        pdf.set_line_width(0.5)
        for dy in (2.0, 3.4):  # 下加双横线
            pdf.line(x, y + dy, x + rule, y + dy)
    return pdf.save(out)


def _remarks_pdf(out: Path, sheets: Sequence[tuple[str, str]]) -> Path:
    from .pdfdoc import FAMILY, PdfDoc

    pdf = PdfDoc("P", footer_text="", margin=20)
    for ident, contents in sheets:
        pdf.add_page()
        pdf.set_y(25)
        pdf.title_block("备　考　表", size=20)
        pdf.set_font(FAMILY, size=10)
        for line in pdf.wrap(ident, pdf.content_width):
            pdf.cell(pdf.content_width, 6, line, new_x="LMARGIN", new_y="NEXT")
        top = pdf.get_y() + 4
        pdf.rect(pdf.l_margin, top, pdf.content_width, pdf.h - top - 30)
        pdf.set_font(FAMILY, size=12)
        pdf.set_xy(pdf.l_margin + 5, top + 6)
        pdf.cell(0, 8, REMARKS_HEADING, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(pdf.l_margin + 12)
        pdf.cell(0, 8, contents, new_x="LMARGIN", new_y="NEXT")
        for k in range(8):  # ruled lines for handwritten notes (missing, damaged, added, removed)
            y = top + 34 + k * 12
            pdf.line(pdf.l_margin + 10, y, pdf.l_margin + pdf.content_width - 10, y)
        y = pdf.h - 30 - len(SIGN_LINES) * 12 - 6
        for line in SIGN_LINES:
            pdf.set_xy(pdf.l_margin + 25, y)
            pdf.cell(0, 8, line)
            y += 12
    return pdf.save(out)


# --------------------------------------------------------------------------- DOCX


def _spines_docx(out: Path, pages: list[list[tuple[Box, int]]], registry: TrackRegistry) -> Path:
    """One table per page, a column per box as wide as its spine."""
    from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm, Pt

    from .tables import new_docx

    d = new_docx(landscape=False, page_numbers=False)
    for n, page in enumerate(pages):
        if n:
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        table = d.add_table(rows=len(SPINE_ROWS_MM), cols=len(page))
        table.style = d.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for r, h in enumerate(SPINE_ROWS_MM):
            row = table.rows[r]
            row.height, row.height_rule = Mm(h - 1), WD_ROW_HEIGHT_RULE.EXACTLY
        for c, (box, width) in enumerate(page):
            table.columns[c].width = Mm(width)
            for r, (label, values) in enumerate(spine_fields(box, registry)):
                cell = table.cell(r, c)
                cell.width = Mm(width)
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.add_run(label).font.size = Pt(LABEL_PT)
                for v in values:
                    q = cell.add_paragraph()
                    q.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    run = q.add_run(v)
                    run.font.size = Pt(_value_size(label, width))
                    run.bold = label == "盒号"
        d.add_paragraph()
    save_package(d, out)
    return out


def _covers_docx(out: Path, boxes: Sequence[Box], unit_name: str) -> Path:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_UNDERLINE
    from docx.shared import Pt

    from .tables import new_docx

    d = new_docx(landscape=False, page_numbers=False, size_pt=14)
    name = clean(unit_name) or "＿" * 12
    for i, _box in enumerate(boxes):
        if i:
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        for _ in range(10):
            d.add_paragraph()
        label = d.add_paragraph()
        label.alignment = WD_ALIGN_PARAGRAPH.CENTER
        label.add_run("全宗名称").font.size = Pt(14)
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(name)
        run.font.size = Pt(26)
        run.font.underline = WD_UNDERLINE.DOUBLE  # 下加双横线
    save_package(d, out)
    return out


def _remarks_docx(out: Path, sheets: Sequence[tuple[str, str]]) -> Path:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    from .tables import docx_title, new_docx

    d = new_docx(landscape=False, page_numbers=False, size_pt=12)
    for i, (ident, contents) in enumerate(sheets):
        if i:
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        docx_title(d, "备　考　表", size_pt=20)
        for line in ident.split("\n"):
            d.add_paragraph(line).runs[0].font.size = Pt(10)
        table = d.add_table(rows=1, cols=1)
        table.style = d.styles["Table Grid"]
        cell = table.cell(0, 0)
        cell.paragraphs[0].add_run(REMARKS_HEADING).bold = True
        cell.add_paragraph("　　" + contents)
        for _ in range(14):
            cell.add_paragraph("")
        for line in SIGN_LINES:
            cell.add_paragraph(line).paragraph_format.left_indent = Pt(60)
        d.add_paragraph()
    save_package(d, out)
    return out
