"""Printable box furniture: spine labels (盒脊, one per box) and remarks sheets (备考表, one page per box)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..numbering import Box
from .tables import clean, save_package

SPINE_WIDTH_MM = 40.0  # boxes come with 20, 30, 40 or 50 mm spines
SPINE_HEIGHT_MM = 255.0
SPINES_PER_PAGE = 4


def spine_fields(box: Box) -> list[tuple[str, list[str]]]:
    """The spine's fields top to bottom: label and value lines (first item above last item)."""
    fields = [
        ("全宗号", [box.fonds]),
        ("年度", [str(box.year)]),
        ("保管期限", [box.retention_name]),
        ("类别", [box.track_name, box.track_code]),
        ("起止件号", [f"{box.first_item:04d}", "至", f"{box.last_item:04d}"]),
        ("盒号", [str(box.box)]),
    ]
    return [(label, [clean(v) for v in values]) for label, values in fields]


def remarks_lines(box: Box, unit_name: str) -> tuple[str, str]:
    """(identification line, contents line) of a box's remarks sheet."""
    ident = (f"全宗号：{box.fonds}　{unit_name + '　' if unit_name else ''}年度：{box.year}　"
             f"保管期限：{box.retention_name}　类别：{box.track_name}（{box.track_code}）\n"
             f"盒号：{box.box}　起止件号：{box.first_item:04d}—{box.last_item:04d}")
    contents = f"本盒共有文件 {box.items} 件，共 {box.pages} 页。"
    return clean(ident), contents


SIGN_LINES = ["整理人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
              "检查人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
              "立卷时间：＿＿＿＿年＿＿月＿＿日"]


def write_spines(out: Path, fmt: str, boxes: Sequence[Box], *, unit_name: str = "") -> Path:
    """Spine labels, A4 portrait, four 40 mm labels side by side per page, cut along the frames."""
    return _spines_pdf(out, boxes) if fmt == "pdf" else _spines_docx(out, boxes)


def write_remarks(out: Path, fmt: str, boxes: Sequence[Box], *, unit_name: str = "") -> Path:
    """One remarks sheet per box, each on its own A4 portrait page."""
    return _remarks_pdf(out, boxes, unit_name) if fmt == "pdf" else _remarks_docx(out, boxes, unit_name)


# --------------------------------------------------------------------------- PDF


def _spines_pdf(out: Path, boxes: Sequence[Box]) -> Path:
    from .pdfdoc import FAMILY, PdfDoc

    pdf = PdfDoc("P", footer_text="", margin=15)
    gap = (pdf.content_width - SPINES_PER_PAGE * SPINE_WIDTH_MM) / (SPINES_PER_PAGE - 1)
    for i, box in enumerate(boxes):
        if i % SPINES_PER_PAGE == 0:
            pdf.add_page()
        x0 = pdf.l_margin + (i % SPINES_PER_PAGE) * (SPINE_WIDTH_MM + gap)
        y0 = pdf.t_margin
        pdf.set_line_width(0.4)
        pdf.rect(x0, y0, SPINE_WIDTH_MM, SPINE_HEIGHT_MM)
        fields = spine_fields(box)
        heights = [22, 22, 22, 60, 70, SPINE_HEIGHT_MM - 196]
        y = y0
        for (label, values), h in zip(fields, heights):
            pdf.set_line_width(0.2)
            if y > y0:
                pdf.line(x0, y, x0 + SPINE_WIDTH_MM, y)
            pdf.set_font(FAMILY, size=9)
            pdf.set_xy(x0, y + 2)
            pdf.cell(SPINE_WIDTH_MM, 5, label, align="C")
            size = 22 if label == "盒号" else 13
            pdf.set_font(FAMILY, size=size)
            lines = [ln for v in values for ln in pdf.wrap(v, SPINE_WIDTH_MM - 4)]
            lh = size * 0.5
            top = y + 8 + max(0.0, (h - 8 - len(lines) * lh) / 2)
            for k, line in enumerate(lines):
                pdf.set_xy(x0, top + k * lh)
                pdf.cell(SPINE_WIDTH_MM, lh, line, align="C")
            y += h
    return pdf.save(out)


def _remarks_pdf(out: Path, boxes: Sequence[Box], unit_name: str) -> Path:
    from .pdfdoc import FAMILY, PdfDoc

    pdf = PdfDoc("P", footer_text="", margin=20)
    for box in boxes:
        ident, contents = remarks_lines(box, unit_name)
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
        pdf.cell(0, 8, "本盒文件情况说明：", new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(pdf.l_margin + 12)
        pdf.cell(0, 8, contents, new_x="LMARGIN", new_y="NEXT")
        for k in range(8):  # ruled lines for handwritten notes (missing, damaged, added, removed)
            y = top + 34 + k * 12
            pdf.line(pdf.l_margin + 10, y, pdf.l_margin + pdf.content_width - 10, y)
        y = pdf.h - 30 - 3 * 12 - 6
        for line in SIGN_LINES:
            pdf.set_xy(pdf.l_margin + 25, y)
            pdf.cell(0, 8, line)
            y += 12
    return pdf.save(out)


# --------------------------------------------------------------------------- DOCX


def _spines_docx(out: Path, boxes: Sequence[Box]) -> Path:
    from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm, Pt

    from .tables import new_docx

    d = new_docx(landscape=False, page_numbers=False)
    heights = [22, 22, 22, 60, 70, SPINE_HEIGHT_MM - 196]
    for start in range(0, len(boxes), SPINES_PER_PAGE):
        group = boxes[start:start + SPINES_PER_PAGE]
        if start:
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        table = d.add_table(rows=len(heights), cols=len(group))
        table.style = d.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        for r, h in enumerate(heights):
            row = table.rows[r]
            row.height, row.height_rule = Mm(h - 1), WD_ROW_HEIGHT_RULE.EXACTLY
        for c, box in enumerate(group):
            for r, (label, values) in enumerate(spine_fields(box)):
                cell = table.cell(r, c)
                cell.width = Mm(SPINE_WIDTH_MM)
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.add_run(label).font.size = Pt(9)
                for v in values:
                    q = cell.add_paragraph()
                    q.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    run = q.add_run(v)
                    run.font.size = Pt(22 if label == "盒号" else 13)
                    run.bold = label == "盒号"
        d.add_paragraph()
    save_package(d, out)
    return out


def _remarks_docx(out: Path, boxes: Sequence[Box], unit_name: str) -> Path:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    from .tables import docx_title, new_docx

    d = new_docx(landscape=False, page_numbers=False, size_pt=12)
    for i, box in enumerate(boxes):
        ident, contents = remarks_lines(box, unit_name)
        if i:
            d.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        docx_title(d, "备　考　表", size_pt=20)
        for line in ident.split("\n"):
            d.add_paragraph(line).runs[0].font.size = Pt(10)
        table = d.add_table(rows=1, cols=1)
        table.style = d.styles["Table Grid"]
        cell = table.cell(0, 0)
        cell.paragraphs[0].add_run("本盒文件情况说明：").bold = True
        cell.add_paragraph("　　" + contents)
        for _ in range(14):
            cell.add_paragraph("")
        for line in SIGN_LINES:
            cell.add_paragraph(line).paragraph_format.left_indent = Pt(60)
        d.add_paragraph()
    save_package(d, out)
    return out
