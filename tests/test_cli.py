"""The command line as people and scripts use it: schema commands, human output, errors, exit codes."""
from __future__ import annotations

import json
from pathlib import Path

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json, run_cli


def test_schema_list_show_and_add(repo: Archive, tmp_path: Path) -> None:
    rc, data = cli_json("schema", "list", root=repo.root)
    assert rc == 0 and {t["id"] for t in data["tracks"]} == {"party-building", "civilized-unit", "workers-home"}
    proc = run_cli("schema", "show", "职工之家", root=repo.root)
    assert proc.returncode == 0 and "workers-home" in proc.stdout and "职工代表大会" in proc.stdout
    custom = tmp_path / "文明单位2024.yaml"
    custom.write_text('id: civilized-unit\nname: 文明单位\ncode: WM\ncriteria:\n'
                      '  - code: "1"\n    name: 新指标\n    children:\n      - code: "1.1"\n        name: 子指标\n',
                      encoding="utf-8")
    rc, data = cli_json("schema", "add", str(custom), root=repo.root)
    assert rc == 0 and data["criteria"] == 2
    rc, data = cli_json("schema", "show", "civilized-unit", root=repo.root)
    assert [c["code"] for c in data["criteria"]] == ["1", "1.1"]
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: x\nname: X\ncriteria:\n  - code: "1"\n    name: A\n  - code: "1"\n    name: B\n', encoding="utf-8")
    proc = run_cli("schema", "add", str(bad), root=repo.root)
    assert proc.returncode == 1 and "bad.yaml:6" in proc.stderr and "Traceback" not in proc.stderr


def test_codes_that_vanish_from_a_replaced_schema_show_in_review(repo: Archive, tmp_path: Path) -> None:
    p = make_pdf(tmp_path / "a.pdf", "关于工作的通知", NOTICE_BODY)
    repo.ingest([p], track="civilized-unit", criterion="2.3", year=2023, ocr=False)
    custom = tmp_path / "new.yaml"
    custom.write_text('id: civilized-unit\nname: 文明单位\ncriteria:\n  - code: "1"\n    name: 唯一指标\n', encoding="utf-8")
    run_cli("schema", "add", str(custom), root=repo.root, check=True)
    rc, data = cli_json("review", root=repo.root)
    reasons = data["documents"][0]["review_reasons"]
    assert any("2.3" in r and "no longer exists" in r for r in reasons), reasons


def test_human_output_of_ingest_list_show_search(repo: Archive, tmp_path: Path) -> None:
    folder = tmp_path / "职工之家" / "2023年度"
    folder.mkdir(parents=True)
    make_pdf(folder / "职工书屋借阅制度.pdf", "职工书屋借阅管理制度", ["职工书屋向全体职工开放，借阅图书须登记。"])
    proc = run_cli("ingest", str(folder), root=repo.root)
    assert proc.returncode == 0, proc.stderr
    assert "职工书屋借阅管理制度" in proc.stdout and "1 added" in proc.stdout
    proc = run_cli("list", "--track", "workers-home", root=repo.root)
    assert "职工书屋借阅管理制度" in proc.stdout and "1 document(s)" in proc.stdout
    proc = run_cli("show", "1", "--text", root=repo.root)
    assert "借阅图书须登记" in proc.stdout
    proc = run_cli("search", "借阅", root=repo.root)
    assert "【借阅】" in proc.stdout and "1 document(s) match" in proc.stdout


def test_usage_errors_exit_2_without_traceback(repo: Archive) -> None:
    for args in (["show", "999"], ["tag", "1", "--track", "nope"], ["search", "   "], ["ingest"], ["list", "--year", "x"]):
        proc = run_cli(*args, root=repo.root)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_root_from_environment(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    root = tmp_path / "envrepo"
    Archive.init(root).close()
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "list", "--json"], capture_output=True, text=True,
                          env={**os.environ, "ARCHIVE_KIT_ROOT": str(root)}, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"documents": []}


def test_doctor_reports_engines(repo: Archive) -> None:
    rc, data = cli_json("doctor", root=repo.root)
    assert rc == 0 and "rapidocr" in data["ocr"] and "tesseract" in data["ocr"]
    assert set(data) >= {"office_conversion", "cjk_font", "default_ocr_engine"}
