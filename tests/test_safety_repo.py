"""Data safety of the repository itself (issue 9, defects 7, 9, 12, 14, 16 and 18).

The index stays in step with the catalogue under concurrency and loss; OCR has limits that hold;
a bad config, a damaged catalogue page, a full disk and a read-only repository each give one clear
line; extracted texts are fixity-checked. Real CLI processes, real SQLite, real Whoosh, real OCR,
a real tmpfs and a real read-only mount.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json, run_cli

REPO_DIR = Path(__file__).resolve().parent.parent
BULK_N = 4500   # more than one rebuild chunk (3,000): the rebuild takes seconds and uses its worker pool


# --- documents generated cheaply -------------------------------------------------------------

def build_pdf(contents: list[bytes]) -> bytes:
    """A minimal valid PDF with one page per content stream (``b""`` is a page with nothing on it);
    Helvetica is available as ``/F1``. Thousands of pages cost milliseconds."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for content in contents:
        page = len(objs) + 1
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % (page + 1))
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        kids.append(page)
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def text_page(line: str) -> bytes:
    """A page content stream writing one ASCII line."""
    return b"BT /F1 11 Tf 30 540 Td (" + line.encode("ascii") + b") Tj ET"


def image_page(seed: int) -> bytes:
    """A page content stream drawing a small grey inline image: no text layer, so it needs OCR."""
    pixels = bytes((seed * 7 + i * 13) % 200 for i in range(64))
    return b"q 200 0 0 200 100 300 cm BI /W 8 /H 8 /CS /G /BPC 8 ID " + pixels + b" EI Q"


_BULK: dict[str, Path] = {}


def bulk_repository(factory: pytest.TempPathFactory, dest: Path) -> Path:
    """A copy of a repository of BULK_N really ingested documents (ingested once per session)."""
    if "master" not in _BULK:
        base = factory.mktemp("bulk")
        src = base / "src"
        src.mkdir()
        for i in range(BULK_N):
            (src / f"r{i:05d}.pdf").write_bytes(build_pdf([text_page(f"Volunteer ledger record {i:05d} zyfw{i:05d}")]))
        archive = Archive.init(base / "repo", fonds="J001", unit="测试单位")
        try:
            report = archive.ingest([src], ocr=False, jobs=2, year=2023)
        finally:
            archive.close()
        assert len(report.added) == BULK_N, report.failed[:3]
        _BULK["master"] = base / "repo"
    shutil.copytree(_BULK["master"], dest)
    return dest


def _cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive_kit", "--root", str(root), *args]


def _one_clear_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    """The command failed with exit 3 and one ``archive-kit: error:`` line holding ``words``."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert lines and lines[-1].startswith("archive-kit: error:"), proc.stderr
    for w in words:
        assert w in lines[-1], (w, lines[-1])
    return lines[-1]


def _set_config(root: Path, **values: object) -> None:
    path = root / "config.json"
    cfg = json.loads(path.read_text(encoding="utf-8"))
    cfg.update(values)
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    """A closed repository of four real Chinese PDFs about 志愿服务."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        make_pdf(src / f"志愿{i}.pdf", f"关于开展第{i}次志愿服务活动的通知", NOTICE_BODY + [f"附件编号{i}"])
    archive = Archive.init(tmp_path / "repo", fonds="J001", unit="测试单位")
    archive.ingest([src], ocr=False, year=2023)
    archive.close()
    return tmp_path / "repo"


# --- defect 7: the index never silently misses documents ------------------------------------

