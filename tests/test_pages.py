"""True page counts (issue 11 item 5): a Word document's page count is its LibreOffice rendition's,
made at ingest; without LibreOffice the count is an estimate, marked so, listed by ``review``,
announced by ``number`` and recounted by ``repair`` once LibreOffice works. The catalogue, the
item and box listings, the 归档章 and the bundle's page ranges agree. Real LibreOffice, real
files, the real CLI; outputs read back with openpyxl and pypdf."""
from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from archive_kit.archive import Archive
from archive_kit.extract import ExtractOptions
from archive_kit.extract.docx import extract_docx
from archive_kit.office import SOFFICE_ENV, soffice_path
from archive_kit.renditions import rendition_path
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json, run_cli

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="needs LibreOffice")

TAGS = ("--track", "civilized-unit", "--criterion", "2.3", "--year", "2023")
TITLE = "关于开展文明礼仪培训的实施方案"


def two_page_docx(path: Path, title: str = TITLE) -> Path:
    """A DOCX whose docProps/app.xml says 1 page (as python-docx's template always does) while its
    body runs onto a second page (a hard page break)."""
    import docx

    d = docx.Document()
    d.add_heading(title, level=0)
    for para in NOTICE_BODY:
        d.add_paragraph(para)
    d.add_page_break()
    d.add_paragraph("附件：培训安排表。" + "各部门按安排组织参加培训。" * 5)
    d.add_paragraph("市直机关工委")
    d.add_paragraph("2023年5月6日")
    d.save(str(path))
    return path


def app_xml_pages(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return int(re.search(r"<Pages>(\d+)</Pages>", z.read("docProps/app.xml").decode()).group(1))


def _with_fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> tuple[Path, Path]:
    """``ARCHIVE_KIT_SOFFICE`` set to a shell script standing in for LibreOffice on a hostile file
    (hanging, failing); returns a fresh repository and a folder holding one two-page DOCX."""
    fake = tmp_path / "soffice"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setenv(SOFFICE_ENV, str(fake))
    src = tmp_path / "src"
    src.mkdir()
    two_page_docx(src / "方案.docx")
    return _init(tmp_path / "repo"), src


def _init(root: Path) -> Path:
    Archive.init(root, fonds="J001", unit="市直机关工委").close()
    return root


def _doc(root: Path, name: str) -> dict:
    rc, data = cli_json("list", root=root)
    assert rc == 0
    return next(d for d in data["documents"] if d["original_name"] == name)


def _item_rows(xlsx: Path) -> list[dict]:
    """The item catalogue's body rows as {header: value}."""
    ws = load_workbook(xlsx).active
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r and "页数" in r)
    names = rows[head]
    return [dict(zip(names, r)) for r in rows[head + 1:] if any(v is not None for v in r)]


def _box_pages(root: Path, out: Path) -> list[int]:
    """The 页数 column of the box listing."""
    proc = run_cli("listing", "--format", "xlsx", "--level", "box", "--out", str(out), root=root)
    assert proc.returncode == 0, proc.stderr
    return [int(r["页数"]) for r in _item_rows(out)]


