"""The bundle's table of contents as editable files: ``目录.docx`` and ``目录.xlsx``.

Both are rewritten with fixed zip timestamps and properties so a rebuild gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from .bundle_front import BundleMeta
from .bundle_plan import MISSING, Plan
from .output.tables import clean, save_package, xlsx_cell

HEADERS = ["测评指标", "档号", "题名", "文号", "日期", "起始页", "页数", "备注"]
FIXED = dt.datetime(2000, 1, 1)
_FIXED_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def toc_rows(plan: Plan) -> list[list[object]]:
    """The contents as rows: a heading row per criterion, then its documents (text cleaned for XML)."""
    rows: list[list[object]] = []
    for sec in plan.sections:
        rows.append([clean(sec.heading), "", "", "", "", "", "", MISSING if sec.missing else ""])
        for entry, linked in sec.rows:
            note = "关联材料" if linked else ""
            if entry.rendition.path is None:
                note = (note + "；" if note else "") + "未生成转换件"
            rows.append(["", clean(entry.code), clean(entry.title), clean(entry.doc.doc_number), entry.date8,
                         entry.start, entry.pages, note])
    return rows


def title_of(meta: BundleMeta) -> str:
    """The heading both files carry."""
    crit = f"（测评指标 {meta.criterion}）" if meta.criterion else ""
    return clean(f"{meta.unit} {meta.track_name} {meta.year}年度 迎检资料目录{crit}").strip()


def write_docx(plan: Plan, meta: BundleMeta, path: Path) -> None:
    """The contents as a Word table (landscape A4)."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Mm(15))
    d.add_heading(title_of(meta), level=1)
    table = d.add_table(rows=1, cols=len(HEADERS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, HEADERS):
        cell.text = text
    for row in toc_rows(plan):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = "" if value is None else str(value)
            for para in cell.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(9)
    props = d.core_properties
    props.author = clean(meta.unit or meta.fonds)
    props.title = title_of(meta)
    props.created = props.modified = props.last_printed = FIXED
    props.last_modified_by = "archive-kit"
    props.revision = 1
    save_package(d, path)
    normalise_zip(path)


def write_xlsx(plan: Plan, meta: BundleMeta, path: Path) -> None:
    """The contents as a spreadsheet with a frozen header row; every text is a text cell (``xlsx_cell``)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "目录"
    ws.append([xlsx_cell(ws, title_of(meta))])
    ws.append([xlsx_cell(ws, h) for h in HEADERS])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in toc_rows(plan):
        ws.append([xlsx_cell(ws, v) for v in row])
        if row[0]:
            ws.cell(ws.max_row, 1).font = Font(bold=True)
    for col, width in zip("ABCDEFGH", (26, 28, 48, 22, 11, 8, 7, 16)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    wb.properties.creator = clean(meta.unit or meta.fonds)
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.lastModifiedBy = "archive-kit"
    save_package(wb, path)
    normalise_zip(path)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip package with fixed member timestamps (and any now-stamped docProps fixed)."""
    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            if name == "docProps/core.xml":
                data = _FIXED_STAMP.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=FIXED.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    tmp.replace(path)
