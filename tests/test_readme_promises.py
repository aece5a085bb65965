"""What the README promises and no other test checked, each with a real file through the real CLI:
Office lock, hidden and system files skipped while walking a folder; DOCX content controls, headers
and footers extracted; .wps/.rtf/.odt/.xls through LibreOffice; ``"ocr_engine": "tesseract"`` in
config.json really runs tesseract; retagging a numbered document needs ``--force``.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.office import convert, soffice_path
from archive_kit.renditions import rendition_path
from bench.gen_docs import NOTICE_BODY, make_docx
from tests.conftest import cli_json, run_cli

needs_soffice = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice is not installed")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def show(root: Path, doc_id: int) -> dict:
    """The document record with its extracted text."""
    rc, data = cli_json("show", str(doc_id), "--text", root=root)
    assert rc == 0, data
    return data


# --- Office lock files, hidden and system files ---------------------------------------------------

def test_office_lock_hidden_and_system_files_are_skipped_and_listed(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "资料"
    folder.mkdir()
    make_docx(folder / "通知.docx", "关于开展志愿服务活动的通知", NOTICE_BODY)
    owner = "张三".encode("utf-16-le")
    junk = {  # each as the program that leaves it behind writes it
        "~$通知.docx": bytes([len("张三")]) + b"\0" + owner + b"\0" * (162 - 2 - len(owner)),  # Word owner file
        ".~lock.通知.docx#": "张三,zhangsan,PC-01,01.12.2026 09:30,file:///home/zhangsan/.config/libreoffice/4;".encode(),
        "Thumbs.db": bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,  # an OLE compound file
        ".DS_Store": b"\0\0\0\x01Bud1" + b"\0" * 100,
        "desktop.ini": "\ufeff[.ShellClassInfo]\r\nLocalizedResourceName=资料\r\n".encode("utf-16-le"),
    }
    for name, data in junk.items():
        (folder / name).write_bytes(data)
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0 and not data["failed"], data["failed"]
    assert [Path(d["source_path"]).name for d in data["added"]] == ["通知.docx"]
    skipped = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert set(skipped) == set(junk), skipped
    assert "lock file" in skipped["~$通知.docx"] and skipped[".~lock.通知.docx#"] == "hidden file"
    assert skipped["Thumbs.db"] == skipped["desktop.ini"] == skipped[".DS_Store"] == "system file"


# --- DOCX content controls, headers and footers ---------------------------------------------------

def _sdt(inner: str, *, block: bool) -> str:
    """A w:sdt content control (block-level around a paragraph, or inline around a run)."""
    content = f'<w:p><w:r><w:t>{inner}</w:t></w:r></w:p>' if block else f'<w:r><w:t>{inner}</w:t></w:r>'
    return (f'<w:sdt xmlns:w="{W}"><w:sdtPr><w:alias w:val="填写项"/><w:tag w:val="field"/></w:sdtPr>'
            f'<w:sdtContent>{content}</w:sdtContent></w:sdt>')


def docx_with_controls_header_footer(path: Path) -> Path:
    """A DOCX as Word makes forms: block and inline content controls (one inside a table), a
    header, a footer and a different first-page header."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    d.add_heading("志愿服务活动登记表", level=0)
    body = d.element.body
    body.insert(len(body) - 1, parse_xml(_sdt("块级控件填写的活动地点", block=True)))
    para = d.add_paragraph("负责人：")
    para._p.append(parse_xml(_sdt("行内控件填写的李四", block=False)))
    cell = d.add_table(rows=1, cols=1).cell(0, 0)
    cell._tc.append(parse_xml(_sdt("表格里控件填写的人数", block=True)))
    section = d.sections[0]
    section.different_first_page_header_footer = True
    section.header.paragraphs[0].text = "页眉市直机关工委"
    section.footer.paragraphs[0].text = "页脚内部资料注意保存"
    section.first_page_header.paragraphs[0].text = "首页页眉志愿服务专刊"
    d.save(str(path))
    return path


def test_docx_content_controls_headers_and_footers_are_extracted(repo: Archive, tmp_path: Path) -> None:
    src = docx_with_controls_header_footer(tmp_path / "登记表.docx")
    rc, data = cli_json("ingest", str(src), "--no-ocr", root=repo.root)
    assert rc == 0, data
    text = show(repo.root, data["added"][0]["id"])["text"]
    for part in ("块级控件填写的活动地点", "行内控件填写的李四", "表格里控件填写的人数",
                 "页眉市直机关工委", "页脚内部资料注意保存", "首页页眉志愿服务专刊"):
        assert part in text, (part, text)
    assert text.index("块级控件填写的活动地点") < text.index("页眉市直机关工委")  # body first, then headers


# --- .wps, .rtf, .odt, .xls through LibreOffice ---------------------------------------------------

