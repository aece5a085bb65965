"""Bad input: each file fails alone with one clear line naming it; every other file is ingested."""
from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from tests.conftest import REAL_CORPUS, cli_json


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "好文件.pdf", "关于开展学雷锋志愿服务的通知", NOTICE_BODY)


def _encrypt(src: Path, dest: Path, password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-128")
    with open(dest, "wb") as f:
        writer.write(f)
    return dest


def make_bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    """One file of each kind of trouble, named for what it is."""
    bad = tmp_path / "bad"
    bad.mkdir()
    out = {}
    out["empty"] = bad / "空文件.pdf"
    out["empty"].write_bytes(b"")
    out["lying"] = bad / "其实是文本.docx"
    out["lying"].write_text("这不是Word文件，只是文本。" * 20, encoding="utf-8")
    out["truncated_pdf"] = bad / "截断.pdf"
    out["truncated_pdf"].write_bytes(good.read_bytes()[:300])
    docx = make_docx(tmp_path / "tmp.docx", "标题", ["正文"])
    out["corrupt_docx"] = bad / "损坏.docx"
    out["corrupt_docx"].write_bytes(docx.read_bytes()[: len(docx.read_bytes()) // 2])
    out["password"] = _encrypt(good, bad / "加密.pdf", "secret")
    out["not_image"] = bad / "照片.jpg"
    out["not_image"].write_bytes(b"\x00\x01garbage" * 100)
    out["unknown"] = bad / "表格.numbers"
    out["unknown"].write_bytes(b"\x00\x01\x02binary" * 50)
    shutil.copy(REAL_CORPUS / "pillow__decompression_bomb.gif", bad / "bomb.gif")
    out["bomb"] = bad / "bomb.gif"
    shutil.copy(REAL_CORPUS / "pillow__truncated_jpeg.jpg", bad / "truncated.jpg")
    out["truncated_jpeg"] = bad / "truncated.jpg"
    out["symlink"] = bad / "断链.pdf"
    os.symlink(tmp_path / "nowhere.pdf", out["symlink"])
    return out


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="shared corpus not present")
def test_each_bad_file_fails_alone_with_a_clear_line(repo: Archive, tmp_path: Path, good: Path) -> None:
    bad = make_bad_files(tmp_path, good)
    rc, data = cli_json("ingest", str(tmp_path / "bad"), str(good), "--no-ocr", root=repo.root)
    assert rc == 1
    assert [d["original_name"] for d in data["added"]] == ["好文件.pdf"]
    failed = {Path(f["path"]).name: f["error"] for f in data["failed"]}
    for kind, path in bad.items():
        assert path.name in failed, f"{kind} ({path.name}) not reported: {failed}"
        assert "\n" not in failed[path.name] and "Traceback" not in failed[path.name]
    assert "empty" in failed["空文件.pdf"]
    assert "not a Word document" in failed["其实是文本.docx"]
    assert "password" in failed["加密.pdf"]
    assert "bomb" in failed["bomb.gif"] or "too large" in failed["bomb.gif"]
    assert "symbolic link" in failed["断链.pdf"] or "vanished" in failed["断链.pdf"]
    assert "unsupported format" in failed["表格.numbers"]


def test_pdf_with_empty_user_password_is_read(repo: Archive, tmp_path: Path, good: Path) -> None:
    enc = _encrypt(good, tmp_path / "空密码.pdf", "")
    report = repo.ingest([enc], ocr=False)
    assert not report.failed and "志愿服务" in repo.text(report.added[0].id)


def test_a_pdf_with_a_lying_extension_is_ingested_by_content(repo: Archive, tmp_path: Path, good: Path) -> None:
    renamed = tmp_path / "扫描件.dat"
    shutil.copy(good, renamed)
    report = repo.ingest([renamed], ocr=False)
    assert report.added and report.added[0].format == "pdf"


def test_unreadable_file_fails_when_not_root(repo: Archive, tmp_path: Path, good: Path) -> None:
    """As root every file is readable, so run the ingest as 'nobody' in a subprocess."""
    import subprocess
    import sys

    locked = tmp_path / "inbox" / "锁定.pdf"
    locked.parent.mkdir()
    shutil.copy(good, locked)
    shutil.copy(good, locked.parent / "ok.pdf")
    (locked.parent / "ok.pdf").write_bytes(make_pdf(tmp_path / "o.pdf", "关于召开职工代表大会的通知", NOTICE_BODY).read_bytes())
    locked.chmod(0)
    if os.geteuid() != 0:
        rc, data = cli_json("ingest", str(locked.parent), "--no-ocr", root=repo.root)
    else:
        for p in [tmp_path, *tmp_path.parents]:
            if p != Path("/"):
                p.chmod(p.stat().st_mode | 0o755)
        for p in repo.root.rglob("*"):
            p.chmod(0o777 if p.is_dir() else 0o666)
        repo.root.chmod(0o777)
        # the interpreter's own files may be unreadable to 'nobody': warm up every import with a
        # throw-away ingest as root, then drop privileges and run the real command
        code = ("import os,sys,tempfile,secrets; from archive_kit.__main__ import load_cli; main = load_cli().main; "
                "from archive_kit.archive import Archive; t=tempfile.mkdtemp(); "
                "a=Archive.init(t+'/warm'); a.ingest([sys.argv[3]], ocr=False); a.search('通知'); a.close(); "
                "from archive_kit.ingest.analyse import analyse; from archive_kit.extract import ExtractOptions; "
                "analyse(sys.argv[3], 'pdf', ExtractOptions(ocr=False), 'ok.pdf'); "
                "os.setgid(65534); os.setuid(65534); "
                "sys.argv=['archive-kit','--root',sys.argv[1],'ingest',sys.argv[2],'--no-ocr','--json']; main()")
        proc = subprocess.run([sys.executable, "-c", code, str(repo.root), str(locked.parent), str(locked.parent / "ok.pdf")],
                              capture_output=True, text=True, cwd=Path(__file__).parent.parent, timeout=300)
        assert "Traceback" not in proc.stderr, proc.stderr
        rc, data = proc.returncode, json.loads(proc.stdout)
    assert rc == 1
    assert [f for f in data["failed"] if "锁定.pdf" in f["path"] and "permission" in f["error"]], data
    assert [d["original_name"] for d in data["added"]] == ["ok.pdf"], data


def test_manifest_problems_fail_their_rows_only(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    for name in ("甲.pdf", "乙.pdf", "丙.pdf"):
        make_pdf(folder / name, f"关于{name[0]}的通知", NOTICE_BODY)
    rows = [["路径", "类别", "指标", "年度", "题名"],
            ["甲.pdf", "文明单位", "2", "2023", "甲通知（手工题名）"],
            ["乙.pdf", "不存在的类别", "", "2023", ""],
            ["丙.pdf", "职工之家", "99.99", "2023", ""],
            ["缺失.pdf", "文明单位", "", "2023", ""],
            ["../外面.pdf", "文明单位", "", "2023", ""]]
    manifest = folder / "清单.csv"
    with open(manifest, "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows(rows)
    rc, data = cli_json("ingest", "--manifest", str(manifest), "--no-ocr", root=repo.root)
    assert rc == 1
    assert len(data["added"]) == 1
    rec = data["added"][0]
    assert (rec["title"], rec["track"], rec["criterion"], rec["year"]) == ("甲通知（手工题名）", "civilized-unit", "2", 2023)
    assert rec["tag_sources"] == {"track": "manifest", "criterion": "manifest", "year": "manifest"}
    errors = " | ".join(f"{f['path']}: {f['error']}" for f in data["failed"])
    assert "unknown track" in errors and "不存在的类别" in errors
    assert "unknown criterion" in errors and "99.99" in errors
    assert "缺失.pdf" in errors and "does not exist" in errors
    assert "外面.pdf" in errors and "leaves the manifest" in errors


def test_unknown_track_on_the_command_line_is_a_usage_error(repo: Archive, good: Path) -> None:
    from tests.conftest import run_cli

    proc = run_cli("ingest", str(good), "--track", "没有这个", root=repo.root)
    assert proc.returncode == 2 and "unknown track" in proc.stderr and "Traceback" not in proc.stderr
    assert repo.catalogue.count() == 0


def test_opening_a_non_repository_or_newer_one_exits_3(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    (tmp_path / "plain").mkdir()
    proc = run_cli("list", root=tmp_path / "plain")
    assert proc.returncode == 3 and "not an archive-kit repository" in proc.stderr
    Archive.init(tmp_path / "r").close()
    cfg = tmp_path / "r" / "config.json"
    data = json.loads(cfg.read_text())
    data["version"] = 99
    cfg.write_text(json.dumps(data))
    proc = run_cli("list", root=tmp_path / "r")
    assert proc.returncode == 3 and "newer" in proc.stderr
    (tmp_path / "c").mkdir()
    Archive.init(tmp_path / "c2").close()
    (tmp_path / "c2" / "catalogue.sqlite").write_bytes(b"garbage" * 1000)
    proc = run_cli("list", root=tmp_path / "c2")
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
