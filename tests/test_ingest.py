"""Ingest of real generated files: text, metadata, dedupe, tagging sources and their priority."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    """A folder in the contract's convention: 文明单位/2023/2 志愿服务/…"""
    folder = tmp_path / "in" / "文明单位" / "2023" / "2 志愿服务"
    folder.mkdir(parents=True)
    make_pdf(folder / "关于开展志愿服务活动的通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY,
             doc_number="市直工委发〔2023〕12号", date_text="二〇二三年三月五日")
    make_docx(folder / "签到表.docx", "志愿服务活动签到表", ["活动时间：2023年3月10日", "地点：新华社区"],
              table=[["姓名", "部门", "签名"], ["张三", "办公室", "张三"], ["李四", "组织科", "李四"]],
              date_text="2023年3月10日")
    return tmp_path / "in" / "文明单位"


def test_pdf_and_docx_are_read_with_text_and_metadata(repo: Archive, evidence: Path) -> None:
    report = repo.ingest([evidence], ocr=False)
    assert not report.failed, report.failed
    by_name = {d.original_name: d for d in report.added}
    pdf = by_name["关于开展志愿服务活动的通知.pdf"]
    assert pdf.format == "pdf" and pdf.pages == 1 and not pdf.ocr
    assert pdf.title == "关于开展志愿服务活动的通知"
    assert pdf.doc_number == "市直工委发〔2023〕12号"
    assert pdf.date == "2023-03-05"
    assert "志愿服务" in repo.text(pdf.id) and "工作要求" in repo.text(pdf.id)
    docx = by_name["签到表.docx"]
    text = repo.text(docx.id)
    assert "张三" in text and "组织科" in text, "table cells must be extracted"
    assert docx.title == "志愿服务活动签到表"
    for d in (pdf, docx):
        assert (d.track, d.year) == ("civilized-unit", 2023)
        assert d.track_source == "path"
        assert d.criterion == "2" and d.criterion_source == "path"


def test_originals_are_stored_once_read_only_and_untouched(repo: Archive, evidence: Path) -> None:
    before = {p: p.read_bytes() for p in evidence.rglob("*") if p.is_file()}
    report = repo.ingest([evidence], ocr=False)
    for d in report.added:
        stored = repo.store.path_for(d.sha256)
        assert stored.read_bytes() == Path(d.source_path).read_bytes()
        assert not stored.stat().st_mode & 0o222, "objects are read-only"
    assert {p: p.read_bytes() for p in evidence.rglob("*") if p.is_file()} == before


def test_ingesting_twice_adds_nothing_and_reports_duplicates(repo: Archive, evidence: Path, tmp_path: Path) -> None:
    first = repo.ingest([evidence], ocr=False)
    copy = tmp_path / "副本.pdf"
    shutil.copy(evidence / "2023" / "2 志愿服务" / "关于开展志愿服务活动的通知.pdf", copy)
    second = repo.ingest([evidence, copy], ocr=False)
    assert len(first.added) == 2 and not second.added
    assert len(second.duplicates) == 3
    assert {d["id"] for d in second.duplicates} <= {d.id for d in first.added}
    assert repo.catalogue.count() == 2


def test_same_bytes_twice_in_one_run_are_stored_once(repo: Archive, tmp_path: Path) -> None:
    a = make_pdf(tmp_path / "a.pdf", "关于召开党员大会的通知", NOTICE_BODY)
    shutil.copy(a, tmp_path / "b.pdf")
    report = repo.ingest([tmp_path / "a.pdf", tmp_path / "b.pdf"], ocr=False)
    assert len(report.added) == 1 and len(report.duplicates) == 1


