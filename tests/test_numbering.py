"""Numbering: order, gap-free numbers per unit, archival codes, stability, freeze, boxes, the log."""
from __future__ import annotations

import hashlib
import itertools
import re
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.config import CODE_PATTERNS
from archive_kit.errors import NumberingError, UsageError

from .conftest import cli_json, run_cli

_seq = itertools.count(1)


def add(archive: Archive, **values) -> int:
    """Insert one catalogue row directly (fast; realism does not matter for numbering)."""
    n = next(_seq)
    row = {"sha256": hashlib.sha256(f"doc{n}".encode()).hexdigest(), "original_name": f"doc{n}.pdf",
           "source_path": f"/in/doc{n}.pdf", "format": "pdf", "title": f"文件{n}", "pages": 1,
           "track": "civilized-unit", "year": 2023, "criterion": "1.1"}
    row.update(values)
    with archive.catalogue.transaction():
        return archive.catalogue.insert_document(row, "", [])


def test_order_is_natural_code_then_date_then_title(repo: Archive) -> None:
    a = add(repo, criterion="3.1", date="2023-01-01", title="乙", retention="D30")
    b = add(repo, criterion="1.1", date="2023-05-01", title="甲", retention="D30")
    c = add(repo, criterion="1.1", date="2023-02-01", title="丙", retention="D30")
    d = add(repo, criterion="1.1", date="2023-02-01", title="丁", retention="D30")
    e = add(repo, criterion="1.2", date="2023-01-01", title="戊", retention="D30")
    report = repo.number()
    order = [doc.id for doc in sorted(report.numbered, key=lambda x: x.item_number)]
    # criterion 1.1 first: by date, and on the same date by title (丁 U+4E01 before 丙 U+4E19)
    assert order == [d, c, b, e, a]
    assert [x.item_number for x in sorted(report.numbered, key=lambda x: x.item_number)] == [1, 2, 3, 4, 5]


def test_natural_order_puts_2_before_10(tmp_path: Path) -> None:
    repo = Archive.init(tmp_path / "r", fonds="J001", unit="测试单位")
    schema = tmp_path / "t.yaml"
    schema.write_text("id: test-track\nname: 测试类别\ncode: CS\ncriteria:\n"
                      + "".join(f"  - code: \"{c}\"\n    name: 指标{c}\n" for c in ("1", "2", "10"))
                      + "  - code: \"11\"\n    name: 指标11\n    children:\n"
                      + "".join(f"      - code: \"11.{c}\"\n        name: 子{c}\n" for c in ("2", "10")),
                      encoding="utf-8")
    repo.add_schema(schema)
    ids = {c: add(repo, track="test-track", criterion=c, retention="D10") for c in ("11.10", "10", "2", "11.2", "1")}
    repo.number()
    got = sorted(ids, key=lambda c: repo.get(ids[c]).item_number)
    assert got == ["1", "2", "10", "11.2", "11.10"]
    assert repo.get(ids["1"]).archival_code == "J001-WS·2023-D10-CS-0001"
    repo.close()


def test_units_are_numbered_from_one_without_gaps(repo: Archive) -> None:
    for i in range(7):
        add(repo, criterion=f"1.{i % 4 + 1}", retention="D30")
    for i in range(4):
        add(repo, criterion="1.1", retention="Y")
    for i in range(3):
        add(repo, track="workers-home", criterion="1", year=2024, retention="D10")
    repo.number()
    units: dict[tuple, list[int]] = {}
    for doc in repo.documents():
        units.setdefault((doc.track, doc.year, doc.retention), []).append(doc.item_number)
    assert {k: sorted(v) for k, v in units.items()} == {
        ("civilized-unit", 2023, "D30"): list(range(1, 8)),
        ("civilized-unit", 2023, "Y"): [1, 2, 3, 4],
        ("workers-home", 2024, "D10"): [1, 2, 3],
    }
    problems = repo.verify(full=False).problems
    assert not [p for p in problems if "item number" in p["problem"]]  # (rows have no originals here)


