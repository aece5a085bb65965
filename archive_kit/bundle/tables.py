"""The bundle's table of contents as editable files: ``目录.docx`` and ``目录.xlsx``.

Both are written by ``output.tables`` (the one DOCX/XLSX table writer), then given fixed
properties and zip timestamps, so a rebuild gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from ..output.listings import item_fields
from ..output.tables import Column, Sheet, clean, docx_document, save_package, write_xlsx as write_sheets
from .front import BundleMeta
from .plan import MISSING, Plan

# the item catalogue's columns (序号…备注), under each criterion's heading row, with the page in
# bundle.pdf where each document starts before its 页数
_ITEM = [f.column for f in item_fields(None)]
COLUMNS = [Column("测评指标", 2.2), *_ITEM[:-2], Column("起始页", 0.7, "C"), *_ITEM[-2:]]
FIXED = dt.datetime(2000, 1, 1)
_FIXED_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def toc_rows(plan: Plan) -> list[list[object]]:
    """The contents as rows: a heading row per criterion, then its documents numbered 1… through the
    contents, titles as the item catalogue prints them (a composed or file-name title in [ ])."""
    rows: list[list[object]] = []
    seq = 0
    for sec in plan.sections:
        rows.append([sec.heading] + [""] * (len(COLUMNS) - 2) + [MISSING if sec.missing else ""])
        for entry, linked in sec.rows:
            notes = [entry.doc.remarks or "", "关联材料" if linked else "",
                     "未生成转换件" if entry.rendition.path is None else ""]
            seq += 1
            doc = entry.doc
            rows.append(["", seq, entry.code, doc.doc_number, doc.author, doc.listed_title, entry.date8, doc.secrecy,
                         entry.start, entry.pages, "；".join(n for n in notes if n)])
    return rows


def title_of(meta: BundleMeta) -> str:
    """The heading both files carry."""
    crit = f"（测评指标 {meta.criterion}）" if meta.criterion else ""
    return clean(f"{meta.unit} {meta.track_name} {meta.year}年度 迎检资料目录{crit}").strip()


def contents_sheet(plan: Plan, meta: BundleMeta) -> Sheet:
    """The contents as one table, titled as the bundle is."""
    return Sheet(title_of(meta), "", COLUMNS, toc_rows(plan), name="目录")


def write_docx(plan: Plan, meta: BundleMeta, path: Path) -> None:
    """The contents as a Word table (landscape A4)."""
    d = docx_document([contents_sheet(plan, meta)])
    props = d.core_properties
    props.author = clean(meta.unit or meta.fonds)
    props.title = title_of(meta)
    props.created = props.modified = props.last_printed = FIXED
    props.last_modified_by = "archive-kit"
    props.revision = 1
    save_package(d, path)
    normalise_zip(path)


def write_xlsx(plan: Plan, meta: BundleMeta, path: Path) -> None:
    """The contents as a spreadsheet with a frozen header; every text is a text cell (``output.tables``)."""
    save_fixed_xlsx([contents_sheet(plan, meta)], path, creator=clean(meta.unit or meta.fonds))


def save_fixed_xlsx(sheets: list[Sheet], path: Path, *, creator: str) -> None:
    """Write sheets as XLSX with fixed properties and zip timestamps, so a rebuild gives the same bytes."""
    write_sheets(path, sheets, properties={"author": creator, "created": FIXED})
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