def test_docx_pages_come_from_its_rendition_everywhere(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    docx_path = two_page_docx(src / "培训方案.docx")
    make_pdf(src / "通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, date_text="2023年3月5日")
    assert app_xml_pages(docx_path) == 1, "the document's own properties say 1 page"
    root = _init(tmp_path / "repo")

    proc = run_cli("ingest", str(src), *TAGS, "--jobs", "2", root=root)
    assert proc.returncode == 0, proc.stderr
    doc = _doc(root, "培训方案.docx")
    rendition = rendition_path(root / "derived" / "renditions", doc["sha256"])
    assert rendition.is_file(), "the rendition is made at ingest"
    assert len(PdfReader(rendition).pages) == 2
    assert doc["pages"] == 2 and doc["pages_estimated"] is None
    made_at = rendition.stat().st_mtime_ns

    rc, numbered = cli_json("number", root=root)
    assert rc == 0 and numbered["estimated_pages"] == []
    assert {d["id"]: d["pages"] for d in numbered["numbered"]}[doc["id"]] == 2

    xlsx = tmp_path / "目录.xlsx"
    proc = run_cli("listing", "--format", "xlsx", "--out", str(xlsx), root=root)
    assert proc.returncode == 0, proc.stderr
    rows = {r["题名"]: r for r in _item_rows(xlsx)}
    assert int(rows[TITLE]["页数"]) == 2
    assert _box_pages(root, tmp_path / "盒.xlsx") == [3]

    rc, bundle = cli_json("bundle", "--track", "civilized-unit", "--year", "2023",
                          "--out", str(tmp_path / "迎检"), root=root)
    assert rc == 0, bundle
    placed = sorted((d for s in bundle["contents"] for d in s["documents"]), key=lambda d: d["start_page"])
    mine = next(d for d in placed if d["id"] == doc["id"])
    assert mine["pages"] == 2 and mine["rendition"]
    assert [d["start_page"] for d in placed] == [1, 1 + placed[0]["pages"]] and bundle["pages"] == 3
    reader = PdfReader(tmp_path / "迎检" / "bundle.pdf")
    first, second = (reader.pages[mine["pdf_page"] - 1 + i].extract_text() for i in (0, 1))
    stamp = re.search(r"全宗号.*?页数\s*(\d+)", first, re.S)  # the stamp's cells: each label, then its value
    assert stamp and stamp.group(1) == "2", first[-200:]
    assert TITLE[:6] in first and "附件" in second.replace("\n", "") and "全宗号" not in second
    assert rendition.stat().st_mtime_ns == made_at, "the bundle reuses the rendition made at ingest"
    rc, data = cli_json("verify", root=root)
    assert rc == 0 and data["ok"], data


def test_without_libreoffice_the_count_is_estimated_reviewed_announced_and_recounted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    two_page_docx(src / "培训方案.docx")
    make_pdf(src / "通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, date_text="2023年3月5日")
    root = _init(tmp_path / "repo")
    monkeypatch.setenv(SOFFICE_ENV, str(tmp_path / "no-soffice-here"))

    proc = run_cli("ingest", str(src), *TAGS, root=root)
    assert proc.returncode == 0, proc.stderr
    doc = _doc(root, "培训方案.docx")
    pdf = _doc(root, "通知.pdf")
    assert doc["pages"] == 1 and "LibreOffice is not installed" in doc["pages_estimated"]
    assert pdf["pages_estimated"] is None
    assert not any((root / "derived" / "renditions").glob(f"{doc['sha256']}*"))

    rc, review = cli_json("review", root=root)
    reasons = {d["id"]: d["review_reasons"] for d in review["documents"]}
    mine = [r for r in reasons.get(doc["id"], []) if "estimated" in r]
    assert len(mine) == 1 and "LibreOffice is not installed" in mine[0] and "repair" in mine[0], reasons
    assert not any("estimated" in r for r in reasons.get(pdf["id"], []))

    proc = run_cli("number", "--json", root=root)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["estimated_pages"] == [doc["id"]]
    notice = [line for line in proc.stderr.splitlines() if "estimated" in line]
    assert len(notice) == 1 and f"#{doc['id']}" in notice[0], proc.stderr
    assert _box_pages(root, tmp_path / "盒-估.xlsx") == [2]
    numbered = _doc(root, "培训方案.docx")

    monkeypatch.delenv(SOFFICE_ENV)
    rc, repaired = cli_json("repair", root=root)
    assert rc == 0 and repaired["ok"], repaired
    assert any(f"#{doc['id']}" in a and "1 → 2" in a for a in repaired["actions"]), repaired["actions"]
    again = _doc(root, "培训方案.docx")
    assert again["pages"] == 2 and again["pages_estimated"] is None
    assert (again["item_number"], again["box"]) == (numbered["item_number"], numbered["box"]), "numbers stay"
    rc, review = cli_json("review", root=root)
    assert not any("estimated" in r for d in review["documents"] for r in d["review_reasons"])
    rc, log = cli_json("log", root=root)
    recounts = [e for e in log["log"] if e["action"] == "recount"]
    assert len(recounts) == 1 and recounts[0]["doc_id"] == doc["id"]
    assert recounts[0]["detail"]["pages"] == 2 and recounts[0]["detail"]["before"] == 1
    assert _box_pages(root, tmp_path / "盒.xlsx") == [3], "the box's pages follow the recount"
    rc, data = cli_json("verify", root=root)
    assert rc == 0 and data["ok"], data


def test_a_failed_conversion_estimates_from_the_text_when_the_document_says_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Properties without a page count and a converter that fails: the estimate comes from the text's length."""
    plain = two_page_docx(tmp_path / "a.docx")
    bare = tmp_path / "bare.docx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/app.xml":  # the properties state no page count
                data = re.sub(rb"<Pages>\d+</Pages>", b"", data)
            zout.writestr(info, data)
    _with_fake_soffice(tmp_path, monkeypatch, "exit 3")
    renditions = tmp_path / "renditions"
    ext = extract_docx(bare, ExtractOptions(ocr=False, renditions_dir=str(renditions)))
    assert ext.pages == 1 and "could not convert" in ext.pages_estimated and "text" in ext.pages_estimated
    assert not any(renditions.glob("*.pdf"))


def test_a_format_5_catalogue_is_migrated_and_its_word_counts_marked_for_recounting(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    two_page_docx(src / "培训方案.docx")
    make_pdf(src / "通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, date_text="2023年3月5日")
    root = _init(tmp_path / "repo")
    assert run_cli("ingest", str(src), *TAGS, root=root).returncode == 0
    db = sqlite3.connect(root / "catalogue.sqlite")  # as archive-kit before version 6 left it
    db.execute("UPDATE documents SET pages = 1 WHERE format = 'docx'")
    db.execute("ALTER TABLE documents DROP COLUMN pages_estimated")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    doc = _doc(root, "培训方案.docx")
    assert doc["pages"] == 1 and "before" in doc["pages_estimated"]
    assert _doc(root, "通知.pdf")["pages_estimated"] is None
    assert sqlite3.connect(root / "catalogue.sqlite").execute("PRAGMA user_version").fetchone()[0] == 6
    rc, repaired = cli_json("repair", root=root)
    assert rc == 0 and repaired["ok"]
    assert _doc(root, "培训方案.docx")["pages"] == 2


def _kill_ingest_while(root: Path, src: Path, converting: str) -> None:
    """Start an ingest of ``src``, SIGKILL it once a process whose command line holds ``converting``
    runs under it, and check that nothing it started outlives it."""
    from tests.test_crash import assert_no_orphans

    cmd = [sys.executable, "-m", "archive_kit", "--root", str(root), "ingest", str(src), *TAGS, "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 120
    children: list[psutil.Process] = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
            if any(converting in " ".join(c.cmdline()) for c in children):
                break
        except psutil.Error:
            pass
        time.sleep(0.02)
    else:
        proc.kill()
        pytest.fail(f"ingest ended before {converting} was seen converting")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert_no_orphans(root, children, "ingest")


def test_a_kill_while_ingest_renders_leaves_a_verifiable_repository_and_a_rerun_completes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        two_page_docx(src / f"方案{i}.docx", f"{TITLE}（第{i}期）")
    root = _init(tmp_path / "repo")
    _kill_ingest_while(root, src, "soffice")
    rc, data = cli_json("verify", root=root)
    assert rc == 0 and data["ok"], data
    proc = run_cli("ingest", str(src), *TAGS, "--jobs", "2", root=root)
    assert proc.returncode == 0, proc.stderr
    rc, listed = cli_json("list", root=root)
    assert sorted(d["pages"] for d in listed["documents"]) == [2, 2, 2, 2]
    assert all(d["pages_estimated"] is None for d in listed["documents"])
    rc, data = cli_json("verify", root=root)
    assert rc == 0 and data["ok"], data


def test_a_killed_ingest_takes_a_hanging_conversion_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile document on which LibreOffice hangs: killing the ingest kills the converter too
    (it runs in a process group of its own, so that its timeout can kill it alone)."""
    root, src = _with_fake_soffice(tmp_path, monkeypatch, "exec sleep 297")
    _kill_ingest_while(root, src, "sleep 297")
    rc, data = cli_json("verify", root=root)
    assert rc == 0 and data["ok"], data


def test_a_hanging_conversion_times_out_inside_the_worker_limit_and_the_count_is_estimated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, src = _with_fake_soffice(tmp_path, monkeypatch, "exec sleep 293")
    cfg = json.loads((root / "config.json").read_text(encoding="utf-8"))
    (root / "config.json").write_text(json.dumps({**cfg, "worker_timeout_s": 4}), encoding="utf-8")
    rc, data = cli_json("ingest", str(src), *TAGS, root=root)
    assert rc == 0 and not data["failed"], data["failed"]
    [doc] = data["added"]
    assert doc["pages"] == 1 and "did not finish converting within 2 s" in doc["pages_estimated"]
    assert not [p for p in psutil.process_iter(["cmdline"]) if "sleep 293" in " ".join(p.info["cmdline"] or [])]


def _hang_in_a_session_of_its_own(marker: str) -> None:
    """A worker task that starts a program in a session of its own (as office.py starts soffice) and hangs."""
    from archive_kit.workers import child_group

    proc = subprocess.Popen(["sleep", marker], start_new_session=True)
    with child_group(proc.pid):
        proc.wait()


def test_a_worker_killed_for_its_time_limit_takes_the_programs_it_started_in_their_own_sessions() -> None:
    from archive_kit.workers import Limits, WorkerPool

    with WorkerPool(1, Limits(timeout_s=1, memory_mb=0)) as pool:
        [out] = list(pool.run(_hang_in_a_session_of_its_own, [("k", ("291",))]))
    assert out.error and "timed out" in out.error
    time.sleep(0.2)
    assert not [p for p in psutil.process_iter(["cmdline"]) if (p.info["cmdline"] or [])[-1:] == ["291"]]
