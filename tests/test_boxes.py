"""Boxes (issue 11 item 8): box numbers per class or per year, spine widths by the box's pages,
box covers (盒面) and the 备考表 of DA/T 22-2015, read back from the files written."""
from __future__ import annotations

import csv
import hashlib
import itertools
import json
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.errors import RepositoryError, UsageError
from archive_kit.numbering import list_boxes

from .conftest import run_cli

MM = 72 / 25.4
_seq = itertools.count(1)


def add(archive: Archive, **values) -> int:
    """Insert one catalogue row directly (fast; realism does not matter for boxes)."""
    n = next(_seq)
    row = {"sha256": hashlib.sha256(f"box{n}".encode()).hexdigest(), "original_name": f"box{n}.pdf",
           "source_path": f"/in/box{n}.pdf", "format": "pdf", "title": f"文件{n}", "pages": 1,
           "track": "civilized-unit", "year": 2023, "criterion": "1.1", "retention": "D30"}
    row.update(values)
    with archive.catalogue.transaction():
        return archive.catalogue.insert_document(row, "", [])


def _set_config(root: Path, **values) -> Archive:
    """Change config.json as an archivist would, and open the repository again."""
    path = root / "config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data.update(values)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return Archive.open(root)


def _box_rows(repo: Archive, out: Path, **filters) -> list[tuple[str, str]]:
    """(盒号, 类别) of every row of the box listing, read back from its CSV."""
    rows = list(csv.reader(repo.listing(out, fmt="csv", level="box", **filters).open(encoding="utf-8-sig")))
    return [(r[0], r[3]) for r in rows[2:]]


def _two_classes(repo: Archive) -> None:
    """Two classes of 2023 (文明单位 and 职工之家), three one-page items each, two pages per box."""
    for _ in range(3):
        add(repo)
        add(repo, track="workers-home", criterion="1.1")
    repo.number(box_pages=2)


@pytest.mark.parametrize("mode", ["class", "year"])
def test_box_numbering_per_class_or_per_year(tmp_path: Path, mode: str) -> None:
    Archive.init(tmp_path / "r", fonds="J001", unit="测试单位").close()
    repo = _set_config(tmp_path / "r", box_numbering=mode)
    _two_classes(repo)
    rows = _box_rows(repo, tmp_path / "b.csv", year=2023)
    numbers = [int(n) for n, _ in rows]
    classes = [c.split("（")[0] for _, c in rows]
    if mode == "class":
        assert sorted(numbers) == [1, 1, 2, 2], rows  # today's behaviour: each class from box 1
    else:
        assert numbers == [1, 2, 3, 4], rows  # one run per year, in number order
        assert classes == ["文明单位", "文明单位", "职工之家", "职工之家"], rows
        # appending later continues the year's run; another year starts again from 1
        add(repo)
        add(repo)
        add(repo, year=2024)
        repo.number(box_pages=2)
        rows = _box_rows(repo, tmp_path / "c.csv", year=2023)
        assert [int(n) for n, _ in rows] == [1, 2, 3, 4, 5], rows
        assert rows[-1][1].startswith("文明单位") and len({n for n, _ in rows}) == len(rows)
        assert [n for n, _ in _box_rows(repo, tmp_path / "d.csv", year=2024)] == ["1"]
    repo.close()


def test_box_numbering_rejects_other_values(tmp_path: Path) -> None:
    Archive.init(tmp_path / "r", fonds="J001").close()
    with pytest.raises(RepositoryError, match="box_numbering.*'month'"):
        _set_config(tmp_path / "r", box_numbering="month")
    with pytest.raises(RepositoryError, match="spine_width_mm"):
        _set_config(tmp_path / "r", box_numbering="year", spine_width_mm=35)


@pytest.fixture
def sized(tmp_path: Path) -> Archive:
    """Three boxes of 10, 300 and 450 pages."""
    repo = Archive.init(tmp_path / "r", fonds="J001", unit="市直机关工委")
    for pages in (10, 300, 450):
        add(repo, pages=pages)
    repo.number()
    yield repo
    repo.close()


