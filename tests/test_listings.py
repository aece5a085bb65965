"""Listings read back: CSV, XLSX (openpyxl), DOCX (python-docx), PDF (pypdf text and a rendered page)."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.errors import UsageError

from .conftest import run_cli

ITEM_HEADER = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]  # DA/T 22-2015
CLASS_HEADER = ["全宗号", "全宗名称", "年度", "保管期限", "机构（问题）"]


@pytest.fixture
def numbered(tmp_path: Path) -> Archive:
    """Four real documents (2 DOCX, 2 PDF) ingested under 文明单位 2023 and numbered, 2 per box."""
    from bench.gen_docs import make_docx, make_pdf

    repo = Archive.init(tmp_path / "repo", fonds="J001", unit="测试单位")
    src = tmp_path / "in"
    src.mkdir()
    make_docx(src / "a.docx", "关于开展志愿服务活动的通知", ["志愿服务活动。"], doc_number="市直工委发〔2023〕5号",
              date_text="2023年3月5日")
    make_docx(src / "b.docx", "道德讲堂活动记录", ["道德讲堂。"], date_text="2023年4月1日")
    make_pdf(src / "c.pdf", "理论学习中心组学习纪要", ["理论学习。"], date_text="2023年2月1日", pages=2)
    make_pdf(src / "d.pdf", "学雷锋志愿服务总结", ["学雷锋。"], date_text="2023年6月1日")
    for name, crit in (("a.docx", "2.2"), ("b.docx", "1.3"), ("c.pdf", "1.1"), ("d.pdf", "2.2")):
        report = repo.ingest([src / name], track="文明单位", criterion=crit, year=2023, ocr=False)
        assert report.added, report.failed
    repo.number(box_pages=2)
    yield repo
    repo.close()


def codes(repo: Archive) -> list[str]:
    return [d.archival_code for d in sorted(repo.documents(), key=lambda d: d.item_number)]


def test_csv_is_one_table_with_the_class_first(numbered: Archive, tmp_path: Path) -> None:
    out = numbered.listing(tmp_path / "l.csv", fmt="csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == CLASS_HEADER + ITEM_HEADER  # machine-readable: the header first, no title line
    body = rows[1:]
    assert [r[6] for r in body] == codes(numbered)
    assert all(r[:5] == ["J001", "测试单位", "2023", "10年", "文明创建"] for r in body)  # the schema's class_name
    first = body[0]
    assert first[5] == "1" and first[9] == "理论学习中心组学习纪要" and first[10] == "20230201" and first[12] == "2"
    assert [r[5] for r in body] == ["1", "2", "3", "4"]
    assert [r[11] for r in body] == ["", "", "", ""]  # the unit does not mark 密级: blank
    rows = list(csv.reader(numbered.listing(tmp_path / "b.csv", fmt="csv", columns="default,盒号,criterion")
                           .open(encoding="utf-8-sig")))
    assert rows[0] == CLASS_HEADER + ITEM_HEADER + ["盒号", "测评指标"]
    assert [r[14] for r in rows[1:]] == ["1", "2", "2", "3"]  # box column: 2 pages a box, item 1 has 2
    assert rows[1][15].startswith("1.1 ")


def test_xlsx_header_bold_frozen_widths_and_print_setup(numbered: Archive, tmp_path: Path) -> None:
    import openpyxl

    out = numbered.listing(tmp_path / "l.xlsx", fmt="xlsx")
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert "J001" in ws["A2"].value and "10年" in ws["A2"].value  # criteria 1 and 2 default to D10
    assert [c.value for c in ws[3]] == ITEM_HEADER
    assert ws["A3"].font.bold
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws.column_dimensions["E"].width >= 2 * len("理论学习中心组学习纪要")
    assert [ws.cell(r, 2).value for r in range(4, ws.max_row + 1)] == codes(numbered)
    assert ws.cell(4, 5).value == "理论学习中心组学习纪要"


def test_docx_has_a_real_table_landscape_repeating_header_and_page_field(numbered: Archive, tmp_path: Path) -> None:
    import docx

    out = numbered.listing(tmp_path / "l.docx", fmt="docx")
    d = docx.Document(str(out))
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == ITEM_HEADER
    assert [r.cells[1].text for r in table.rows[1:]] == codes(numbered)
    assert "学雷锋志愿服务总结" in [r.cells[4].text for r in table.rows[1:]]
    assert table.rows[0]._tr.xml.count("w:tblHeader") == 1
    sec = d.sections[-1]  # the catalogue's own section, after its cover's
    assert sec.page_width > sec.page_height
    assert any("归档文件目录" in p.text for p in d.paragraphs)
    assert " PAGE " in sec.footer._element.xml


def test_pdf_text_header_footer_and_rendered_page(numbered: Archive, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = numbered.listing(tmp_path / "l.pdf", fmt="pdf")
    reader = PdfReader(str(out))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape
    text = "".join(p.extract_text() for p in reader.pages)
    for word in ("归档文件目录", "序号", "题名", "密级", "理论学习中心组学习纪要", "第 1 页 共 1 页", *codes(numbered)):
        assert word in text, word
    assert "测评指标" not in text and "件号" not in text  # extra columns only on request
    fonts = page["/Resources"]["/Font"]
    for ref in fonts.values():
        font = ref.get_object()
        desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in desc  # embedded TrueType, not a bare CID font
    assert dark_pixels(out, page=2) > 500


def test_pdf_header_repeats_on_every_page(tmp_path: Path) -> None:
    import hashlib

    from pypdf import PdfReader

    repo = Archive.init(tmp_path / "r", fonds="J001", unit="测试单位")
    with repo.catalogue.transaction():
        for i in range(120):
            repo.catalogue.insert_document(
                {"sha256": hashlib.sha256(b"%d" % i).hexdigest(), "original_name": f"{i}.pdf", "source_path": "x",
                 "format": "pdf", "title": f"关于第{i}次志愿服务活动的通知", "track": "civilized-unit", "year": 2023,
                 "criterion": "2.2", "pages": 3, "date": "2023-05-01"}, "", [])
    repo.number()
    reader = PdfReader(str(repo.listing(tmp_path / "l.pdf", fmt="pdf")))
    assert len(reader.pages) > 2
    assert "全宗号" in reader.pages[0].extract_text() and "页 共" not in reader.pages[0].extract_text()  # the cover
    pages = reader.pages[1:]
    for n, page in enumerate(pages, 1):
        text = page.extract_text()
        assert "档号" in text and "题名" in text
        assert f"第 {n} 页 共 {len(pages)} 页" in text
    repo.close()


def dark_pixels(pdf: Path, page: int = 1) -> int:
    """Render a page with pdftoppm and count dark pixels (a blank page has none)."""
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(page), "-l", str(page), str(pdf), str(prefix)],
                   check=True)
    png = next(prefix.parent.glob(prefix.name + "*.png"))
    img = Image.open(png).convert("L")
    return sum(img.histogram()[:128])


def test_box_listing_in_every_format(numbered: Archive, tmp_path: Path) -> None:
    import docx
    import openpyxl
    from pypdf import PdfReader

    rows = list(csv.reader(numbered.listing(tmp_path / "b.csv", fmt="csv", level="box").open(encoding="utf-8-sig")))
    assert rows[1] == ["盒号", "年度", "保管期限", "类别", "起止件号", "件数", "页数", "涉及指标"]
    body = rows[2:]
    assert sum(int(r[5]) for r in body) == 4
    assert all(r[1] == "2023" and "文明单位" in r[3] for r in body)
    ws = openpyxl.load_workbook(numbered.listing(tmp_path / "b.xlsx", fmt="xlsx", level="box")).active
    assert ws.cell(3, 5).value == "起止件号" and ws.max_row == 3 + len(body)
    d = docx.Document(str(numbered.listing(tmp_path / "b.docx", fmt="docx", level="box")))
    assert len(d.tables[0].rows) == 1 + len(body)
    text = PdfReader(str(numbered.listing(tmp_path / "b.pdf", fmt="pdf", level="box"))).pages[0].extract_text()
    assert "盒目录" in text and "涉及指标" in text


def test_spine_labels_and_remarks_sheets(numbered: Archive, tmp_path: Path) -> None:
    import docx
    from pypdf import PdfReader

    boxes = {(d.track, d.year, d.retention, d.box) for d in numbered.documents()}
    spine = PdfReader(str(numbered.listing(tmp_path / "s.pdf", fmt="pdf", level="spine")))
    text = spine.pages[0].extract_text()
    assert text.count("全宗号") == len(boxes) and "J001" in text and "盒号" in text
    assert text.index("0001") < text.index("至")
    remarks = PdfReader(str(numbered.listing(tmp_path / "r.pdf", fmt="pdf", level="remarks")))
    assert len(remarks.pages) == len(boxes)
    first = remarks.pages[0].extract_text()
    for word in ("备", "盒内文件情况说明", "整理人", "检查人", "件", "页"):
        assert word in first
    d = docx.Document(str(numbered.listing(tmp_path / "s.docx", fmt="docx", level="spine")))
    assert sum(len(t.columns) for t in d.tables) == len(boxes)
    d = docx.Document(str(numbered.listing(tmp_path / "r.docx", fmt="docx", level="remarks")))
    assert len(d.tables) == len(boxes) and "本盒共有文件" in d.tables[0].cell(0, 0).text
    with pytest.raises(UsageError):
        numbered.listing(tmp_path / "s.csv", fmt="csv", level="spine")


def test_listing_filters_and_nothing_numbered(numbered: Archive, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="number"):
        numbered.listing(tmp_path / "x.csv", fmt="csv", year=2022)
    with pytest.raises(UsageError, match="number"):
        numbered.listing(tmp_path / "x.csv", fmt="csv", track="职工之家")
    rows = list(csv.reader(numbered.listing(tmp_path / "y.csv", fmt="csv", track="文明", year=2023)
                           .open(encoding="utf-8-sig")))
    assert len(rows) == 1 + 4


def test_cli_listing(numbered: Archive, tmp_path: Path) -> None:
    out = tmp_path / "cli.xlsx"
    proc = run_cli("listing", "--format", "xlsx", "--out", str(out), "--level", "box", root=numbered.root)
    assert proc.returncode == 0 and out.stat().st_size > 0, proc.stderr
    proc = run_cli("listing", "--format", "pdf", "--out", str(out), "--year", "1999", root=numbered.root)
    assert proc.returncode == 2 and "number" in proc.stderr and "Traceback" not in proc.stderr


_SHEET_XML = """
import hashlib, io, zipfile
from archive_kit.output.tables import Column, Sheet, xlsx_bytes
buf = io.BytesIO(xlsx_bytes([Sheet("归档文件目录", "全宗号：J001", [Column("件号"), Column("题名")], [["0001", "通知"]])]))
with zipfile.ZipFile(buf) as z:
    print(hashlib.sha256(z.read("xl/worksheets/sheet1.xml")).hexdigest())
"""


def test_xlsx_sheet_is_the_same_whatever_the_hash_seed(tmp_path: Path) -> None:
    """The bundle's 目录.xlsx must be the same bytes on every rebuild, and each command is a new
    interpreter with its own hash seed: nothing in a sheet may follow the order of a set of strings
    (the merged title rows once did)."""
    digests = set()
    for seed in range(8):
        proc = subprocess.run([sys.executable, "-c", _SHEET_XML], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}, cwd=Path(__file__).parent.parent)
        assert proc.returncode == 0, proc.stderr
        digests.add(proc.stdout.strip())
    assert len(digests) == 1, digests
