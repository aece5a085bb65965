"""Names, input hygiene and what reaches the terminal (issue 9: defects 4, 12 ids, 13, 15, 17, symlinks,
manifest rows naming one file twice).

Real files with raw byte names, the real CLI in a subprocess, the real SQLite catalogue.
"""
from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from archive_kit.archive import Archive
from archive_kit.catalogue.connection import SCHEMA_VERSION
from archive_kit.errors import UsageError
from archive_kit.formats import readable_name
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json, run_cli

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"   # a clipboard write
CLEAR = "\x1b[2J"                            # clear the screen
C1_CSI = "\x9b31m"                           # the 8-bit CSI
RLO = "\u202e"                               # right-to-left override
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def make_jpeg(path: Path, colour: tuple[int, int, int]) -> Path:
    """A real JPEG photo."""
    Image.new("RGB", (96, 64), colour).save(path, "JPEG")
    return path


def byte_named(folder: Path, raw_name: bytes, make) -> bytes:
    """Create a file through ``make(path)`` and give it the raw byte name ``raw_name``; returns its bytes path."""
    tmp = make(folder / "tmp-being-renamed")
    target = os.fsencode(folder) + b"/" + raw_name
    os.rename(os.fsencode(tmp), target)
    return target


def run_bytes(*args: str, root: Path) -> subprocess.CompletedProcess:
    """The CLI with stdout kept as bytes (to see exactly what a terminal would receive)."""
    cmd = [sys.executable, "-m", "archive_kit", "--root", str(root), *args]
    return subprocess.run(cmd, capture_output=True, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})


# --- defect 4: a name neither UTF-8 nor GB18030 ------------------------------------------------