def _pdf_spine_widths(path: Path) -> list[float]:
    """Widths (mm) of the spine frames drawn in a spine-label PDF, page by page, left to right."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    widths = []
    reader = PdfReader(path)
    for page in reader.pages:
        ops = ContentStream(page.get_contents(), reader).operations
        frames = [(float(a[0]), abs(float(a[2]))) for a, op in ops
                  if op == b"re" and abs(abs(float(a[3])) / MM - 255) < 1]
        widths += [round(w / MM, 1) for _, w in sorted(frames)]
    return widths


def test_spine_width_follows_the_box_pages(sized: Archive, tmp_path: Path) -> None:
    import docx

    assert [b.pages for b in list_boxes(sized.catalogue, sized.registry, sized.config)] == [10, 300, 450]
    assert _pdf_spine_widths(sized.listing(tmp_path / "s.pdf", fmt="pdf", level="spine")) == [20, 40, 50]
    d = docx.Document(str(sized.listing(tmp_path / "s.docx", fmt="docx", level="spine")))
    widths = [round(c.width.mm) for t in d.tables for c in t.rows[0].cells]
    assert widths == [20, 40, 50]
    root = sized.root
    sized.close()
    fixed = _set_config(root, spine_width_mm=30)
    assert _pdf_spine_widths(fixed.listing(tmp_path / "f.pdf", fmt="pdf", level="spine")) == [30, 30, 30]
    fixed.close()


def test_box_cover_names_the_fonds(sized: Archive, tmp_path: Path) -> None:
    import docx
    from docx.enum.text import WD_UNDERLINE
    from pypdf import PdfReader

    pdf = PdfReader(sized.listing(tmp_path / "c.pdf", fmt="pdf", level="cover"))
    assert len(pdf.pages) == 3
    for page in pdf.pages:
        text = page.extract_text()
        assert "全宗名称" in text and "市直机关工委" in text, text
    d = docx.Document(str(sized.listing(tmp_path / "c.docx", fmt="docx", level="cover")))
    names = [r for p in d.paragraphs for r in p.runs if r.text == "市直机关工委"]
    assert len(names) == 3 and all(r.font.underline == WD_UNDERLINE.DOUBLE for r in names)
    with pytest.raises(UsageError, match="pdf or docx"):
        sized.listing(tmp_path / "c.csv", fmt="csv", level="cover")
    proc = run_cli("listing", "--format", "pdf", "--level", "cover", "--out", str(tmp_path / "cli.pdf"),
                   root=sized.root)
    assert proc.returncode == 0 and (tmp_path / "cli.pdf").stat().st_size > 0, proc.stderr


def test_remarks_sheet_has_the_2015_fields_and_no_filing_date(sized: Archive, tmp_path: Path) -> None:
    import docx
    from pypdf import PdfReader

    pdf = PdfReader(sized.listing(tmp_path / "r.pdf", fmt="pdf", level="remarks"))
    d = docx.Document(str(sized.listing(tmp_path / "r.docx", fmt="docx", level="remarks")))
    for text in (pdf.pages[0].extract_text(), d.tables[0].cell(0, 0).text):
        for word in ("盒内文件情况说明", "整理人", "整理日期", "检查人", "检查日期"):
            assert word in text, (word, text)
        assert "立卷" not in text


def test_spine_and_remarks_name_the_class(sized: Archive, tmp_path: Path) -> None:
    """Issue 11 item 8: the spine's and the 备考表's class field is 机构（问题） (DA/T 22-2015) and
    prints the schema's class name (文明创建 for 文明单位), as the catalogue cover does; never 类别."""
    import docx
    from pypdf import PdfReader

    def pdf_text(path: Path) -> list[str]:
        return [p.extract_text().replace("\n", "").replace(" ", "") for p in PdfReader(path).pages]

    def docx_text(path: Path) -> list[str]:
        d = docx.Document(str(path))
        return (["".join(c.text for r in t.rows for c in r.cells).replace("\n", "") for t in d.tables]
                + ["".join(p.text for p in d.paragraphs)])

    spines = pdf_text(sized.listing(tmp_path / "s.pdf", fmt="pdf", level="spine"))
    spines_docx = docx_text(sized.listing(tmp_path / "s.docx", fmt="docx", level="spine"))
    remarks = pdf_text(sized.listing(tmp_path / "r.pdf", fmt="pdf", level="remarks"))
    remarks_docx = docx_text(sized.listing(tmp_path / "r.docx", fmt="docx", level="remarks"))
    for text in ["".join(spines), "".join(spines_docx)]:
        assert text.count("机构（问题）") == 3 and text.count("文明创建") == 3, text
        assert "类别" not in text, text
    assert len(remarks) == 3
    for text in remarks + ["".join(remarks_docx)]:
        assert "机构（问题）：文明创建" in text and "类别" not in text, text
    for name in ("civilized-unit", "文明单位"):  # the track as an id and as the archivist types it
        rows = list(csv.reader(sized.listing(tmp_path / "b.csv", fmt="csv", level="box", track=name)
                               .open(encoding="utf-8-sig")))
        assert "机构（问题）：文明创建" in rows[0][0] and "类别：" not in rows[0][0], rows[0]
