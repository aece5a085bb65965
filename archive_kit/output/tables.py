"""Printable tables in four formats: CSV for Excel, XLSX, DOCX and PDF, all A4 landscape.

A ``Sheet`` is one titled table (a classification unit's item catalogue, a box listing, a
coverage report); a file holds one or more sheets. Headers repeat on every printed page. In DOCX
and PDF each sheet is a catalogue of its own: its own cover page where it has one (``cover``),
and page numbers starting at 1.
"""
from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ..textnorm import clean_text

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

PRINT_WIDTH_MM = 267.0  # A4 landscape (297 mm) less 15 mm margins
# OWASP "CSV injection": Excel, WPS and LibreOffice run a cell starting with one of these as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """A column: header, relative print width (share of the page), alignment ``L``/``C``/``R``."""

    header: str
    weight: float = 1.0
    align: str = "L"


@dataclass
class Sheet:
    """One titled table: ``title`` (e.g. 归档文件目录), ``subtitle`` (fonds, unit, year…), columns, rows."""

    title: str
    subtitle: str
    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)
    name: str = "Sheet"
    # (label, value) lines of the catalogue's cover page (封面: 全宗号, 全宗名称, 年度…); none: no cover
    cover: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title, self.subtitle = clean(self.title), clean(self.subtitle)
        self.cover = [(clean(label), clean(value)) for label, value in self.cover]

    def widths_mm(self, total: float = PRINT_WIDTH_MM) -> list[float]:
        """Column widths in mm sharing ``total`` by weight."""
        weights = sum(c.weight for c in self.columns)
        return [total * c.weight / weights for c in self.columns]


def clean(value: object) -> str:
    """A cell's text: None → empty, control characters (illegal in XML) removed (``clean_text``)."""
    return "" if value is None else clean_text(str(value))


