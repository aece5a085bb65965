"""The 归档章 on bundle pages, measured on the rendered page (issue 11 item 8): 45 × 16 mm, at least
5 mm from every edge, in the blank top of the first page without shrinking it; a first page
inked to its top edge is shrunk to make room, and the bundle's notes say so."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from archive_kit.archive import Archive
from archive_kit.fonts import require_cjk_font
from tests.test_bundle import _pages_of as bundle_pages_of

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")

DPI = 100
RULER = (20.0, 200.0, 170.0, 4.0)  # a black bar on every source page (x, y, w, h mm): its width shows the scale


def _evidence_pdf(path: Path, title: str, *, inked_top: bool) -> Path:
    """An A4 official document: a title and body lines from 40 mm down (a blank top), or with
    text rows from the very top edge across the whole width (``inked_top``); a ruler bar below."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("cjk", "", str(require_cjk_font()))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    if inked_top:
        for k in range(8):  # rows of "text" from 1 mm under the top edge, edge to edge
            pdf.rect(0, 1 + 6 * k, 210, 3.2, style="F")
    pdf.set_font("cjk", size=18)
    pdf.set_xy(20, 52)
    pdf.cell(170, 12, title, align="C")
    pdf.set_font("cjk", size=12)
    for k, line in enumerate(["各党支部：", "为深入推进文明单位创建工作，现就有关事项通知如下。", "市直机关工委",
                              "2023年3月5日"]):
        pdf.set_xy(20, 70 + 9 * k)
        pdf.cell(170, 8, line)
    pdf.rect(*RULER, style="F")
    pdf.output(str(path))
    return path


def _render(pdf: Path, page: int, tmp: Path) -> Image.Image:
    """One page of ``pdf`` (1-based) rendered by poppler at DPI."""
    stem = tmp / f"page{page}"
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=60)
    return Image.open(f"{stem}.png").convert("RGB")


def _mm(px: float) -> float:
    return px * 25.4 / DPI


def _bbox(image: Image.Image, test, area: tuple[int, int, int, int] | None = None) -> tuple[float, ...] | None:
    """Bounding box (left, top, right, bottom, mm) of the pixels ``test`` accepts, in ``area`` (px)."""
    mask = Image.new("L", image.size, 0)
    src, dst = image.load(), mask.load()
    x0, y0, x1, y1 = area or (0, 0, image.width, image.height)
    for y in range(y0, y1):
        for x in range(x0, x1):
            if test(src[x, y]):
                dst[x, y] = 255
    box = mask.getbbox()
    return tuple(_mm(v) for v in box) if box else None


def _red(p) -> bool:
    return p[0] > 150 and p[1] < 120 and p[2] < 120


def _black(p) -> bool:
    return p[0] < 90 and p[1] < 90 and p[2] < 90


def _stamp_and_scale(image: Image.Image) -> tuple[tuple[float, ...], float, bool]:
    """(the stamp's box in mm, the ruler's width in mm, whether page ink lies under the stamp)."""
    stamp = _bbox(image, _red, (0, 0, image.width, image.height // 3))
    assert stamp is not None, "no stamp on the first page"
    band = (0, round(150 / 25.4 * DPI), image.width, round(260 / 25.4 * DPI))
    ruler = _bbox(image, _black, band)
    assert ruler is not None, "the page's content is missing"
    px = [round(v / 25.4 * DPI) for v in stamp]
    under = _bbox(image, _black, (px[0] + 1, px[1] + 1, px[2] - 1, px[3] - 1)) is not None
    return stamp, ruler[2] - ruler[0], under


@pytest.fixture(scope="module")
def stamped(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("stamp")
    archive = Archive.init(base / "repo", fonds="J001", unit="市直机关工委")
    ids = {}
    for name, inked in (("blank", False), ("inked", True)):
        path = _evidence_pdf(base / f"{name}.pdf", f"关于开展文明创建活动的通知{name}", inked_top=inked)
        report = archive.ingest([path], track="civilized-unit", criterion="2.3", year=2023, ocr=False)
        assert not report.failed, report.failed
        ids[name] = report.added[0].id
    out = base / "out"
    report = archive.bundle(out, track="civilized-unit", year=2023)
    yield archive, report, out, ids
    archive.close()


def test_stamp_goes_in_the_blank_top_of_an_unshrunk_page(stamped, tmp_path: Path) -> None:
    archive, report, out, ids = stamped
    page = bundle_pages_of(report)[ids["blank"]]["pdf_page"]
    image = _render(out / "bundle.pdf", page, tmp_path)
    width, height = _mm(image.width), _mm(image.height)
    (left, top, right, bottom), ruler, under = _stamp_and_scale(image)
    assert abs((right - left) - 45) < 1.0 and abs((bottom - top) - 16) < 1.0, (left, top, right, bottom)
    assert min(left, top, width - right, height - bottom) >= 4.6, (left, top, right, bottom)
    assert bottom < height / 4, "the stamp goes at the top of the page"
    assert not under, "the stamp covers the page's own ink"
    assert abs(ruler - RULER[2]) < 1.5, f"page shrunk: ruler {ruler:.1f} mm of {RULER[2]}"
    code = archive.get(ids["blank"]).archival_code
    assert not any(code in n and "shrunk" in n for n in report.notes), report.notes


def test_a_page_inked_to_its_top_edge_is_shrunk_and_the_notes_say_so(stamped, tmp_path: Path) -> None:
    archive, report, out, ids = stamped
    page = bundle_pages_of(report)[ids["inked"]]["pdf_page"]
    image = _render(out / "bundle.pdf", page, tmp_path)
    width = _mm(image.width)
    (left, top, right, bottom), ruler, under = _stamp_and_scale(image)
    assert abs((right - left) - 45) < 1.0 and abs((bottom - top) - 16) < 1.0, (left, top, right, bottom)
    assert min(left, top, width - right) >= 4.6, (left, top, right, bottom)
    assert not under, "the stamp covers the page's own ink"
    assert ruler < RULER[2] * 0.93, f"page not shrunk: ruler {ruler:.1f} mm"
    code = archive.get(ids["inked"]).archival_code
    assert any(code in n and "shrunk" in n and "归档章" in n for n in report.notes), report.notes


def test_sixth_cell_is_the_class_name_or_the_code(stamped, tmp_path: Path) -> None:
    from pypdf import PdfReader

    archive, report, out, ids = stamped
    text = PdfReader(out / "bundle.pdf").pages[bundle_pages_of(report)[ids["blank"]]["pdf_page"] - 1].extract_text()
    assert "机构（问题）" in text and "文明创建" in text and "类别代码" not in text, text[:200]

    repo = Archive.init(tmp_path / "repo", fonds="J001", unit="市直机关工委")
    schema = tmp_path / "t.yaml"
    schema.write_text("id: test-track\nname: 测试类别\ncode: CS\ncriteria:\n  - code: \"1\"\n    name: 指标1\n",
                      encoding="utf-8")
    repo.add_schema(schema)
    path = _evidence_pdf(tmp_path / "a.pdf", "关于开展测试工作的通知", inked_top=False)
    added = repo.ingest([path], track="test-track", criterion="1", year=2023, ocr=False).added[0].id
    got = repo.bundle(tmp_path / "out", track="test-track", year=2023)
    text = PdfReader(tmp_path / "out" / "bundle.pdf").pages[bundle_pages_of(got)[added]["pdf_page"] - 1].extract_text()
    cells = text.split("机构（问题）", 1)[1][:40]
    assert "CS" in cells and "测试类别" not in cells, text[:200]
    repo.close()
