"""Metadata editing (issue 11 item 1) and the 密级 field, through the real command line on real
files: the edit log round trip (who, when, field, before, after), ``--force`` for numbered
documents, every later listing, bundle and search seeing the edit, and bad values refused."""
from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from bench.gen_docs import make_pdf

from .conftest import cli_json, run_cli

FOLDER = Path("文明单位") / "2023" / "2.2 志愿服务活动"


def ingest_two(tmp_path: Path) -> tuple[Path, list[int]]:
    """A repository holding two PDFs filed by folder (track, year, criterion from the path)."""
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    folder = tmp_path / "in" / FOLDER
    folder.mkdir(parents=True)
    make_pdf(folder / "某某局.pdf", "某某局", ["关于开展志愿服务活动的通知", "各单位：开展学雷锋志愿服务活动。"],
             date_text="2023年3月5日")
    make_pdf(folder / "第二份.pdf", "关于志愿服务队建设的通知", ["志愿服务队建设。"], date_text="2023年4月1日")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    assert code == 0, data
    return root, sorted(d["id"] for d in data["added"])


def record(root: Path, doc_id: int) -> dict:
    code, data = cli_json("show", str(doc_id), "--history", root=root)
    assert code == 0
    return data


def test_edit_round_trip_is_logged_with_who_when_before_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, (first, second) = ingest_two(tmp_path)
    before = record(root, first)
    assert before["history"] == [] and before["secrecy"] is None
    assert cli_json("search", "志愿服务月", root=root)[1]["total"] == 0
    monkeypatch.delenv("ARCHIVE_KIT_USER", raising=False)
    monkeypatch.setenv("LOGNAME", "zhangsan")  # the OS user, as getpass finds it
    code, data = cli_json("edit", str(first), "--title", "关于开展志愿服务月活动的通知", "--doc-number",
                          "渝文明办〔2023〕5号", "--author", "某某局", "--date", "2023-03-06", "--secrecy", "内部",
                          "--retention", "D30", "--remarks", "题名据正文改", root=root)
    assert code == 0 and data["changed"] == [first]
    after = record(root, first)
    assert (after["title"], after["doc_number"], after["author"], after["date"], after["secrecy"],
            after["retention"], after["remarks"]) == ("关于开展志愿服务月活动的通知", "渝文明办〔2023〕5号", "某某局",
                                                      "2023-03-06", "内部", "D30", "题名据正文改")
    log = {e["field"]: e for e in after["history"]}
    # a new title typed by hand is the document's own, transcribed: its source becomes manual
    assert set(log) == {"title", "title_source", "doc_number", "author", "date", "secrecy", "retention", "remarks"}
    assert (log["title_source"]["before"], log["title_source"]["after"]) == ("content", "manual")
    assert (log["title"]["before"], log["title"]["after"]) == (before["title"], "关于开展志愿服务月活动的通知")
    assert (log["date"]["before"], log["date"]["after"]) == ("2023-03-05", "2023-03-06")
    assert log["secrecy"]["before"] is None and log["secrecy"]["after"] == "内部"
    assert all(e["actor"] == "zhangsan" and e["at"].startswith("20") for e in after["history"])
    # a second edit appends; clearing a field ("") is logged as after = null; the other document is untouched
    code, _ = cli_json("edit", str(first), "--remarks", "", "--title", "关于开展志愿服务月活动的通知", root=root)
    assert code == 0
    again = record(root, first)
    assert again["history"][:8] == after["history"]
    assert [(e["field"], e["before"], e["after"]) for e in again["history"][8:]] == [("remarks", "题名据正文改", None)]
    assert record(root, second)["history"] == []
    # the people's view shows the same history
    proc = run_cli("show", str(first), "--history", root=root)
    assert proc.returncode == 0 and "题名据正文改" in proc.stdout and "zhangsan" in proc.stdout
    # the search index took the new title
    code, hits = cli_json("search", "志愿服务月", root=root)
    assert code == 0 and [(h["id"], h["title"]) for h in hits["hits"]] == [(first, "关于开展志愿服务月活动的通知")]
    # the log is append-only: SQLite itself refuses to rewrite or delete it
    db = sqlite3.connect(root / "catalogue.sqlite")
    for statement in ("UPDATE edit_log SET after = 'x'", "DELETE FROM edit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(statement)
    db.close()


def test_numbered_document_needs_force_and_later_outputs_show_the_edit(tmp_path: Path) -> None:
    root, (first, second) = ingest_two(tmp_path)
    code, data = cli_json("number", root=root)
    assert code == 0 and len(data["numbered"]) == 2
    numbered = record(root, first)
    old_title = numbered["title"]
    proc = run_cli("edit", str(first), "--title", "关于开展学雷锋志愿服务活动的通知", root=root)
    assert proc.returncode == 1 and "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert record(root, first) == numbered
    # its retention is part of its archival code: never edited, not even with --force
    proc = run_cli("edit", str(first), "--retention", "Y", "--force", root=root)
    assert proc.returncode == 1 and "retention" in proc.stderr
    code, data = cli_json("edit", str(first), "--title", "关于开展学雷锋志愿服务活动的通知", "--secrecy", "秘密",
                          "--force", root=root)
    assert code == 0
    now = record(root, first)
    assert now["title"] == "关于开展学雷锋志愿服务活动的通知" and now["archival_code"] == numbered["archival_code"]
    assert [e["field"] for e in now["history"]] == ["title", "secrecy", "title_source"]
    out = tmp_path / "out"
    out.mkdir()
    run_cli("listing", "--format", "csv", "--out", str(out / "目录.csv"), root=root, check=True)
    text = (out / "目录.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    cells = [cell for row in rows for cell in row]
    assert any("关于开展学雷锋志愿服务活动的通知" in cell for cell in cells)
    assert not any(old_title in cell for cell in cells)
    code, bundle = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(out / "bundle"), root=root)
    assert code == 0
    titles = {d["id"]: d["title"] for s in bundle["contents"] for d in s["documents"]}
    assert titles[first] == "关于开展学雷锋志愿服务活动的通知"


BAD_VALUES = [
    (["--date", "2023-13-40"], ["date", "2023-13-40"]),
    (["--date", "2023/3/5"], ["date", "2023/3/5"]),
    (["--secrecy", "绝密"], ["secrecy", "绝密"]),
    (["--retention", "D5"], ["retention", "D5"]),
    (["--title", ""], ["title"]),
]


def test_bad_values_are_usage_errors_that_change_nothing(tmp_path: Path) -> None:
    root, (first, second) = ingest_two(tmp_path)
    before = [record(root, i) for i in (first, second)]
    for args, named in BAD_VALUES:
        # the good value given alongside is not applied either
        proc = run_cli("edit", str(first), str(second), "--remarks", "应不生效", *args, root=root)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
        assert all(word in proc.stderr for word in named), (args, proc.stderr)
        assert [record(root, i) for i in (first, second)] == before, args


def test_unknown_id_exits_2_and_changes_nothing(tmp_path: Path) -> None:
    root, (first, _) = ingest_two(tmp_path)
    before = record(root, first)
    proc = run_cli("edit", str(first), "999", "--title", "新题名", root=root)
    assert proc.returncode == 2 and "999" in proc.stderr and "Traceback" not in proc.stderr
    assert record(root, first) == before
    proc = run_cli("show", "999", "--history", root=root)
    assert proc.returncode == 2 and "999" in proc.stderr


def test_secrecy_from_config_default_and_manifest(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_cli("init", root=root, check=True)
    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    config["default_secrecy"] = "无"
    (root / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    src = tmp_path / "in"
    src.mkdir()
    for name in ("甲", "乙", "丙"):
        make_pdf(src / f"{name}.pdf", f"关于{name}事项的通知", [f"{name}事项。"])
    (src / "清单.csv").write_bytes(
        "路径,题名,文号,责任者,日期,密级,保管期限,备注\n"
        "甲.pdf,甲事项通知,甲发〔2023〕1号,甲单位,2023-02-01,内部,Y,清单设定\n"
        "乙.pdf,,,,,,,\n"
        "丙.pdf,,,,,绝密,,\n".encode("gb18030"))
    code, data = cli_json("ingest", "--manifest", str(src / "清单.csv"), "--no-ocr", root=root)
    assert code == 1
    added = {d["original_name"]: d for d in data["added"]}
    a = added["甲.pdf"]
    assert (a["title"], a["doc_number"], a["author"], a["date"], a["secrecy"], a["retention"], a["remarks"]) == (
        "甲事项通知", "甲发〔2023〕1号", "甲单位", "2023-02-01", "内部", "Y", "清单设定")
    assert added["乙.pdf"]["secrecy"] == "无"  # the config's default
    assert [f["path"] for f in data["failed"]] == ["丙.pdf"] or data["failed"][0]["path"].endswith("丙.pdf")
    assert "绝密" in data["failed"][0]["error"] and "secrecy" in data["failed"][0]["error"]
    # a config naming a default outside its own list is refused when the repository is opened
    config["default_secrecy"] = "绝密"
    (root / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    proc = run_cli("list", root=root)
    assert proc.returncode == 3 and "default_secrecy" in proc.stderr
