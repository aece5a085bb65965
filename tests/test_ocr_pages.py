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
from archive_kit.ingest.pipeline import largest_first
from archive_kit.ocr import OcrResult, register_engine
from archive_kit.ocr.rapid import RapidOcrEngine
from archive_kit.ocr.tesseract import TesseractEngine
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


READ_LOG: dict[str, Path] = {}  # set before the pool forks its worker, so it inherits it


@register_engine
class RecordingTesseract(TesseractEngine):
    """Tesseract that notes, in the order it reads them, the first line of every page it reads."""

    name = "tesseract-recording"

    def recognize(self, image: Image.Image) -> OcrResult:
        result = super().recognize(image)
        (READ_LOG["dir"] / f"{time.monotonic_ns()}").write_text(result.text.split("\n")[0], encoding="utf-8")
        return result


@pytest.mark.slow
def test_the_biggest_scans_go_to_the_workers_first_and_ids_keep_input_order(repo: Archive, tmp_path: Path) -> None:
    """One worker reads files in the order they are dispatched: biggest first (a run of scans then
    does not end on a big page while the other workers idle), catalogued in input order all the same."""
    folder = tmp_path / "in"
    folder.mkdir()
    READ_LOG["dir"] = tmp_path / "read"
    READ_LOG["dir"].mkdir()
    names = {}  # input order: the smallest file first, the biggest last
    for i, (key, noise) in enumerate([("volunteer", 0.0), ("three_meetings", 0.05), ("workers_home", 0.15)]):
        names[key] = folder / f"{i}-scan.png"
        render_text_page(SAMPLE_TEXTS[key], noise=noise, seed=i).save(names[key])
    sizes = [names[k].stat().st_size for k in ("volunteer", "three_meetings", "workers_home")]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3, sizes
    repo.config.ocr_engine = RecordingTesseract.name
    report = repo.ingest([names[k] for k in names], ocr=True, jobs=1)
    assert not report.failed, report.failed
    read = [p.read_text(encoding="utf-8") for p in sorted(READ_LOG["dir"].iterdir(), key=lambda p: int(p.name))]
    assert len(read) == 3 and all(word in r for word, r in zip(["职工之家", "三会一课", "学雷锋"], read)), read
    assert [d.original_name for d in sorted(report.added, key=lambda d: d.id)] == ["0-scan.png", "1-scan.png", "2-scan.png"]


def test_files_are_dispatched_ahead_of_their_turn_only_within_a_window() -> None:
    """Biggest first, but never more than a window ahead: finished files wait in memory for an
    earlier, slower one only that long before they are catalogued."""
    tasks = [(k, None) for k in range(130)]
    order = [k for k, _ in largest_first(tasks, {k: k % 7 for k in range(130)}, window=64)]
    assert sorted(order) == list(range(130))
    windows = [order[:64], order[64:128], order[128:]]
    assert [sorted(w) for w in windows] == [list(range(64)), list(range(64, 128)), [128, 129]]
    assert all([k % 7 for k in w] == sorted((k % 7 for k in w), reverse=True) for w in windows)
