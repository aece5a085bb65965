"""The item catalogue (归档文件目录) per DA/T 22-2015, read back in all four formats: the default
columns 序号…备注, 密级, titles in [ ] where the archivist composed them or they are file names, one
catalogue per class with its own cover and page numbers from 1, XLSX print setup, ``--columns``."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from archive_kit.archive import Archive

from .conftest import run_cli
from .test_title_source import untitled_pdf

DEFAULT = ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
CONTENT_TITLE = "关于开展志愿服务活动的通知"
FILE_TITLE = "志愿服务现场"          # a PDF without text: titled by its file name
COMPOSED = "2023年道德讲堂活动材料"  # composed by the archivist (edit --title-composed)


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    """Two classes of 文明单位 (2022 and 2023, 10 years): 2023 has a content title marked 内部, a
    file-name title and a composed title; 2022 has one document."""
    from bench.gen_docs import make_pdf

    tmp = tmp_path_factory.mktemp("catalogues")
    repo = Archive.init(tmp / "repo", fonds="J001", unit="测试单位")
    src = tmp / "in"
    src.mkdir()
    make_pdf(src / "a.pdf", CONTENT_TITLE, ["志愿服务活动。"], doc_number="市直工委发〔2023〕5号")
    untitled_pdf(src / f"{FILE_TITLE}.pdf")
    make_pdf(src / "c.pdf", "道德讲堂活动记录", ["道德讲堂。"], date_text="2023年4月1日")
    make_pdf(src / "d.pdf", "关于2022年学雷锋活动的总结", ["学雷锋。"], date_text="2022年12月1日")
    ids = {}
    for name, year in (("a.pdf", 2023), (f"{FILE_TITLE}.pdf", 2023), ("c.pdf", 2023), ("d.pdf", 2022)):
        report = repo.ingest([src / name], track="文明单位", criterion="2.2", year=year, ocr=False)
        assert report.added, report.failed
        ids[name] = report.added[0].id
    repo.edit([ids["a.pdf"]], secrecy="内部")
    repo.edit([ids["c.pdf"]], title=COMPOSED, title_composed=True)
    repo.edit([ids[f"{FILE_TITLE}.pdf"]], date="2023-05-01")
    repo.number()
    yield repo
    repo.close()


def _by_title(rows: list[list[str]], col: int) -> dict[str, list[str]]:
    return {r[col].strip("[]"): r for r in rows}


def test_csv_default_columns_secrecy_brackets_and_class(catalogues: Archive, tmp_path: Path) -> None:
    rows = list(csv.reader(catalogues.listing(tmp_path / "l.csv", fmt="csv").open(encoding="utf-8-sig")))
    assert rows[0] == ["全宗号", "全宗名称", "年度", "保管期限", "机构（问题）"] + DEFAULT
    body = [r[1:] for r in rows[1:]]  # 全宗名称 aside, the indices below are those of the other columns
    assert {r[1] for r in rows[1:]} == {"测试单位"}
    assert [(r[1], r[4]) for r in body] == [("2022", "1"), ("2023", "1"), ("2023", "2"), ("2023", "3")]
    titles = {r[8] for r in body}
    assert CONTENT_TITLE in titles and f"[{FILE_TITLE}]" in titles and f"[{COMPOSED}]" in titles
    assert "[关于2022年学雷锋活动的总结]" not in titles and "关于2022年学雷锋活动的总结" in titles
    row = _by_title(body, 8)[CONTENT_TITLE]
    assert row[10] == "内部" and row[6] == "市直工委发〔2023〕5号" and row[9] == "20230305"
    assert [r[10] for r in body if r[8] != CONTENT_TITLE] == ["", "", ""]  # not marked: blank, not "None"


def test_xlsx_one_sheet_per_class_borders_wrap_print_setup(catalogues: Archive, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(catalogues.listing(tmp_path / "l.xlsx", fmt="xlsx"))
    assert wb.sheetnames == ["2022-D10-WM", "2023-D10-WM"]
    for ws in wb.worksheets:
        assert [c.value for c in ws[3]] == DEFAULT
        assert "全宗号：J001" in ws["A2"].value and "机构（问题）：文明创建" in ws["A2"].value
        assert ws.print_title_rows == "$1:$3"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        # fitToWidth left out means 1 (ECMA-376 §18.3.1.63 default); fitToHeight 0: as many pages as needed
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        body = list(ws.iter_rows(min_row=4))
        assert body
        for row in body:
            for cell in row:
                for side in (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom):
                    assert side.style == "thin", (cell.coordinate, side)
                assert cell.alignment.wrap_text, cell.coordinate
    of_2023 = wb.worksheets[1]
    titles = [of_2023.cell(r, 5).value for r in range(4, of_2023.max_row + 1)]
    assert set(titles) == {CONTENT_TITLE, f"[{FILE_TITLE}]", f"[{COMPOSED}]"}
    assert [ws.cell(4, 1).value for ws in wb.worksheets] == [1, 1]  # 序号 from 1 in each class


def _section_xml(section) -> str:
    return section._sectPr.xml


def test_docx_a_cover_and_a_restarting_section_per_class(catalogues: Archive, tmp_path: Path) -> None:
    import docx

    out = catalogues.listing(tmp_path / "l.docx", fmt="docx")
    d = docx.Document(str(out))
    assert len(d.sections) == 4  # cover, catalogue, cover, catalogue
    for cover, table_section in ((d.sections[0], d.sections[1]), (d.sections[2], d.sections[3])):
        assert " PAGE " not in cover.footer._element.xml and not cover.footer.is_linked_to_previous
        assert " PAGE " in table_section.footer._element.xml
        assert re.search(r'<w:pgNumType w:start="1"/>', _section_xml(table_section))
        assert table_section.page_width > table_section.page_height
    text = "\n".join(p.text for p in d.paragraphs)
    for line in ("全宗号：J001", "全宗名称：测试单位", "年度：2022", "年度：2023", "保管期限：10年",
                 "机构（问题）：文明创建"):
        assert line in text, line
    assert len(d.tables) == 2
    for table in d.tables:
        assert [c.text for c in table.rows[0].cells] == DEFAULT
        assert "w:tblHeader" in table.rows[0]._tr.xml
    titles = {r.cells[4].text for r in d.tables[1].rows[1:]}
    assert titles == {CONTENT_TITLE, f"[{FILE_TITLE}]", f"[{COMPOSED}]"}
    assert [r.cells[6].text for r in d.tables[1].rows[1:] if r.cells[4].text == CONTENT_TITLE] == ["内部"]


def test_docx_printed_page_numbers_restart_per_catalogue(catalogues: Archive, tmp_path: Path) -> None:
    """LibreOffice lays the DOCX out: each catalogue's first page is 第1页 again, covers unnumbered."""
    from pypdf import PdfReader

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed")
    out = catalogues.listing(tmp_path / "l.docx", fmt="docx")
    profile = tmp_path / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path / "pdf"), str(out)], check=True, capture_output=True, timeout=300)
    pages = [p.extract_text() for p in PdfReader(str(tmp_path / "pdf" / "l.pdf")).pages]
    numbers = [re.findall(r"第\s*(\d+)\s*页", re.sub(r"[\s\u3000]+", " ", t)) for t in pages]
    assert len(pages) == 4 and "全宗号" in pages[0] and "全宗号" in pages[2]
    assert numbers == [[], ["1"], [], ["1"]], numbers