@pytest.fixture(scope="module")
def legacy_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files of each legacy format, written by LibreOffice from a DOCX and an XLSX made here.

    .wps: what WPS Office (Kingsoft) writes under that name is the Word 97 binary format in an OLE
    container, so the .wps is LibreOffice's Word 97 output under a .wps name; archive-kit identifies
    it by its OLE bytes and its name, and hands it to LibreOffice like a .doc."""
    if soffice_path() is None:
        pytest.skip("LibreOffice is not installed")
    import openpyxl

    folder = tmp_path_factory.mktemp("legacy")
    docx = make_docx(folder / "志愿服务通知.docx", "关于开展旧格式志愿服务的通知", NOTICE_BODY)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名", "服务时长", "活动"])
    sheet.append(["王五", 12, "旧格式表格志愿服务"])
    xlsx = folder / "志愿服务台账.xlsx"
    book.save(xlsx)
    out = {}
    for fmt, src, target in (("rtf", docx, "rtf"), ("odt", docx, "odt"), ("xls", xlsx, "xls"), ("wps", docx, "doc")):
        made = convert(src, folder / f"out-{fmt}", target)
        out[fmt] = made.rename(folder / f"{src.stem}-{fmt}.{fmt}")
    return out


@needs_soffice
@pytest.mark.parametrize("fmt, words", [("rtf", "旧格式志愿服务"), ("odt", "旧格式志愿服务"),
                                        ("wps", "旧格式志愿服务"), ("xls", "旧格式表格志愿服务")])
def test_legacy_office_formats_are_read_through_libreoffice(repo: Archive, legacy_files: dict[str, Path],
                                                            fmt: str, words: str) -> None:
    src = legacy_files[fmt]
    assert src.read_bytes()[:8] != b"PK\x03\x04" or fmt == "odt"  # the real legacy bytes, not a renamed DOCX
    rc, data = cli_json("ingest", str(src), "--no-ocr", root=repo.root)
    assert rc == 0 and not data["failed"], data
    doc = show(repo.root, data["added"][0]["id"])
    assert doc["format"] == fmt
    assert words in doc["text"].replace("\n", ""), doc["text"]
    assert doc["pages"] and doc["pages"] >= 1
    assert rendition_path(repo.renditions_dir, doc["sha256"]).is_file(), "the LibreOffice PDF is kept as the rendition"


# --- "ocr_engine": "tesseract" --------------------------------------------------------------------

def recording_tesseract(folder: Path, log: Path) -> Path:
    """A folder whose ``tesseract`` notes each call in ``log`` and runs the real program."""
    real = shutil.which("tesseract")
    folder.mkdir()
    exe = folder / "tesseract"
    exe.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    return folder


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
@pytest.mark.parametrize("engine", ["tesseract", None])
def test_the_configured_ocr_engine_is_the_one_that_runs(repo: Archive, tmp_path: Path, engine: str | None) -> None:
    from bench.gen_scans import render_text_page

    scan = tmp_path / "扫描通知.png"
    render_text_page("关于开展志愿服务活动的通知\n" + "\n".join(NOTICE_BODY[:2])).save(scan)
    repo.config.ocr_engine = engine
    repo.config.save(repo.root / "config.json")
    log = tmp_path / "calls.log"
    bin_dir = recording_tesseract(tmp_path / "bin", log)
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(repo.root), "ingest", str(scan), "--json"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore", "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert proc.returncode == 0, proc.stderr
    added = json.loads(proc.stdout)["added"]
    assert added and added[0]["ocr"]
    assert "志愿服务" in show(repo.root, added[0]["id"])["text"]
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    if engine == "tesseract":
        assert any("chi_sim" in c for c in calls), calls
    else:  # the default engine (RapidOCR) never starts tesseract
        assert not any("chi_sim" in c for c in calls), calls


# --- retagging a numbered document ---------------------------------------------------------------

def test_retagging_a_numbered_document_needs_force_and_keeps_its_number(repo: Archive, tmp_path: Path) -> None:
    src = tmp_path / "src" / "civilized-unit" / "2023" / "2.3"
    src.mkdir(parents=True)
    make_docx(src / "通知.docx", "关于开展志愿服务活动的通知", NOTICE_BODY)
    rc, data = cli_json("ingest", str(tmp_path / "src"), "--no-ocr", root=repo.root)
    doc_id = data["added"][0]["id"]
    assert run_cli("number", root=repo.root).returncode == 0
    before = show(repo.root, doc_id)
    assert before["item_number"] == 1 and before["criterion"] == "2.3" and before["archival_code"]

    refused = run_cli("tag", str(doc_id), "--criterion", "2.1", root=repo.root)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "--force" in refused.stderr and before["archival_code"] in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert show(repo.root, doc_id) == before, "a refused retag changed the document"

    assert run_cli("tag", str(doc_id), "--criterion", "2.1", "--force", root=repo.root).returncode == 0
    after = show(repo.root, doc_id)
    assert after["criterion"] == "2.1" and after["tag_sources"]["criterion"] == "manual"
    assert (after["item_number"], after["archival_code"], after["box"]) == \
        (before["item_number"], before["archival_code"], before["box"]), "its number stays as it is"
    with Archive.open(repo.root) as again:
        logged = [e for e in again.number_log() if e["action"] == "retag-numbered"]
    assert len(logged) == 1 and logged[0]["doc_id"] == doc_id
    assert logged[0]["detail"]["archival_code"] == before["archival_code"]