def test_cli_beats_manifest_beats_path_beats_content(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "党建" / "2022" / "3"
    folder.mkdir(parents=True)
    for name in ("a", "b", "c", "d"):
        make_pdf(folder / f"{name}.pdf", f"关于{name}的通知", NOTICE_BODY, date_text="2023年5月6日")
    manifest = folder / "清单.csv"
    manifest.write_text("path,year,track\nb.pdf,2021,文明单位\nc.pdf,2021,\n", encoding="utf-8")
    repo.ingest([folder / "a.pdf"], year=2020, ocr=False)
    report = repo.ingest([folder], manifest=manifest, ocr=False)
    docs = {d.original_name: d for d in repo.documents()}
    assert (docs["a.pdf"].year, docs["a.pdf"].year_source) == (2020, "cli")
    assert (docs["b.pdf"].year, docs["b.pdf"].year_source, docs["b.pdf"].track) == (2021, "manifest", "civilized-unit")
    assert (docs["c.pdf"].year, docs["c.pdf"].track, docs["c.pdf"].track_source) == (2021, "party-building", "path")
    assert (docs["d.pdf"].year, docs["d.pdf"].year_source) == (2022, "path")
    assert not any("清单.csv" in d.source_path for d in report.added), "the manifest is not a document"


def test_content_gives_the_year_from_the_signing_date_never_mtime(repo: Archive, tmp_path: Path) -> None:
    p = make_pdf(tmp_path / "x.pdf", "关于开展主题党日活动的通知", NOTICE_BODY, date_text="二〇二三年三月五日")
    import os

    os.utime(p, (0, dt.datetime(2019, 1, 1).timestamp()))
    d = repo.ingest([p], ocr=False).added[0]
    assert (d.year, d.year_source) == (2023, "content")


def test_conflicting_sources_and_missing_tags_show_in_review(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "文明单位" / "2022"
    folder.mkdir(parents=True)
    make_pdf(folder / "a.pdf", "关于开展道德讲堂活动的通知", NOTICE_BODY, date_text="2023年3月5日")
    make_pdf(tmp_path / "b.pdf", "会议记录", ["会议讨论了有关事项。"], signer=None, date_text=None)
    repo.ingest([folder, tmp_path / "b.pdf"], ocr=False)
    entries = {e.document.original_name: e.reasons for e in repo.review()}
    assert any("year conflict" in r and "path says 2022" in r and "content says 2023" in r for r in entries["a.pdf"])
    assert {"track is missing", "criterion is missing", "year is missing"} <= set(entries["b.pdf"])


def test_content_criterion_only_when_one_clearly_wins(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "文明单位" / "2023"
    folder.mkdir(parents=True)
    make_pdf(folder / "clear.pdf", "关于举办道德讲堂的通知", ["本单位定于每月举办道德讲堂，道德讲堂由各支部轮流承办。"])
    make_pdf(folder / "vague.pdf", "工作安排", ["请各部门按时报送材料。"])
    repo.ingest([folder], ocr=False)
    docs = {d.original_name: d for d in repo.documents()}
    schema = repo.registry.get("civilized-unit")
    clear = docs["clear.pdf"]
    assert clear.criterion_source == "content"
    crit = schema.criterion(clear.criterion)
    assert "道德讲堂" in crit.keywords or "道德讲堂" in crit.name
    assert docs["vague.pdf"].criterion is None


def test_manual_tags_and_links(repo: Archive, evidence: Path) -> None:
    report = repo.ingest([evidence], ocr=False)
    doc = report.added[0]
    repo.tag([doc.id], year=2024, link=["workers-home:" + repo.registry.get("workers-home").criteria[0].code])
    got = repo.get(doc.id)
    assert (got.year, got.year_source) == (2024, "manual")
    assert got.links and got.links[0][0] == "workers-home"
    linked = repo.documents(track="workers-home", criterion=got.links[0][1])
    assert [d.id for d in linked] == [doc.id], "criterion filters include linked documents"
    repo.tag([doc.id], unlink=[f"{got.links[0][0]}:{got.links[0][1]}"])
    assert repo.get(doc.id).links == []


def test_criterion_filter_matches_descendants(repo: Archive, tmp_path: Path) -> None:
    schema = repo.registry.get("civilized-unit")
    child = next(c for c in schema.criteria if c.parent)
    p = make_pdf(tmp_path / "x.pdf", "关于工作的通知", NOTICE_BODY)
    repo.ingest([p], track="civilized-unit", criterion=child.code, year=2023, ocr=False)
    assert len(repo.documents(criterion=child.parent)) == 1
    assert len(repo.documents(track="文明", criterion=child.parent, year=2023)) == 1
    assert repo.documents(year=2022) == []


def test_ingesting_a_folder_that_holds_the_repository_skips_the_repository(tmp_path: Path) -> None:
    """``archive-kit ingest .`` next to the default ./archive must not re-ingest the store."""
    work = tmp_path / "work"
    work.mkdir()
    archive = Archive.init(work / "archive")
    try:
        make_pdf(work / "通知.pdf", "关于开展志愿服务的通知", NOTICE_BODY)
        first = archive.ingest([work], ocr=False)
        assert [d.original_name for d in first.added] == ["通知.pdf"] and not first.failed
        assert any("repository itself" in s["reason"] for s in first.skipped)
        inside = archive.ingest([work / "archive" / "objects"], ocr=False)
        assert not inside.added and "inside the archive-kit repository" in inside.failed[0]["error"]
    finally:
        archive.close()