def test_pdf_covers_page_labels_and_numbers_from_1(catalogues: Archive, tmp_path: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(catalogues.listing(tmp_path / "l.pdf", fmt="pdf")))
    assert reader.page_labels == ["封面1", "1", "封面2", "1"]
    texts = [p.extract_text() for p in reader.pages]
    for cover, year in ((texts[0], "2022"), (texts[2], "2023")):
        for line in ("归档文件目录", "全宗号：J001", "全宗名称：测试单位", f"年度：{year}", "保管期限：10年",
                     "机构（问题）：文明创建"):
            assert line in cover, line
        assert "页 共" not in cover and "档号" not in cover
    assert "第 1 页 共 1 页" in texts[1] and "第 1 页 共 1 页" in texts[3]
    flat = texts[3].replace("\n", "")
    assert f"[{FILE_TITLE}]" in flat and f"[{COMPOSED}]" in flat and f"[{CONTENT_TITLE}]" not in flat
    assert "内部" in texts[3] and "序号" in texts[3] and "密级" in texts[3]


def test_csv_class_columns_are_the_cover_values(catalogues: Archive, tmp_path: Path) -> None:
    """The CSV's class columns of every row are its class's cover page (PDF), field for field."""
    from pypdf import PdfReader

    reader = PdfReader(str(catalogues.listing(tmp_path / "l.pdf", fmt="pdf")))
    covers = [dict(line.split("：", 1) for line in reader.pages[n].extract_text().splitlines() if "：" in line)
              for n, label in enumerate(reader.page_labels) if label.startswith("封面")]
    assert len(covers) == 2
    rows = list(csv.reader(catalogues.listing(tmp_path / "l.csv", fmt="csv").open(encoding="utf-8-sig")))
    head = rows[0][:5]
    by_year = {cover["年度"]: [cover[label] for label in head] for cover in covers}
    assert sorted(by_year) == ["2022", "2023"]
    for row in rows[1:]:
        assert row[:5] == by_year[row[2]], (row, by_year)


