"""LibreOffice conversion and legacy office ingest, with the real soffice (a few seconds each)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.errors import ArchiveKitError
from archive_kit.office import OfficeError, OfficeMissingError, convert, convert_to_pdf, soffice_path
from archive_kit.renditions import rendition_path
from bench.gen_docs import NOTICE_BODY, make_docx
from tests.conftest import REAL_CORPUS

needs_soffice = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice is not installed")
REAL_DOC = REAL_CORPUS / "chatchat__行标编制说明_PSR-part12.doc"


@pytest.fixture(scope="module")
def legacy_doc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Word 97 .doc, made by LibreOffice from a generated DOCX with a Chinese name."""
    if soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    folder = tmp_path_factory.mktemp("legacy")
    docx = make_docx(folder / "志愿服务通知.docx", "关于开展志愿服务活动的通知", NOTICE_BODY,
                     doc_number="市直工委发〔2023〕5号", date_text="2023年3月5日")
    made = convert(docx, folder / "out", "doc")
    doc = folder / "志愿服务通知.doc"
    made.rename(doc)
    return doc


def test_missing_libreoffice_is_a_clear_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", "/nonexistent/soffice")
    assert soffice_path() is None
    src = make_docx(tmp_path / "a.docx", "标题", ["正文"])
    with pytest.raises(OfficeMissingError) as err:
        convert_to_pdf(src, tmp_path / "out")
    assert "LibreOffice is not installed: apt-get install libreoffice-writer-nogui" in str(err.value)
    assert isinstance(err.value, ArchiveKitError) and "\n" not in str(err.value)


@needs_soffice
def test_a_conversion_that_overruns_its_timeout_is_killed_with_its_helpers(tmp_path: Path) -> None:
    src = make_docx(tmp_path / "慢.docx", "标题", NOTICE_BODY)
    with pytest.raises(OfficeError, match="did not finish"):
        convert_to_pdf(src, tmp_path / "out", timeout=0.05)
    left = subprocess.run(["pgrep", "-f", "archive-kit-soffice-"], capture_output=True, text=True).stdout
    assert not left.strip(), f"soffice processes left behind: {left}"


@needs_soffice
def test_legacy_doc_is_ingested_through_libreoffice_and_its_rendition_kept(repo: Archive, legacy_doc: Path) -> None:
    report = repo.ingest([legacy_doc], track="civilized-unit", criterion="2.3", year=2023, ocr=False)
    assert not report.failed, report.failed
    doc = report.added[0]
    assert doc.format == "doc"
    assert "志愿服务" in repo.text(doc.id)
    rendition = rendition_path(repo.renditions_dir, doc.sha256)
    assert rendition.is_file(), "the converted PDF is kept so it is not converted twice"
    before = rendition.stat().st_mtime_ns
    assert repo.rendition(doc) == rendition
    assert rendition.stat().st_mtime_ns == before
    assert repo.get(doc.id).pages == doc.pages >= 1


@needs_soffice
@pytest.mark.skipif(not REAL_DOC.is_file(), reason="real corpus not present")
def test_a_real_legacy_doc_from_the_corpus_is_read(repo: Archive) -> None:
    report = repo.ingest([REAL_DOC], ocr=False)
    assert not report.failed, report.failed
    doc = report.added[0]
    assert doc.format == "doc" and doc.pages and doc.pages >= 1
    assert len(repo.text(doc.id)) > 200
    assert rendition_path(repo.renditions_dir, doc.sha256).is_file()


def test_without_libreoffice_a_legacy_doc_fails_alone_with_the_install_hint(
        repo: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not REAL_DOC.is_file():
        pytest.skip("real corpus not present")
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", "/nonexistent")
    ok = make_docx(tmp_path / "ok.docx", "关于开展志愿服务活动的通知", NOTICE_BODY)
    report = repo.ingest([REAL_DOC, ok], ocr=False)
    assert [d.original_name for d in report.added] == ["ok.docx"]
    assert len(report.failed) == 1
    assert "LibreOffice is not installed: apt-get install libreoffice-writer-nogui" in report.failed[0]["error"]