def test_a_latin1_name_is_ingested_readably_with_the_batch_and_a_rerun_does_not_crash(
        tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    make_pdf(folder / "通知.pdf", "关于开展志愿服务的通知", NOTICE_BODY)
    make_jpeg(folder / "活动照片.jpg", (20, 120, 40))
    byte_named(folder, b"caf\xe9.jpg", lambda p: make_jpeg(p.with_suffix(".jpg"), (200, 30, 30)))
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0, data["failed"]
    assert sorted(d["original_name"] for d in data["added"]) == sorted(["caf\\xe9.jpg", "活动照片.jpg", "通知.pdf"])
    latin = next(d for d in data["added"] if d["original_name"] == "caf\\xe9.jpg")
    assert latin["title"] == "caf\\xe9" and latin["source_path"].endswith("/photos/caf\\xe9.jpg")
    # the original bytes of the name are kept in the catalogue: the readable name loses nothing
    with sqlite3.connect(repo.root / "catalogue.sqlite") as db:
        raw = db.execute("SELECT original_name_bytes FROM documents WHERE id = ?", (latin["id"],)).fetchone()[0]
    assert raw == b"caf\xe9.jpg"
    rc, again = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0 and again["added"] == [] and len(again["duplicates"]) == 3
    proc = run_cli("list", root=repo.root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "caf\\xe9" in proc.stdout


# --- defect 13: valid names kept, found by name -----------------------------------------------


VALID_NAMES = ["Москва.pdf", unicodedata.normalize("NFD", "café.pdf"), "会议\u200b纪要.pdf",
               "Ελληνικά.pdf", "שלום.pdf", "Đà Nẵng.pdf", "«Été».pdf", "Café°.pdf", "Ñandú©.pdf", "São·Paulo.pdf",
               "Ελληνικά Русский.pdf", unicodedata.normalize("NFD", "Moско́вский й.pdf")]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_readable_name_keeps_valid_utf8_as_it_is(name: str) -> None:
    assert readable_name(name) == name


GBK_WORDS = ["通知", "学习", "会议纪要", "党建", "照片", "总结", "志愿服务", "表彰决定", "工会", "职工之家", "文明单位",
             "请示", "报告", "方案", "计划", "简报", "名单", "签到表", "讲话", "决议"]


@pytest.mark.parametrize("word", GBK_WORDS)
def test_gbk_names_from_windows_zips_still_get_their_chinese_name(word: str) -> None:
    assert readable_name(os.fsdecode(word.encode("gbk") + b".pdf")) == f"{word}.pdf"


def test_bytes_that_are_neither_encoding_are_escaped_and_controls_too() -> None:
    assert readable_name(os.fsdecode(b"caf\xe9.jpg")) == "caf\\xe9.jpg"
    assert readable_name(os.fsdecode(b"Pr\xe9sentation.pdf")) == "Pr\\xe9sentation.pdf"   # not 冱 mojibake
    assert readable_name("a\x1b[2Jb\u202ec.pdf") == "a\\x1b[2Jb\\u202ec.pdf"
    assert readable_name("x\x85y") == "x\\u0085y"    # a C1 control is not confused with a byte


def test_valid_names_keep_their_names_and_search_finds_them(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    names = {"Москва.pdf": "关于莫斯科交流活动的通知",
             unicodedata.normalize("NFD", "café.pdf"): "关于咖啡角建设的通知",
             "会议\u200b纪要.pdf": "关于党员大会的纪要"}
    for name, title in names.items():
        make_pdf(folder / name, title, NOTICE_BODY[:1])
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0, data
    assert sorted(d["original_name"] for d in data["added"]) == sorted(names)
    by_name = {d["original_name"]: d["id"] for d in data["added"]}
    for query, name in (("café", unicodedata.normalize("NFD", "café.pdf")), ("Москва", "Москва.pdf")):
        rc, hits = cli_json("search", query, root=repo.root)
        assert rc == 0 and [h["id"] for h in hits["hits"]] == [by_name[name]], (query, hits)


# --- defect 15: terminal escapes ---------------------------------------------------------------


def test_escape_sequences_in_titles_never_reach_the_terminal(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    make_pdf(folder / "a.pdf", "关于志愿服务的通知", NOTICE_BODY)
    make_pdf(folder / "b.pdf", "关于道德讲堂的通知", NOTICE_BODY[:1])
    make_pdf(folder / "c.pdf", "关于文明餐桌的倡议", NOTICE_BODY[:2])
    titles = {"a.pdf": f"志愿{OSC52}服务{CLEAR}通知", "b.pdf": f"道德{C1_CSI}讲堂{RLO}总结", "c.pdf": "两行\r\n题名"}
    manifest = folder / "清单.csv"
    with open(manifest, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["path", "title", "remarks"], *([n, t, t] for n, t in titles.items())])
    rc, data = cli_json("ingest", "--manifest", str(manifest), "--no-ocr", root=repo.root)
    assert rc == 0, data
    ids = [str(d["id"]) for d in data["added"]]
    commands = [["list"], ["review"], ["search", "志愿"], ["search", "讲堂"], ["number"], ["log"],
                *(["show", i] for i in ids), *(["show", i, "--text"] for i in ids)]
    for args in commands:
        proc = run_bytes(*args, root=repo.root)
        out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
        assert "Traceback" not in err, (args, err)
        for ch in RAW_CONTROLS:
            assert ch not in out and ch not in err, (args, ch, out)
    listed = run_bytes("list", root=repo.root).stdout.decode("utf-8").splitlines()
    assert len(listed) == 2 + len(titles) + 1, listed   # header, rule, one line per document, count
    shown = run_bytes("show", ids[0], root=repo.root).stdout.decode("utf-8")
    assert "志愿\\x1b]52;c;ZWNobyBwd25lZA==\\x07服务\\x1b[2J通知" in shown   # escaped, visible, not lost
    # JSON: the values survive exactly, and no raw control reaches stdout either
    proc = run_bytes("list", "--json", root=repo.root)
    assert not any(ch.encode("utf-8") in proc.stdout for ch in RAW_CONTROLS)
    assert sorted(d["title"] for d in json.loads(proc.stdout)["documents"]) == sorted(titles.values())


def test_every_cli_line_goes_through_the_terminal_helper() -> None:
    """Human output is printed by cli/render.py only, so no command can forget to clean it."""
    cli_dir = Path(__file__).resolve().parent.parent / "cli"
    offenders = [f"{p.name}:{n}" for p in sorted(cli_dir.glob("*.py")) if p.name != "render.py"
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "click.echo(" in line]
    assert offenders == []


# --- defect 12 (ids): absurd ids are one line, exit 2 ------------------------------------------


@pytest.mark.parametrize("args", [["show", "99999999999999999999"], ["tag", "99999999999999999999", "--year", "2023"],
                                  ["show", "9223372036854775808"], ["show", "0"], ["show", "--", "-5"]])
def test_absurd_ids_are_a_one_line_usage_error(repo: Archive, args: list[str]) -> None:
    proc = run_cli(*args, root=repo.root)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no document with id" in lines[0], proc.stderr


def test_the_library_refuses_absurd_ids_as_usage_errors(repo: Archive) -> None:
    for bad in (10**20, 2**63, -1, 0):
        with pytest.raises(UsageError, match="no document with id"):
            repo.get(bad)
    assert repo.text(10**20) == ""


# --- "Also": symlinks in a folder walk ---------------------------------------------------------


def test_a_file_symlink_leaving_the_folder_is_skipped_not_followed(tmp_path: Path, repo: Archive) -> None:
    (tmp_path / "私人").mkdir()
    secret = make_pdf(tmp_path / "私人" / "工资单.pdf", "关于工资发放的说明", NOTICE_BODY[:1])
    folder = tmp_path / "台账"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "通知.pdf", "关于开展志愿服务的通知", NOTICE_BODY)
    inner = make_pdf(folder / "sub" / "纪要.pdf", "关于党员大会的纪要", NOTICE_BODY[:2])
    os.symlink(secret, folder / "看看.pdf")            # leaves the folder
    os.symlink(inner, folder / "纪要链接.pdf")          # stays inside
    os.symlink(tmp_path / "私人", folder / "私人文件夹")  # a folder symlink out
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0, data
    # the link inside the folder is taken once: the walk meets it before sub/, the target is its duplicate
    assert sorted(d["original_name"] for d in data["added"]) == ["纪要链接.pdf", "通知.pdf"]
    assert [Path(d["path"]).name for d in data["duplicates"]] == ["纪要.pdf"]
    skipped = {Path(s["path"]).name: s["reason"] for s in data["skipped"]}
    assert "outside" in skipped["看看.pdf"] and "symbolic link" in skipped["看看.pdf"]
    assert "私人文件夹" in skipped
    rc, hits = cli_json("search", "工资", root=repo.root)
    assert hits["total"] == 0


# --- defect 17 and "Also": manifest cells of any size, one file named twice ---------------------


def _manifest(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "清单.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["path", "track", "year", "title", "remarks"], *rows])
    return path


def test_a_huge_manifest_cell_fails_its_row_alone(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    for name in ("甲.pdf", "乙.pdf", "丙.pdf"):
        make_pdf(folder / name, f"关于{name[0]}项工作的通知", NOTICE_BODY[:1])
    manifest = _manifest(folder, [["甲.pdf", "文明单位", "2023", "甲通知", "正常备注"],
                                  ["乙.pdf", "文明单位", "2023", "乙通知", "长" * 200_000],
                                  ["丙.pdf", "文明单位", "2023", "丙通知", ""]])
    rc, data = cli_json("ingest", "--manifest", str(manifest), "--no-ocr", root=repo.root)
    assert rc == 1
    assert sorted(d["title"] for d in data["added"]) == ["丙通知", "甲通知"]
    [bad] = data["failed"]
    assert ":3:" in bad["path"] and "乙.pdf" in bad["path"]
    assert "remarks" in bad["error"] and "200000" in bad["error"] and len(bad["error"]) < 300
    # the folder walked with the manifest does not take 乙.pdf without its row's values either
    rc, data = cli_json("ingest", str(folder), "--manifest", str(manifest), "--no-ocr", root=repo.root)
    assert rc == 1 and data["added"] == [] and len(data["failed"]) == 1


def test_a_manifest_naming_one_file_twice_is_reported_for_both_lines(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "台账"
    folder.mkdir()
    for name in ("甲.pdf", "乙.pdf"):
        make_pdf(folder / name, f"关于{name[0]}项工作的通知", NOTICE_BODY[:1])
    manifest = _manifest(folder, [["甲.pdf", "文明单位", "2023", "第一种题名", ""],
                                  ["乙.pdf", "文明单位", "2023", "乙通知", ""],
                                  ["./甲.pdf", "职工之家", "2022", "第二种题名", ""]])
    for args in (["--manifest", str(manifest)], [str(folder), "--manifest", str(manifest)]):
        rc, data = cli_json("ingest", *args, "--no-ocr", root=repo.root)
        assert rc == 1
        assert [d["title"] for d in data["added"]] in (["乙通知"], [])
        failed = sorted(data["failed"], key=lambda f: f["path"])
        assert [f["path"].split(":")[-2] for f in failed] == ["2", "4"], failed
        assert all("same file" in f["error"] and "fix the manifest" in f["error"] for f in failed)
    rc, listed = cli_json("list", root=repo.root)
    assert [d["title"] for d in listed["documents"]] == ["乙通知"]


# --- the catalogue keeps the original name bytes; an older catalogue upgrades -----------------


def test_a_catalogue_of_the_previous_version_opens_and_upgrades(tmp_path: Path) -> None:
    root = tmp_path / "old"
    Archive.init(root).close()
    folder = tmp_path / "in"
    folder.mkdir()
    make_pdf(folder / "旧.pdf", "关于旧文件的通知", NOTICE_BODY[:1])
    cli_json("ingest", str(folder / "旧.pdf"), "--no-ocr", root=root)
    with sqlite3.connect(root / "catalogue.sqlite") as db:   # what the previous version left
        db.execute("ALTER TABLE documents DROP COLUMN original_name_bytes")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    rc, listed = cli_json("list", root=root)
    assert rc == 0 and [d["original_name"] for d in listed["documents"]] == ["旧.pdf"]
    byte_named(folder, b"n\xe9.pdf", lambda p: make_pdf(p, "关于新文件的通知", NOTICE_BODY[:2]))
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=root)
    assert rc == 0 and [d["original_name"] for d in data["added"]] == ["n\\xe9.pdf"]
    with sqlite3.connect(root / "catalogue.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        rows = db.execute("SELECT original_name, original_name_bytes FROM documents ORDER BY id").fetchall()
    assert rows == [("旧.pdf", None), ("n\\xe9.pdf", b"n\xe9.pdf")]