@pytest.mark.slow
def test_reindex_and_ingest_at_once_leave_every_document_searchable(tmp_path: Path, tmp_path_factory) -> None:
    """`reindex & ingest new.pdf`: the ingest (and a search) run while the rebuild is held between
    reading the catalogue and swapping its index in; afterwards every document is found."""
    root = bulk_repository(tmp_path_factory, tmp_path / "repo")
    new = make_pdf(tmp_path / "新文件.pdf", "关于开展独一无二甲乙丙活动的通知", NOTICE_BODY)
    reindex = subprocess.Popen(_cmd(root, "reindex"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(root.glob(".index.rebuild-*")):
            assert reindex.poll() is None, "reindex ended before its rebuild was seen"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(reindex.pid, signal.SIGSTOP)   # the rebuild is under way: hold it before its swap
        try:
            rc, data = cli_json("ingest", str(new), "--no-ocr", root=root)
            assert rc == 0 and len(data["added"]) == 1, data
            new_id = data["added"][0]["id"]
            rc, found = cli_json("search", "独一无二甲乙丙", root=root)
            assert rc == 0 and [h["id"] for h in found["hits"]] == [new_id], found
        finally:
            os.kill(reindex.pid, signal.SIGCONT)
        out, err = reindex.communicate(timeout=300)
        assert reindex.returncode == 0, err
    finally:
        if reindex.poll() is None:
            reindex.kill()
            reindex.wait()
    # the swapped-in index itself holds it (verify changes nothing; a search would mend a gap)
    rc, data = cli_json("verify", "--quick", root=root)
    assert rc == 0 and data["ok"], data["problems"][:5]
    assert all("not yet in the search index" not in n for n in data["notes"]), data["notes"]
    for _ in range(2):  # and the next commands find it, not just the first
        rc, found = cli_json("search", "独一无二甲乙丙", root=root)
        assert rc == 0 and [h["id"] for h in found["hits"]] == [new_id], found
    rc, found = cli_json("search", "zyfw", "--limit", "1", root=root)
    assert found["total"] == BULK_N


def test_verify_reports_a_lost_index_and_search_still_finds_the_documents(filled: Path) -> None:
    """`rm -rf archive/index; verify; search 志愿`: verify names the loss and creates nothing; search rebuilds."""
    shutil.rmtree(filled / "index")
    rc, data = cli_json("verify", root=filled)
    assert rc == 3 and not data["ok"], data
    assert [p["kind"] for p in data["problems"]] == ["index-missing"], data["problems"]
    assert not (filled / "index").exists(), "verify created an index"
    rc, found = cli_json("search", "志愿", root=filled)
    assert rc == 0 and found["total"] == 4, found
    rc, data = cli_json("verify", root=filled)
    assert rc == 0 and data["ok"], data
    shutil.rmtree(filled / "index")
    rc, fixed = cli_json("repair", root=filled)
    assert rc == 0 and fixed["ok"] and any("index" in a for a in fixed["actions"]), fixed
    rc, found = cli_json("search", "志愿", root=filled)
    assert found["total"] == 4


def test_an_index_that_lost_documents_without_a_trace_is_caught_up_before_a_search(filled: Path) -> None:
    """A document missing from the index with nothing queued (as the old race left it) is found again."""
    from archive_kit.search import open_index

    rc, listed = cli_json("list", root=filled)
    doc_id = next(d["id"] for d in listed["documents"] if d["original_name"] == "志愿2.pdf")
    ix = open_index(filled / "index")
    ix.delete([doc_id])
    ix.close()
    rc, found = cli_json("search", "附件编号2", root=filled)
    assert rc == 0 and [h["id"] for h in found["hits"]] == [doc_id], found
    rc, data = cli_json("verify", root=filled)
    assert data["ok"], data


# --- defect 9: OCR limits that hold -----------------------------------------------------------

def _ingest_within(root: Path, path: Path, limit_s: float) -> tuple[int, dict]:
    """Ingest with OCR; the subprocess timeout only stops a run that would last for hours."""
    proc = subprocess.run(_cmd(root, "ingest", str(path), "--jobs", "1", "--json"), capture_output=True,
                          text=True, timeout=limit_s)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.slow
def test_a_pdf_of_ten_thousand_empty_pages_is_not_ocred_page_by_page(repo: Archive, tmp_path: Path) -> None:
    """The probe's 10,000 blank pages: nothing is drawn on them, so none goes to the OCR engine."""
    pdf = tmp_path / "空白.pdf"
    pdf.write_bytes(build_pdf([b""] * 10_000))
    _set_config(repo.root, worker_timeout_s=20)
    rc, data = _ingest_within(repo.root, pdf, 300)
    assert rc == 0, data
    doc = data["added"][0]
    assert doc["pages"] == 10_000 and doc["text_chars"] == 0 and not doc["ocr"]
    assert any("10000 blank page(s)" in w for w in doc["warnings"]), doc["warnings"]


@pytest.mark.slow
def test_a_pdf_with_more_pages_to_ocr_than_the_ceiling_is_refused_by_name(repo: Archive, tmp_path: Path) -> None:
    pdf = tmp_path / "扫描大件.pdf"
    pdf.write_bytes(build_pdf([image_page(i) for i in range(400)]))
    _set_config(repo.root, ocr_max_pages=50)
    rc, data = _ingest_within(repo.root, pdf, 120)
    assert rc == 1 and not data["added"], data
    error = data["failed"][0]["error"]
    assert "400 pages" in error and "ocr_max_pages" in error and "50" in error, error


def slow_but_progressing(steps: int) -> int:
    """A task that beats every 0.3 s for ``steps`` beats (module level: a forked worker runs it)."""
    from archive_kit.workers import progress

    for _ in range(steps):
        time.sleep(0.3)
        progress()
    return steps


def test_progress_extends_the_time_limit_only_up_to_the_hard_ceiling() -> None:
    from archive_kit.workers import Limits, WorkerPool

    with WorkerPool(2, Limits(1.0, 0, ceiling_s=3.0)) as pool:
        out = {o.key: o for o in pool.run(slow_but_progressing, [("endless", (1000,)), ("short", (6,))])}
    assert out["short"].value == 6 and out["short"].error is None      # 1.8 s: beats carried it past 1 s
    assert out["endless"].value is None and "3 s" in out["endless"].error, out["endless"]


@pytest.mark.slow
def test_a_scan_that_keeps_progressing_stops_at_the_configured_ceiling(repo: Archive, tmp_path: Path) -> None:
    from bench.gen_scans import make_scanned_pdf, render_text_page

    page = render_text_page("关于开展志愿服务活动的通知\n" + "\n".join(NOTICE_BODY))
    pdf = make_scanned_pdf(tmp_path / "长扫描件.pdf", [page] * 40)
    # a page may take long on a busy machine (60 s), the whole file not more than 8 s: 40 pages of OCR
    # take far longer than that anywhere, progressing all the time
    _set_config(repo.root, worker_timeout_s=60, worker_ceiling_s=8)
    rc, data = _ingest_within(repo.root, pdf, 240)
    assert rc == 1 and not data["added"], data
    error = data["failed"][0]["error"]
    assert "8 s" in error and "worker_ceiling_s" in error, error


# --- defect 12: config values are checked on load ---------------------------------------------

BAD_CONFIG = [
    ("box_pages", "many"), ("box_pages", 0), ("box_pages", True), ("worker_timeout_s", "abc"),
    ("worker_timeout_s", -1), ("worker_timeout_s", float("inf")), ("worker_memory_mb", -5), ("worker_memory_mb", 1.5),
    ("lock_timeout_s", "soon"), ("fonds", 7), ("fonds", "J0001"), ("unit", ["x"]), ("category", ""),
    ("code_pattern", "{fonds}-{nope}"), ("code_pattern", 3), ("default_retention", "forever"),
    ("ocr_engine", "abbyy"), ("worker_ceiling_s", 0), ("ocr_max_pages", 0), ("ocr_max_pages", "all"),
]


@pytest.mark.parametrize("key,value", BAD_CONFIG, ids=[f"{k}={v!r}" for k, v in BAD_CONFIG])
def test_a_bad_config_value_is_one_line_naming_the_key(repo: Archive, key: str, value: object) -> None:
    config = repo.root / "config.json"
    raw = json.loads(config.read_text(encoding="utf-8"))
    raw[key] = value
    config.write_text(json.dumps(raw), encoding="utf-8")  # inf is written as Infinity, as json.dumps does
    line = _one_clear_line(run_cli("list", root=repo.root), "repository config", f"`{key}`")
    assert repr(value) in line, line


def test_the_documented_config_values_load(filled: Path) -> None:
    _set_config(filled, box_pages=150, worker_timeout_s=20, worker_ceiling_s=900, worker_memory_mb=0,
                ocr_max_pages=300, ocr_engine="tesseract", code_pattern="DA/T 13-2022", lock_timeout_s=5)
    rc, data = cli_json("list", root=filled)
    assert rc == 0 and len(data["documents"]) == 4


# --- defect 12: a damaged catalogue page ------------------------------------------------------

def _zero_page_of(root: Path, table: str) -> int:
    """Overwrite one page of ``table``'s b-tree (a leaf where there is one) with zeros; its number."""
    db = sqlite3.connect(root / "catalogue.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    rows = db.execute("SELECT pageno, pagetype FROM dbstat WHERE name = ? ORDER BY pagetype = 'leaf' DESC, pageno",
                      (table,)).fetchall()
    db.close()
    assert rows, f"{table} has no pages"
    page = rows[len(rows) // 2][0] if rows[0][1] == "leaf" else rows[0][0]
    with open(root / "catalogue.sqlite", "r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(b"\0" * page_size)
    return page


@pytest.fixture
def big_filled(tmp_path: Path) -> Path:
    """A repository with enough documents that each table spans several catalogue pages."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(60):
        (src / f"r{i:03d}.pdf").write_bytes(build_pdf([text_page(f"Volunteer ledger record {i:03d} " + "x" * 900)]))
    archive = Archive.init(tmp_path / "repo", fonds="J001", unit="测试单位")
    archive.ingest([src], ocr=False, track="civilized-unit", criterion="1.1", year=2023)
    archive.close()
    return tmp_path / "repo"


@pytest.mark.parametrize("table", ["documents", "texts", "sqlite_autoindex_documents_1"])
def test_a_zeroed_catalogue_page_is_one_clear_line_in_every_command(big_filled: Path, tmp_path: Path,
                                                                     table: str) -> None:
    root = big_filled
    _zero_page_of(root, table)
    extra = tmp_path / "extra.pdf"
    extra.write_bytes(build_pdf([text_page("A new ledger page")]))
    proc = run_cli("verify", "--json", root=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout)
    assert proc.returncode == 3 and not data["ok"]
    assert any(p["kind"] == "catalogue-damaged" for p in data["problems"]), data["problems"]
    assert _one_clear_line(run_cli("repair", root=root), "catalogue", "damaged", "backup")
    for args in (("ingest", str(extra), "--no-ocr", "--track", "文明单位", "--criterion", "1.1", "--year", "2023"),
                 ("search", "ledger"), ("list",), ("show", "30", "--text"),
                 ("tag", "30", "--year", "2022"), ("number",)):
        proc = run_cli(*args, root=root)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        if proc.returncode != 0:  # a command that never reads the damaged page may still work
            _one_clear_line(proc, "catalogue", "damaged")


# --- defect 12: disk full -----------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 20 MB file system (tmpfs) that the test can fill."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m,mode=0755", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"a small tmpfs cannot be mounted here ({proc.stderr.strip() or 'not permitted'}); "
                    "the disk-full test needs a file system it can really fill")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _noise_scan(path: Path) -> Path:
    """An image-only PDF of incompressible noise, a few megabytes."""
    import numpy as np
    from PIL import Image

    from bench.gen_scans import make_scanned_pdf

    pixels = np.random.default_rng(7).integers(0, 256, (900, 900, 3), dtype=np.uint8)
    return make_scanned_pdf(path, [Image.fromarray(pixels)])


def _fill(mnt: Path, leave: int) -> Path:
    """Fill the file system but for ``leave`` bytes."""
    filler = mnt / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * max(0, shutil.disk_usage(mnt).free - leave))
    return filler


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_nothing_is_half_written(small_disk: Path, tmp_path: Path) -> None:
    root = small_disk / "archive"
    Archive.init(root, fonds="J001", unit="测试单位").close()
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        make_pdf(src / f"旧{i}.pdf", f"第{i}份志愿服务台账", NOTICE_BODY)
    assert run_cli("ingest", str(src), "--no-ocr", root=root).returncode == 0
    new = []
    for i in range(6):
        new.append(make_pdf(tmp_path / f"新{i}.pdf", f"关于开展第{i}次满员测试的通知", NOTICE_BODY + [f"满员{i}号"]))
    new.append(_noise_scan(tmp_path / "大扫描件.pdf"))   # 2-3 MB: fits nowhere once the disk is nearly full
    failures = []
    for leave, path in zip([0, 4096, 16384, 65536, 262144, 1048576, 524288], new):
        filler = _fill(small_disk, leave)
        for args in (("ingest", str(path), "--no-ocr"), ("tag", "1", "--year", "2022"), ("reindex",)):
            proc = run_cli(*args, root=root)
            assert "Traceback" not in proc.stderr, (leave, args, proc.stderr)
            if proc.returncode != 0:
                failures.append(f"{leave} {args[0]}: " + _one_clear_line(proc, "disk full", "could not write"))
        filler.unlink()
        rc, data = cli_json("verify", root=root)
        assert rc == 0 and data["ok"], (leave, data)
    print("\n".join(failures))
    assert any("could not write the catalogue" in f for f in failures), failures
    assert any("/objects/" in f for f in failures), failures
    rc, data = cli_json("ingest", *map(str, new), "--no-ocr", root=root)
    assert rc == 0, data
    rc, listed = cli_json("list", root=root)
    assert len(listed["documents"]) == 10 and len({d["sha256"] for d in listed["documents"]}) == 10
    rc, found = cli_json("search", "满员测试", root=root)
    assert found["total"] == 6


# --- defect 16: a read-only repository --------------------------------------------------------

class ReadOnlyView:
    """The repository seen read-only: a read-only bind mount, or (without mount rights) a copy
    without write permission run as ``nobody`` (root ignores permissions) or as this user."""

    def __init__(self, root: Path, where: Path) -> None:
        self.root = where / "ro"
        self.root.mkdir()
        self.mounted = False
        self.as_nobody = False
        bind = subprocess.run(["mount", "--bind", str(root), str(self.root)], capture_output=True)
        if bind.returncode == 0:
            ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(self.root)], capture_output=True)
            self.mounted = True
            if ro.returncode != 0:
                self.close()
                pytest.fail("bind mount worked but could not be made read-only")
            return
        self.root.rmdir()
        shutil.copytree(root, self.root)
        for p in [self.root, *self.root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        if os.geteuid() == 0:
            self.as_nobody = True
            for p in [where, *where.parents]:
                if p != Path("/"):
                    p.chmod(p.stat().st_mode | 0o755)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        cmd = _cmd(self.root, *args)
        if self.as_nobody:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_DIR,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONWARNINGS": "ignore"})

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


@pytest.fixture
def read_only(filled: Path, tmp_path: Path):
    view = ReadOnlyView(filled, tmp_path)
    try:
        yield view
    finally:
        view.close()


def test_a_read_only_repository_can_be_searched_listed_shown_and_verified(read_only: ReadOnlyView) -> None:
    before = sorted(str(p.relative_to(read_only.root)) for p in read_only.root.rglob("*"))
    proc = read_only.cli("search", "志愿", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["total"] == 4, proc.stderr
    proc = read_only.cli("list", "--json")
    assert proc.returncode == 0 and len(json.loads(proc.stdout)["documents"]) == 4, proc.stderr
    proc = read_only.cli("show", "2", "--text", "--json")
    assert proc.returncode == 0 and "附件编号" in json.loads(proc.stdout)["text"], proc.stderr
    proc = read_only.cli("verify", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["ok"], (proc.stdout, proc.stderr)
    proc = read_only.cli("doctor", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout)["repository"]["documents"] == 4, proc.stderr
    for args in (("ingest", str(REPO_DIR / "README.md")), ("tag", "1", "--year", "2022"), ("reindex",),
                 ("repair",), ("number",)):
        _one_clear_line(read_only.cli(*args), "the repository is read-only")
    assert sorted(str(p.relative_to(read_only.root)) for p in read_only.root.rglob("*")) == before


def test_a_read_only_repository_whose_index_is_behind_says_so_instead_of_answering(filled: Path,
                                                                                   tmp_path: Path) -> None:
    archive = Archive.open(filled)
    with archive.catalogue.transaction():   # a change committed to the catalogue, not yet indexed
        archive.catalogue.update_document(1, {"title": "改过的题名"})
    archive.catalogue.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    archive.close()
    view = ReadOnlyView(filled, tmp_path)
    try:
        _one_clear_line(view.cli("search", "志愿"), "read-only", "search index")
        assert view.cli("list").returncode == 0
    finally:
        view.close()


# --- defect 18: fixity of extracted texts -----------------------------------------------------

def test_a_text_changed_inside_the_catalogue_is_named_by_verify_and_restored_by_repair(filled: Path) -> None:
    rc, shown = cli_json("show", "2", "--text", root=filled)
    original = shown["text"]
    db = sqlite3.connect(filled / "catalogue.sqlite")
    db.execute("UPDATE texts SET text = ? WHERE doc_id = 2", (original.replace("志愿", "自愿"),))
    db.commit()
    db.close()
    rc, data = cli_json("verify", root=filled)
    assert rc == 3 and [(p.get("id"), p["kind"]) for p in data["problems"]] == [(2, "text-damaged")], data
    rc, fixed = cli_json("repair", root=filled)
    assert rc == 0 and fixed["ok"] and any("document 2" in a for a in fixed["actions"]), fixed
    assert cli_json("show", "2", "--text", root=filled)[1]["text"] == original
    rc, data = cli_json("verify", root=filled)
    assert rc == 0 and data["ok"], data


def test_an_older_repository_gets_text_hashes_when_opened(filled: Path) -> None:
    db = sqlite3.connect(filled / "catalogue.sqlite")
    db.execute("ALTER TABLE texts DROP COLUMN sha256")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    rc, data = cli_json("verify", root=filled)
    assert rc == 0 and data["ok"], data
    db = sqlite3.connect(filled / "catalogue.sqlite")
    assert db.execute("SELECT COUNT(*) FROM texts WHERE sha256 IS NULL").fetchone()[0] == 0
    db.close()