def test_columns_option_ids_chinese_names_and_errors(catalogues: Archive, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    proc = run_cli("listing", "--format", "csv", "--out", str(out), "--columns", "件号,题名，盒号,criterion,file",
                   root=catalogues.root)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0] == ["全宗号", "全宗名称", "年度", "保管期限", "机构（问题）", "件号", "题名", "盒号", "测评指标",
                       "原文件名"]
    assert rows[1][5] == "0001" and rows[1][8].startswith("2.2 ") and rows[1][9] == "d.pdf"
    proc = run_cli("listing", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"), "--columns", "题名,页码",
                   root=catalogues.root)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "'页码'" in proc.stderr and "序号 (seq)" in proc.stderr and "测评指标 (criterion)" in proc.stderr
    assert not (tmp_path / "x.xlsx").exists()
    proc = run_cli("listing", "--format", "csv", "--out", str(out), "--columns", "title,题名", root=catalogues.root)
    assert proc.returncode == 2 and "twice" in proc.stderr
    proc = run_cli("listing", "--format", "csv", "--out", str(out), "--level", "box", "--columns", "题名",
                   root=catalogues.root)
    assert proc.returncode == 2 and "--columns" in proc.stderr


def test_class_without_a_class_name_shows_its_code(tmp_path: Path) -> None:
    import hashlib

    repo = Archive.init(tmp_path / "r", fonds="J009", unit="")
    yaml = tmp_path / "t.yaml"
    yaml.write_text('id: test-track\nname: 测试类别\ncode: CS\ncriteria:\n  - code: "1"\n    name: 测试指标\n'
                    '    points: 10\n', encoding="utf-8")
    repo.add_schema(yaml)
    with repo.catalogue.transaction():
        repo.catalogue.insert_document({"sha256": hashlib.sha256(b"x").hexdigest(), "original_name": "x.pdf",
                                        "source_path": "x", "format": "pdf", "title": "测试文件", "track": "test-track",
                                        "year": 2023, "criterion": "1", "pages": 1, "date": "2023-05-01"}, "", [])
    repo.number()
    rows = list(csv.reader(repo.listing(tmp_path / "l.csv", fmt="csv").open(encoding="utf-8-sig")))
    assert rows[1][:5] == ["J009", "", "2023", "30年", "CS"]
    from pypdf import PdfReader

    cover = PdfReader(str(repo.listing(tmp_path / "l.pdf", fmt="pdf"))).pages[0].extract_text()
    assert "机构（问题）：CS" in cover and "全宗名称：" in cover
    repo.close()


def test_listed_title_brackets_by_source() -> None:
    from archive_kit.catalogue import Document

    def doc(title: str | None, source: str | None) -> Document:
        return Document(1, "0" * 64, "现场.jpg", "x", "image", title=title, title_source=source)

    assert doc("关于开展志愿服务活动的通知", "content").listed_title == "关于开展志愿服务活动的通知"
    assert doc("关于开展志愿服务活动的通知", None).listed_title == "关于开展志愿服务活动的通知"  # unknown: as it is
    assert doc("关于开展志愿服务活动的通知", "manual").listed_title == "关于开展志愿服务活动的通知"
    assert doc("现场", "file_name").listed_title == "[现场]"
    assert doc("活动材料", "composed").listed_title == "[活动材料]"
    assert doc("[活动材料]", "composed").listed_title == "[活动材料]"  # not bracketed twice
    assert doc("关于开展活动的通知[附件：名单]", "composed").listed_title == "关于开展活动的通知[附件：名单]"
    assert doc(None, None).listed_title == "[现场.jpg]"
