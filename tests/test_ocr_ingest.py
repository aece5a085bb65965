"""Scans and photos through the whole ingest with the real OCR engine: text, metadata, tags, cache."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.config import Config
from bench.gen_scans import SAMPLE_TEXTS, make_photo, make_scanned_pdf, render_text_page


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scans") / "党建" / "扫描件"
    folder.mkdir(parents=True)
    render_text_page(SAMPLE_TEXTS["volunteer"], noise=0.1, skew_deg=1.5).save(folder / "通知扫描.png")
    make_scanned_pdf(folder / "三会一课计划.pdf", [render_text_page(SAMPLE_TEXTS["three_meetings"], seed=3)])
    make_photo(folder / "读书分享会.jpg", exif_date=dt.datetime(2022, 4, 23, 15, 30), orientation=None, with_text=None)
    return folder


def test_scans_are_ocred_and_described(repo: Archive, scans: Path) -> None:
    report = repo.ingest([scans], jobs=2)
    assert not report.failed, report.failed
    docs = {d.original_name: d for d in report.added}
    png = docs["通知扫描.png"]
    assert png.ocr and png.format == "image" and png.pages == 1
    text = repo.text(png.id)
    for phrase in ("学雷锋志愿服务", "文明交通劝导", "重庆市总工会"):
        assert phrase in text
    assert png.doc_number == "渝工发〔2023〕35号"
    assert (png.date, png.year, png.year_source) == ("2023-03-05", 2023, "content")
    pdf = docs["三会一课计划.pdf"]
    assert pdf.ocr and "三会一课" in repo.text(pdf.id)
    assert pdf.title == "第一党支部二〇二三年第二季度三会一课计划"
    assert (pdf.track, pdf.criterion) == ("party-building", "3.2.1")
    photo = docs["读书分享会.jpg"]
    assert photo.title == "读书分享会" and repo.text(photo.id).strip() == ""
    assert (photo.date, photo.year) == ("2022-04-23", 2022), "a photo's year comes from its EXIF date"
    hits = repo.search("文明交通劝导")
    assert [h.id for h in hits.hits] == [png.id]


def test_ocr_results_are_cached_by_content_hash(repo: Archive, scans: Path) -> None:
    """A rerun after a crash (document extracted but never catalogued) must not OCR again."""
    first = repo.ingest([scans / "通知扫描.png"]).added[0]
    with repo.catalogue.transaction() as db:  # the catalogue loses the row, as if killed before commit
        db.execute("DELETE FROM index_queue WHERE doc_id = ?", (first.id,))
        db.execute("DELETE FROM documents WHERE id = ?", (first.id,))
    repo.sync_index()
    cfg = Config.load(repo.root / "config.json")
    cfg.worker_timeout_s = 0.2  # far too short for OCR: only the cache can satisfy this ingest
    cfg.save(repo.root / "config.json")
    again = Archive.open(repo.root)
    try:
        report = again.ingest([scans / "通知扫描.png"])
        assert not report.failed, report.failed
        assert report.added[0].ocr and "志愿服务" in again.text(report.added[0].id)
    finally:
        again.close()