def test_archival_code_patterns_of_both_presets(tmp_path: Path) -> None:
    for preset, expected in (("DA/T 22-2015", "J001-WS·2023-D30-WM-0001"),
                             ("DA/T 13-2022", "J001-WS·2023·D30·WM-0001")):
        repo = Archive.init(tmp_path / preset.replace("/", "_"), fonds="J001", unit="测试单位")
        repo.config.code_pattern = CODE_PATTERNS[preset]
        doc = add(repo, retention="D30")
        repo.number()
        assert repo.get(doc).archival_code == expected
        repo.close()


def test_retention_comes_from_document_then_criterion_then_config(repo: Archive) -> None:
    own = add(repo, criterion="1.1", retention="Y")
    by_criterion = add(repo, criterion="1.1")  # criterion 1 of civilized-unit has retention D10
    repo.config.default_retention = "D30"
    no_criterion = add(repo, criterion=None)
    repo.number()
    assert repo.get(own).retention == "Y"
    assert repo.get(by_criterion).retention == "D10"
    assert repo.get(by_criterion).archival_code.endswith("-D10-WM-0001")
    assert repo.get(no_criterion).retention == "D30"


def test_numbers_are_stable_and_new_documents_are_appended(repo: Archive) -> None:
    first = [add(repo, criterion=c, retention="D30", pages=50) for c in ("2.1", "1.1", "3.1")]
    repo.number()
    before = {i: (repo.get(i).archival_code, repo.get(i).box) for i in first}
    late = [add(repo, criterion="3.1", retention="D30", title="乙"), add(repo, criterion="1.1", retention="D30", title="甲")]
    report = repo.number()
    assert {d.id for d in report.numbered} == set(late)
    assert {i: (repo.get(i).archival_code, repo.get(i).box) for i in first} == before
    # appended after the last item, sorted among themselves (1.1 before 3.1)
    assert repo.get(late[1]).item_number == 4 and repo.get(late[0]).item_number == 5
    # the last box (150 pages) still has room for them
    assert repo.get(late[1]).box == 1
    assert repo.number().numbered == []


def test_freeze_refuses_renumbering_but_allows_appending(repo: Archive) -> None:
    ids = [add(repo, criterion="2.1", retention="D30", title=t) for t in ("乙", "甲")]
    repo.number(freeze=True)
    with pytest.raises(NumberingError, match="frozen"):
        repo.number(renumber=True)
    new = add(repo, criterion="1.1", retention="D30")
    repo.number()
    assert repo.get(new).item_number == 3
    assert repo.get(new).box == 2  # the frozen box is labelled: no more items go in
    assert [repo.get(i).item_number for i in ids] == [1, 2]  # 乙 (U+4E59) sorts before 甲 (U+7532)


def test_renumber_rebuilds_a_unit(repo: Archive) -> None:
    a = add(repo, criterion="3.1", retention="D30")
    repo.number()
    b = add(repo, criterion="1.1", retention="D30")
    repo.number()
    assert (repo.get(a).item_number, repo.get(b).item_number) == (1, 2)
    report = repo.number(renumber=True)
    assert (repo.get(a).item_number, repo.get(b).item_number) == (2, 1)
    assert len(report.numbered) == 2 and report.renumbered_units
    entries = [e for e in repo.number_log() if e["action"] == "renumber"]
    assert {e["doc_id"] for e in entries} == {a, b}
    assert any(e["detail"]["previous_code"].endswith("-0001") and e["doc_id"] == a for e in entries)


def test_the_report_is_what_the_catalogue_holds(repo: Archive) -> None:
    """The report's records are built in memory, not read back: they must equal the catalogue's,
    field for field, after a first run, an appending run and a renumbering (in item order)."""
    a = add(repo, criterion="3.1", retention="D30", secrecy="内部", updated_at="2020-01-01T00:00:00+00:00")
    add(repo, criterion="1.1", date="2023-03-05")  # retention from the criterion or the config
    for run in ({}, {}, {"renumber": True}):
        if not run:
            add(repo, criterion="2.1", pages=7)
        report = repo.number(**run)
        assert report.numbered
        assert report.numbered == [repo.get(d.id) for d in report.numbered]  # every field, updated_at too
    assert len(report.numbered) == 4 and report.renumbered_units
    assert repo.get(a).secrecy == "内部"


