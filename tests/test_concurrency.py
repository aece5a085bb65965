"""Concurrency: real processes ingesting and searching the same repository at the same time."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from tests.conftest import cli_json, run_cli


def _popen(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "archive_kit", "--root", str(root), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path, set[str]]:
    """Two folders sharing a third of their files (same bytes, different paths)."""
    tmp_path = tmp_path_factory.mktemp("concurrency")
    shared = tmp_path / "shared"
    shared.mkdir()
    for i in range(6):
        make_pdf(shared / f"共用{i}.pdf", f"关于志愿服务的第{i}号通知", NOTICE_BODY, date_text=f"2023年5月{i + 1}日")
    a, b = tmp_path / "a" / "civilized-unit" / "2023" / "2.3", tmp_path / "b" / "civilized-unit" / "2023" / "2.1"
    for folder, tag in ((a, "甲"), (b, "乙")):
        folder.mkdir(parents=True)
        for i in range(8):
            make_pdf(folder / f"{tag}{i}.pdf", f"{tag}部门志愿服务第{i}次活动", NOTICE_BODY, date_text=f"2023年6月{i + 1}日")
        make_docx(folder / f"{tag}总结.docx", f"{tag}部门志愿服务总结", ["志愿服务总结正文。"])
        for f in shared.iterdir():
            shutil.copy(f, folder / f.name)
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for top in ("a", "b") for p in (tmp_path / top).rglob("*")
            if p.is_file()}
    return tmp_path / "a", tmp_path / "b", shas


def _documents(root: Path) -> list[dict]:
    rc, data = cli_json("list", root=root)
    assert rc == 0
    return data["documents"]


def test_two_ingests_of_overlapping_folders_lose_and_duplicate_nothing(repo: Archive, folders) -> None:
    a, b, shas = folders
    procs = [_popen(repo.root, "ingest", str(x), "--jobs", "1", "--no-ocr", "--json") for x in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        json.loads(out)
    added = [d["sha256"] for out, _ in outs for d in json.loads(out)["added"]]
    assert len(added) == len(set(added)) == len(shas)  # each file added by exactly one of the two runs
    got = [d["sha256"] for d in _documents(repo.root)]
    assert len(got) == len(set(got)) and set(got) == shas
    rc, hits = cli_json("search", "志愿服务", "--limit", "100", root=repo.root)
    assert hits["total"] == len(shas)
    assert cli_json("verify", root=repo.root)[0] == 0


def test_searches_succeed_while_an_ingest_writes(repo: Archive, folders) -> None:
    a, b, shas = folders
    first = repo.ingest([a], ocr=False)
    assert not first.failed
    ingest = _popen(repo.root, "ingest", str(b), "--jobs", "2", "--no-ocr", "--json")
    totals = []
    while ingest.poll() is None or not totals:
        rc, hits = cli_json("search", "志愿服务", "--limit", "5", root=repo.root)
        assert rc == 0, hits
        totals.append(hits["total"])
    out, err = ingest.communicate(timeout=300)
    assert ingest.returncode == 0, err
    assert totals == sorted(totals) and len(first.added) <= totals[0] <= totals[-1] <= len(shas)
    rc, hits = cli_json("search", "志愿服务", root=repo.root)
    assert hits["total"] == len(shas)


def test_a_lock_held_beyond_the_wait_is_exit_3_with_a_clear_message(repo: Archive, folders, tmp_path: Path) -> None:
    a, _, _ = folders
    lone = make_docx(tmp_path / "单独.docx", "锁等待测试文件", ["只为让 tag 有一个真实的文件可改。"])
    rc, first = cli_json("ingest", str(lone), "--no-ocr", root=repo.root)  # so tag reaches the catalogue's lock
    assert rc == 0 and [d["id"] for d in first["added"]] == [1]
    repo.config.lock_timeout_s = 1
    repo.config.save(repo.root / "config.json")
    holder = sqlite3.connect(str(repo.root / "catalogue.sqlite"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        start = time.monotonic()
        proc = run_cli("ingest", str(a), "--no-ocr", "--json", root=repo.root)
        elapsed = time.monotonic() - start
        tag = run_cli("tag", "1", "--year", "2023", root=repo.root)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 3, proc.stderr
    assert "locked" in proc.stderr and "try again" in proc.stderr and "Traceback" not in proc.stderr
    assert elapsed < 60
    assert tag.returncode == 3, tag.stderr
    assert "locked" in tag.stderr and "Traceback" not in tag.stderr
    rc, data = cli_json("ingest", str(a), "--no-ocr", root=repo.root)  # once the lock is gone, all is well
    assert rc == 0 and len(data["added"]) == 15
    assert run_cli("tag", "1", "--year", "2023", root=repo.root).returncode == 0
    assert cli_json("show", "1", root=repo.root)[1]["year"] == 2023
    assert cli_json("verify", root=repo.root)[0] == 0


def test_an_index_writer_lock_held_beyond_the_wait_is_exit_3(repo: Archive, folders) -> None:
    a, _, _ = folders
    repo.config.lock_timeout_s = 1
    repo.config.save(repo.root / "config.json")
    lock = repo.index._ix.lock("WRITELOCK")
    assert lock.acquire(blocking=False)
    try:
        proc = run_cli("reindex", root=repo.root)
    finally:
        lock.release()
    assert proc.returncode == 3 and "another archive-kit process" in proc.stderr, proc.stderr