def csv_cell(value: object) -> str:
    """A CSV cell's text: ``clean``, and text a spreadsheet would run as a formula (a title
    ``=HYPERLINK(…)`` from a manifest) gets a leading ``'`` so it opens as text (OWASP)."""
    text = clean(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


def save_package(package, path: Path) -> None:
    """Save a python-docx ``Document`` to ``path`` through memory.

    python-docx writes its zip straight into the file and leaves it open when a write fails (disk
    full): the zip's finaliser then fails a second time at exit, past any error handling.
    """
    buf = io.BytesIO()
    package.save(buf)
    with open(path, "wb") as fh:
        fh.write(buf.getbuffer())


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def column_width(header: str, values: Iterable[object], *, least: int = 6, most: int = 60) -> int:
    """A spreadsheet column's width for its header and values: the widest display width plus 2,
    between ``least`` and ``most``. A value is measured only when it could be wider than the
    widest so far (a text takes at most twice its length): most of a long column never is."""
    widest = display_width(header)
    for value in values:
        text = clean(value)
        if 2 * len(text) > widest:
            widest = max(widest, display_width(text))
            if widest + 2 >= most:
                break
    return min(max(widest + 2, least), most)


# --------------------------------------------------------------------------- CSV


def write_csv(path: Path, sheets: Sequence[Sheet]) -> Path:
    """UTF-8 with BOM (Excel and WPS open Chinese correctly): per sheet a title line (none for a
    sheet without title and subtitle: one plain table for machines), the header row and the rows;
    sheets are separated by an empty line."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        for i, sheet in enumerate(sheets):
            if i:
                w.writerow([])
            if sheet.title or sheet.subtitle:
                w.writerow([csv_cell(f"{sheet.title}  {sheet.subtitle}".strip())])
            w.writerow([csv_cell(c.header) for c in sheet.columns])
            w.writerows([csv_cell(v) for v in row] for row in sheet.rows)
    return path


# --------------------------------------------------------------------------- XLSX


def write_xlsx(path: Path, sheets: Sequence[Sheet], *, properties: Mapping[str, Any] | None = None) -> Path:
    """One worksheet per sheet (``xlsx_bytes``), written to ``path``."""
    data = xlsx_bytes(sheets, properties=properties)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


XLSX_MAX_CHARS = 32767  # Excel's limit for one cell's text


def xlsx_bytes(sheets: Sequence[Sheet], *, properties: Mapping[str, Any] | None = None) -> bytes:
    """An XLSX package with one worksheet per sheet: merged title rows, a bold framed header frozen
    under them, column widths fitted to Chinese text, A4 landscape fitted to the page's width with
    the title and header repeated on every page and a 第 X 页 共 Y 页 footer; body cells framed
    with thin borders, wrapped and aligned as their column.

    Every text is a text cell, never a formula; a text that starts like one (``FORMULA_STARTS``,
    OWASP "CSV injection") also gets Excel's quote prefix, so it stays text when the cell is edited.
    Written by XlsxWriter in memory (three times openpyxl's speed on 20,000 styled rows; nothing
    goes to a temporary file). ``properties``: document properties as XlsxWriter's
    ``set_properties`` takes them (``author``, ``created``…)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False})
    if properties:
        wb.set_properties(dict(properties))

    def formats(spec: dict[str, Any]) -> tuple[Any, Any]:
        """A cell format, plain and with the quote prefix (for a text that starts like a formula)."""
        return wb.add_format(spec), wb.add_format({**spec, "quote_prefix": True})

    title = formats({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    subtitle = formats({"align": "center", "valign": "vcenter"})
    header = formats({"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1,
                      "bg_color": "#DDDDDD"})
    body = {a: formats({"border": 1, "text_wrap": True, "valign": "vcenter",
                        "align": {"C": "center", "R": "right"}.get(a, "left")}) for a in "LCR"}
    used: set[str] = set()
    for sheet in sheets:
        ws = wb.add_worksheet(_sheet_name(sheet.name, used))
        last = max(len(sheet.columns) - 1, 0)
        for i, col in enumerate(sheet.columns):
            ws.set_column(i, i, column_width(col.header, (r[i] for r in sheet.rows[:5000])))
        for row, text, fmt in ((0, sheet.title, title), (1, sheet.subtitle, subtitle)):
            if last:
                ws.merge_range(row, 0, row, last, "", fmt[0])
            _write_cell(ws, row, 0, text, fmt)
        for i, col in enumerate(sheet.columns):
            _write_cell(ws, 2, i, col.header, header)
        columns = [body.get(c.align, body["L"]) for c in sheet.columns]
        for r, values in enumerate(sheet.rows, 3):
            for c, (value, fmt) in enumerate(zip(values, columns)):
                _write_cell(ws, r, c, value, fmt)
        ws.freeze_panes(3, 0)
        ws.repeat_rows(0, 2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_footer("&C第 &P 页 共 &N 页")
    if not sheets:
        wb.add_worksheet("Sheet")
    wb.close()
    return buf.getvalue()


def _xlsx_text(value: object) -> str:
    """A cell's text (``clean``), cut to what one Excel cell holds."""
    text = clean(value)
    return text if len(text) <= XLSX_MAX_CHARS else text[:XLSX_MAX_CHARS - 1] + "…"


def _write_cell(ws: Any, row: int, col: int, value: object, formats: tuple[Any, Any]) -> None:
    """One cell: a finite number as a number, anything else as text (in the quote-prefixed format
    of the (plain, quoted) ``formats`` when it starts like a formula), an empty value as a blank cell
    in its format (framed, in the body)."""
    plain, quoted = formats
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        ws.write_number(row, col, value, plain)
        return
    text = "" if value is None else _xlsx_text(value)
    if not text:
        ws.write_blank(row, col, None, plain)
    else:
        ws.write_string(row, col, text, quoted if text.startswith(FORMULA_STARTS) else plain)


def _sheet_name(name: str, used: set[str]) -> str:
    """A worksheet name Excel accepts (≤ 31 characters, no []:*?/\\), unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "-", name)[:31] or "Sheet"
    out, n = base, 2
    while out in used:
        suffix = f"({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out)
    return out


# --------------------------------------------------------------------------- DOCX

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TWIPS_PER_MM = 1440 / 25.4


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def new_docx(*, landscape: bool = True, font: str = "宋体", size_pt: float = 10.5, page_numbers: bool = True):
    """A python-docx Document on A4 (landscape by default), 15 mm margins, a Chinese body font and
    (``page_numbers``) a "第 X 页 共 Y 页" footer made of PAGE and NUMPAGES fields."""
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    d = docx.Document()
    sec = d.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Mm(15))
    normal = d.styles["Normal"]
    normal.font.size = Pt(size_pt)
    normal.font.name = font
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if page_numbers:
        page_number_footer(sec)
    return d


def page_number_footer(section, *, restart: bool = False) -> None:
    """Give ``section`` its own footer: "第 X 页 共 Y 页" (PAGE and NUMPAGES fields), or with
    ``restart`` "第 X 页" numbered from 1 in this section. (A section's own total, SECTIONPAGES,
    is left out: LibreOffice does not compute it and would print a wrong total.)"""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    section.footer.is_linked_to_previous = False
    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.add_run("第 ")
    _add_field(para, "PAGE")
    if restart:
        para.add_run(" 页")
        _restart_page_numbers(section)
        return
    para.add_run(" 页 共 ")
    _add_field(para, "NUMPAGES")
    para.add_run(" 页")


def _restart_page_numbers(section) -> None:
    """``<w:pgNumType w:start="1"/>`` in the section's properties, where the schema places it."""
    from docx.oxml import parse_xml

    sect_pr = section._sectPr
    for old in sect_pr.findall(f"{{{W_NS}}}pgNumType"):
        sect_pr.remove(old)
    node = parse_xml(f'<w:pgNumType xmlns:w="{W_NS}" w:start="1"/>')
    follows = ("pgSz", "pgMar", "paperSrc", "pgBorders", "lnNumType")  # what comes before pgNumType
    anchor = [child for child in sect_pr if child.tag.split("}")[-1] in follows]
    if anchor:
        anchor[-1].addnext(node)
    else:
        sect_pr.append(node)


def _add_field(paragraph, instr: str) -> None:
    """A Word field (PAGE, NUMPAGES) as begin / instruction / separate / result / end runs."""
    from docx.oxml import parse_xml

    for xml in (f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="begin"/></w:r>',
                f'<w:r xmlns:w="{W_NS}"><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r>',
                f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="separate"/></w:r>',
                f'<w:r xmlns:w="{W_NS}"><w:t>1</w:t></w:r>',
                f'<w:r xmlns:w="{W_NS}"><w:fldChar w:fldCharType="end"/></w:r>'):
        paragraph._p.append(parse_xml(xml))


def docx_title(d, title: str, subtitle: str = "", *, size_pt: float = 16) -> None:
    """A centred bold title paragraph and an optional subtitle line."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = d.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(title)
    run.bold = True
    run.font.size = Pt(size_pt)
    if subtitle:
        p = d.add_paragraph(subtitle)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def docx_table(d, columns: Sequence[Column], rows: Sequence[Sequence[object]], widths_mm: Sequence[float]) -> None:
    """Append a bordered fixed-layout table whose first row repeats on every page (``w:tblHeader``).

    The XML is built as one string and parsed once: python-docx's cell API is far too slow for
    tens of thousands of rows.
    """
    from docx.oxml import parse_xml

    tw = [int(w * TWIPS_PER_MM) for w in widths_mm]
    jc = {"L": "left", "C": "center", "R": "right"}
    parts = [f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblW w:w="{sum(tw)}" w:type="dxa"/><w:jc w:val="center"/>'
             '<w:tblBorders>' + "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                                        for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
             + '</w:tblBorders><w:tblLayout w:type="fixed"/>'
             '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
             '</w:tblPr><w:tblGrid>' + "".join(f'<w:gridCol w:w="{w}"/>' for w in tw) + "</w:tblGrid>"]
    parts.append('<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>')
    for col, w in zip(columns, tw):
        parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:shd w:val="clear" w:color="auto" '
                     f'w:fill="DDDDDD"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr><w:jc w:val="center"/>'
                     f'</w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{_x(col.header)}</w:t></w:r>'
                     '</w:p></w:tc>')
    parts.append("</w:tr>")
    cell_open = [f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
                 f'<w:p><w:pPr><w:spacing w:before="0" w:after="0"/><w:jc w:val="{jc.get(c.align, "left")}"/></w:pPr>'
                 for c, w in zip(columns, tw)]
    for row in rows:
        parts.append('<w:tr><w:trPr><w:cantSplit/></w:trPr>')
        for opener, value in zip(cell_open, row):
            text = clean(value)
            parts.append(opener)
            if text:
                parts.append(f'<w:r><w:t xml:space="preserve">{_x(text)}</w:t></w:r>')
            parts.append("</w:p></w:tc>")
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    tbl = parse_xml("".join(parts))
    d.element.body.sectPr.addprevious(tbl)
    d.add_paragraph()  # Word needs a paragraph after a table


def write_docx(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Each sheet a Word table (``docx_document``), saved to ``path``."""
    save_package(docx_document(sheets), path)
    return path


def docx_document(sheets: Sequence[Sheet]) -> DocxDocument:
    """A python-docx Document with, for each sheet, its cover (where it has one) in a section without
    page numbers, then its title, subtitle and a real Word table in a section of its own whose pages
    are numbered from 1 (第 X 页); one sheet without a cover is numbered 第 X 页 共 Y 页. Returned
    unsaved, so a caller can set its document properties first."""
    from docx.enum.section import WD_SECTION

    runs = len(sheets) > 1 or any(sheet.cover for sheet in sheets)
    d = new_docx(size_pt=9, page_numbers=not runs)  # small enough that 档号 and 日期 fit their columns
    for i, sheet in enumerate(sheets):
        if i:
            d.add_section(WD_SECTION.NEW_PAGE)
        if sheet.cover:
            docx_cover(d, sheet)
            d.sections[-1].footer.is_linked_to_previous = False  # an empty footer: the cover has no number
            d.add_section(WD_SECTION.NEW_PAGE)
        if runs:
            page_number_footer(d.sections[-1], restart=True)
        docx_title(d, sheet.title, sheet.subtitle)
        docx_table(d, sheet.columns, sheet.rows, sheet.widths_mm())
    return d


def docx_cover(d, sheet: Sheet) -> None:
    """A catalogue's cover page: its title large, then one "label：value" line per cover field."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    for _ in range(4):
        d.add_paragraph()
    docx_title(d, sheet.title, size_pt=28)
    d.add_paragraph()
    for label, value in sheet.cover:
        p = d.add_paragraph()
        p.paragraph_format.left_indent = Mm(90)
        p.paragraph_format.space_after = Pt(10)
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        run = p.add_run(f"{label}：{value}")
        run.font.size = Pt(14)


# --------------------------------------------------------------------------- PDF


def write_pdf(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Each sheet on new pages: its cover (unnumbered) where it has one, then title, subtitle and
    table with its header on every page; each sheet's pages numbered from 1."""
    from .pdfdoc import PdfColumn, PdfDoc

    pdf = PdfDoc("L")
    for sheet in sheets:
        pdf.restart_numbering()
        if sheet.cover:
            pdf.add_page()
            pdf.cover(sheet.title, sheet.cover)
            pdf.unnumbered()
        pdf.add_page()
        pdf.title_block(sheet.title, sheet.subtitle)
        cols = [PdfColumn(c.header, w, c.align) for c, w in zip(sheet.columns, sheet.widths_mm(pdf.content_width))]
        pdf.table(cols, [[clean(v) for v in row] for row in sheet.rows], new_page_title=f"{sheet.title}（续）  {sheet.subtitle}")
    if not sheets:
        pdf.add_page()
    return pdf.save(path)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "docx": write_docx, "pdf": write_pdf}


def write_table(path: Path, fmt: str, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` as ``fmt`` (csv, xlsx, docx, pdf)."""
    from ..errors import UsageError

    writer = WRITERS.get(fmt)
    if writer is None:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(WRITERS)}")
    return writer(Path(path), sheets)
