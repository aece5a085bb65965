"""One scan's pages OCRed by several workers at once: real engine, real PDFs, real worker processes.

Correctness only (speed is measured by ``bench/ingest.py --scan-pdf-pages``): the pages really go
to two workers at the same time, come back in page order with their text, and a page that cannot
be read fails its document alone, with one line naming the page.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from archive_kit.archive import Archive
from archive_kit.errors import ArchiveKitError
from archive_kit.extract import ExtractOptions
from archive_kit.ingest.analyse import analyse_all
from archive_kit.ocr import OcrResult, register_engine
from archive_kit.ocr.rapid import RapidOcrEngine
from archive_kit.workers import Limits, WorkerPool
from bench.gen_docs import NOTICE_BODY, make_pdf
from bench.gen_scans import SAMPLE_TEXTS, make_scanned_pdf, render_text_page
from tests.conftest import cli_json, run_cli
from tests.test_safety_repo import build_pdf, image_page

MEETING_PLACE: dict[str, Path] = {}  # set before the pool forks its workers, so they inherit it


@register_engine
class RendezvousEngine(RapidOcrEngine):
    """RapidOCR that reads a page only once two worker processes are reading pages at the same time:
    each leaves its process id in the meeting place and waits for another's. Pages OCRed one
    after the other, by one worker, never meet, and the page fails."""

    name = "rapidocr-rendezvous"

    def recognize(self, image: Image.Image) -> OcrResult:
        place = MEETING_PLACE["dir"]
        (place / str(os.getpid())).touch()
        deadline = time.monotonic() + 120  # a generous wait for the other worker to start on a busy machine
        while len(list(place.iterdir())) < 2:
            if time.monotonic() > deadline:
                raise ArchiveKitError("no other worker was reading a page at the same time")
            time.sleep(0.05)
        return super().recognize(image)


@pytest.mark.slow
def test_a_scans_pages_are_read_by_two_workers_at_once_and_come_back_in_page_order(tmp_path: Path) -> None:
    texts = [SAMPLE_TEXTS["volunteer"], None, SAMPLE_TEXTS["three_meetings"], SAMPLE_TEXTS["workers_home"]]
    pages = [render_text_page(t, seed=i) if t else Image.new("L", (1654, 2339), 255) for i, t in enumerate(texts)]
    pdf = make_scanned_pdf(tmp_path / "全年签到表.pdf", pages)
    MEETING_PLACE["dir"] = tmp_path / "meet"
    MEETING_PLACE["dir"].mkdir()
    options = ExtractOptions(ocr_engine=RendezvousEngine.name, split_ocr=True)
    with WorkerPool(2, Limits(600, 0)) as pool:
        outcomes = list(analyse_all(pool, [("scan", (str(pdf), "pdf", options, pdf.name))]))
    assert [(o.key, o.error) for o in outcomes] == [("scan", None)]
    extraction, meta = outcomes[0].value
    assert len(list(MEETING_PLACE["dir"].iterdir())) == 2, "two workers read pages"
    assert extraction.pages == 4 and extraction.ocr
    page_texts = extraction.text.split("\f")
    assert len(page_texts) == 4, page_texts
    assert "学雷锋志愿服务" in page_texts[0] and "重庆市总工会" in page_texts[0]
    assert page_texts[1].strip() == "", "the blank page stays empty, in its place"
    assert "三会一课" in page_texts[2] and "支委会" in page_texts[2]
    assert "职工之家" in page_texts[3] and "职工书屋" in page_texts[3]
    assert extraction.warnings == ["1 blank page(s) with nothing to read were not OCRed"]
    assert meta.title == "关于开展学雷锋志愿服务月活动的通知"


def _unloadable_second_page(path: Path) -> Path:
    """A 3-page image-only PDF whose second page object is not a page: pypdf skips it, PDFium
    counts it and cannot load it, so the page pypdf calls the second fails when it is rendered."""
    data = build_pdf([image_page(i) for i in range(3)])
    marker = b"/Type /Page /Parent"
    at = data.index(marker, data.index(marker) + 1)
    path.write_bytes(data[:at] + b"/Type /Pagx /Parent" + data[at + len(marker):])
    return path


@pytest.mark.slow
def test_a_page_that_cannot_be_read_fails_its_document_alone_in_one_line(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _unloadable_second_page(folder / "坏页扫描件.pdf")
    make_scanned_pdf(folder / "三会一课计划.pdf", [render_text_page(SAMPLE_TEXTS["three_meetings"], seed=3),
                                                render_text_page(SAMPLE_TEXTS["workers_home"], seed=4)])
    make_pdf(folder / "通知.pdf", "关于开展学雷锋志愿服务的通知", NOTICE_BODY)
    rc, data = cli_json("ingest", str(folder), "--jobs", "2", root=repo.root)
    assert rc == 1, data
    assert sorted(d["original_name"] for d in data["added"]) == ["三会一课计划.pdf", "通知.pdf"]
    [failed] = data["failed"]
    assert Path(failed["path"]).name == "坏页扫描件.pdf"
    assert re.fullmatch(r"page 2 of 2: cannot read page 2: .+", failed["error"]), failed["error"]
    assert "\n" not in failed["error"]
    scan = next(d for d in data["added"] if d["original_name"] == "三会一课计划.pdf")
    assert scan["ocr"] and scan["pages"] == 2
    first, second = Archive.open(repo.root).text(scan["id"]).split("\f")
    assert "三会一课" in first and "职工之家" in second, "the other scan's pages were OCRed, in order"
    assert run_cli("verify", root=repo.root).returncode == 0