def test_boxes_respect_capacity_and_oversize_items(repo: Archive) -> None:
    pages = [80, 80, 50, 250, 10, None, 30]
    ids = [add(repo, criterion="1.1", retention="D30", date=f"2023-01-{i + 1:02d}", pages=p)
           for i, p in enumerate(pages)]
    repo.number(box_pages=200)
    boxes = [repo.get(i).box for i in ids]
    assert boxes == [1, 1, 2, 3, 4, 4, 4]
    spine = repo_boxes(repo)
    assert [(b.box, b.first_item, b.last_item, b.items, b.pages) for b in spine] == [
        (1, 1, 2, 2, 160), (2, 3, 3, 1, 50), (3, 4, 4, 1, 250), (4, 5, 7, 3, 41)]
    assert spine[0].fonds == "J001" and spine[0].track_code == "WM" and spine[0].retention == "D30"


def repo_boxes(repo: Archive):
    from archive_kit.numbering import list_boxes

    return list_boxes(repo.catalogue, repo.registry, repo.config)


def test_untagged_documents_are_skipped_and_named(repo: Archive) -> None:
    ok = add(repo, retention="D30")
    no_year = add(repo, year=None)
    no_track = add(repo, track=None, criterion=None)
    report = repo.number(track="文明单位", year=2023)
    assert [d.id for d in report.numbered] == [ok]
    reasons = {d.id: r for d, r in report.skipped}
    assert set(reasons) == {no_year, no_track}
    assert "year" in reasons[no_year] and "review" in reasons[no_year]
    data = report.to_json()
    assert {s["id"] for s in data["skipped"]} == {no_year, no_track}


def test_every_assignment_is_logged(repo: Archive, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_KIT_USER", "档案员")
    ids = [add(repo, retention="D30") for _ in range(3)]
    repo.number(freeze=True)
    log = repo.number_log()
    numbered = [e for e in log if e["action"] == "number"]
    assert sorted(e["doc_id"] for e in numbered) == ids
    assert all(e["actor"] == "档案员" and e["at"] and re.match(r"J001-WS·2023-D30-WM-000\d", e["detail"]["archival_code"])
               for e in numbered)
    assert log[-1]["action"] == "freeze"
    assert repo.number_log(limit=1) == log[-1:]


def test_a_failed_run_leaves_nothing_numbered(repo: Archive) -> None:
    add(repo, retention="D30")
    repo.config.code_pattern = "{fonds}-{nonsense}"
    with pytest.raises(UsageError, match=r"archival code pattern .*nonsense"):
        repo.number()
    assert all(d.item_number is None for d in repo.documents())
    assert repo.number_log() == []


def test_cli_number_listing_log(tmp_path: Path) -> None:
    from bench.gen_docs import make_docx

    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    folder = tmp_path / "文明单位" / "2023" / "2.2 志愿服务活动"
    folder.mkdir(parents=True)
    make_docx(folder / "关于开展志愿服务活动的通知.docx", "关于开展志愿服务活动的通知", ["开展志愿服务活动。"],
              date_text="2023年3月5日")
    make_docx(tmp_path / "杂项.docx", "会议记录", ["一般内容。"], date_text=None)
    code, _ = cli_json("ingest", str(tmp_path / "文明单位"), str(tmp_path / "杂项.docx"), "--no-ocr", root=root)
    code, data = cli_json("number", root=root)
    assert code == 1
    assert [d["archival_code"] for d in data["numbered"]] == ["J001-WS·2023-D10-WM-0001"]
    assert len(data["skipped"]) == 1 and "review" in data["skipped"][0]["reason"]
    proc = run_cli("number", root=root)
    assert proc.returncode == 1 and "review" in proc.stderr + proc.stdout
    code, data = cli_json("log", root=root)
    assert code == 0 and data["log"][0]["action"] == "number"
    code, data = cli_json("number", "--freeze", root=root)
    proc = run_cli("number", "--renumber", root=root)
    assert proc.returncode == 1 and "frozen" in proc.stderr and "Traceback" not in proc.stderr
