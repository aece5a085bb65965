"""OCR line boxes (issue 12): every engine says where each line is on the page image it read, and the
ingest keeps those boxes in the cached extraction, so the console can mark a hit on a scan.

A box is checked by cutting it out of the page image and reading the cut-out again: it must hold the
line's text. Real engines, real generated scans, the real ingest.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from archive_kit.archive import Archive
from archive_kit.ocr import OcrResult, get_engine, ocr_image, prepare_image
from archive_kit.ocr.tesseract import parse_tsv
from bench.gen_scans import SAMPLE_TEXTS, make_scanned_pdf, render_text_page

VOLUNTEER = SAMPLE_TEXTS["volunteer"]
needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract binary not installed")


def _line_with(result: OcrResult, phrase: str):
    return next(line for line in result.lines if phrase in line.text)


def _read_back(image: Image.Image, box: tuple[float, float, float, float]) -> str:
    """OCR what lies inside ``box`` of ``image`` (padded white, so the engine sees a line on paper)."""
    crop = image.crop(tuple(round(v) for v in box)).convert("L")
    return ocr_image(ImageOps.expand(crop, border=40, fill=255)).text.replace("\n", "")


@pytest.mark.parametrize("engine", ["rapidocr", pytest.param("tesseract", marks=needs_tesseract)])
def test_lines_carry_boxes_on_the_image_read(engine: str) -> None:
    page = prepare_image(render_text_page(VOLUNTEER))
    result = get_engine(engine).recognize(page)
    assert result.size == page.size
    w, h = page.size
    assert result.lines and all(line.box is not None for line in result.lines)
    for line in result.lines:
        left, top, right, bottom = line.box
        assert 0 <= left < right <= w and 0 <= top < bottom <= h, line
    title = _line_with(result, "学雷锋")
    sign = _line_with(result, "总工会")
    assert title.box[3] < sign.box[1], "the title is above the signature"
    assert "文明交通劝导" in _read_back(page, _line_with(result, "文明交通").box)


def test_layout_is_json_in_page_image_pixels() -> None:
    page = prepare_image(render_text_page(VOLUNTEER))
    result = ocr_image(page)
    layout = json.loads(json.dumps(result.layout(3)))
    assert (layout["page"], layout["width"], layout["height"]) == (3, *page.size)
    assert [l["text"] for l in layout["lines"]] == result.text.split("\n")
    assert all(len(l["box"]) == 4 for l in layout["lines"])


def test_tesseract_line_box_is_the_union_of_its_words() -> None:
    tsv = ("level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
           "5\t1\t1\t1\t1\t1\t100\t50\t40\t30\t91\t志愿\n"
           "5\t1\t1\t1\t1\t2\t150\t48\t60\t35\t89\t服务\n"
           "5\t1\t1\t1\t2\t1\t100\t120\t80\t30\t90\t通知\n")
    first, second = parse_tsv(tsv)
    assert (first.text, first.box) == ("志愿服务", (100.0, 48.0, 210.0, 83.0))
    assert second.box == (100.0, 120.0, 180.0, 150.0)


def _cached(repo: Archive, sha256: str) -> dict:
    files = sorted((repo.root / "derived" / "extract" / sha256[:2]).glob(f"{sha256}.*.json"))
    assert files, "an OCR extraction is cached by content hash"
    return json.loads(files[0].read_text(encoding="utf-8"))


def test_ingest_keeps_the_boxes_in_the_cached_extraction(repo: Archive, tmp_path: Path) -> None:
    scan = render_text_page(VOLUNTEER, seed=2)
    png = tmp_path / "通知扫描.png"
    scan.save(png)
    pdf = make_scanned_pdf(tmp_path / "三会一课.pdf", [render_text_page(SAMPLE_TEXTS["three_meetings"], seed=3),
                                                     render_text_page(SAMPLE_TEXTS["workers_home"], seed=4)])
    report = repo.ingest([png, pdf], jobs=2)
    assert not report.failed, report.failed
    by_name = {d.original_name: d for d in report.added}
    image_pages = _cached(repo, by_name["通知扫描.png"].sha256)["ocr_pages"]
    assert [p["page"] for p in image_pages] == [1]
    prepared = prepare_image(scan)
    assert (image_pages[0]["width"], image_pages[0]["height"]) == prepared.size
    line = next(l for l in image_pages[0]["lines"] if "文明交通" in l["text"])
    assert "文明交通劝导" in _read_back(prepared, line["box"])
    pdf_pages = _cached(repo, by_name["三会一课.pdf"].sha256)["ocr_pages"]
    assert [p["page"] for p in pdf_pages] == [1, 2]
    texts = repo.text(by_name["三会一课.pdf"].id).split("\f")
    for layout, text in zip(pdf_pages, texts):
        assert "\n".join(l["text"] for l in layout["lines"]) == text.strip("\n")
