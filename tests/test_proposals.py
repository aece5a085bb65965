"""Content tags are proposals (issue 11 item 3's mechanics) and ``number`` refuses year conflicts
(item 4), through the real command line on real files.

A track or criterion that came from content alone is shown as ``proposed``; ``review`` lists it;
``number``, ``coverage`` and ``bundle`` leave the document out and name it, until a person
confirms (``tag --confirm``, or any explicit ``tag``). A document whose year tag disagrees with
its date is not numbered until ``tag`` or ``edit`` decides it."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.gen_docs import make_pdf

from .conftest import cli_json, run_cli


@pytest.fixture
def proposed(tmp_path: Path) -> tuple[Path, int, int]:
    """A repository with one document filed by content alone (no folder, no manifest) and one
    filed by its folder: (root, proposed id, folder id)."""
    root = tmp_path / "repo"
    run_cli("init", root=root, check=True)
    loose = tmp_path / "loose"
    loose.mkdir()
    make_pdf(loose / "通知.pdf", "关于开展学雷锋志愿服务活动的通知",
             ["组织志愿者开展学雷锋志愿服务活动，关爱空巢老人，义务劳动。"], date_text="2023年3月5日")
    code, data = cli_json("ingest", str(loose), "--no-ocr", root=root)
    assert code == 0
    by_content = data["added"][0]
    assert by_content["tag_sources"]["track"] == "content", "the content classifier filed it (precondition)"
    # filed by its folder under another criterion than the proposal, so counting it shows nothing of the proposal
    elsewhere = "1.1" if by_content["criterion"] != "1.1" else "1.2"
    folder = tmp_path / "in" / "文明单位" / "2023" / elsewhere
    folder.mkdir(parents=True)
    make_pdf(folder / "队伍.pdf", "关于志愿服务队建设的通知", ["志愿服务队。"], date_text="2023年4月1日")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    assert code == 0
    return root, by_content["id"], data["added"][0]["id"]


def show(root: Path, doc_id: int) -> dict:
    code, data = cli_json("show", str(doc_id), "--history", root=root)
    assert code == 0
    return data


def reviewed(root: Path) -> dict[int, list[str]]:
    code, data = cli_json("review", root=root)
    assert code == 0
    return {d["id"]: d["review_reasons"] for d in data["documents"]}


def test_content_tags_are_proposed_and_left_out_until_confirmed(proposed: tuple[Path, int, int],
                                                                 tmp_path: Path) -> None:
    root, doc, filed = proposed
    record = show(root, doc)
    track, criterion = record["track"], record["criterion"]
    assert record["proposed"] == {"track": True, "criterion": True}
    assert show(root, filed)["proposed"] == {}
    assert any("proposed from content" in r for r in reviewed(root)[doc])
    assert filed not in reviewed(root)
    # numbering leaves it out and names it (exit 1); the folder-filed document is numbered
    proc = run_cli("number", root=root)
    assert proc.returncode == 1 and f"#{doc}" in proc.stderr and "--confirm" in proc.stderr
    code, data = cli_json("number", root=root)
    assert code == 1 and data["numbered"] == [] and [s["id"] for s in data["skipped"]] == [doc]
    assert show(root, filed)["item_number"] == 1 and show(root, doc)["item_number"] is None
    # coverage does not count it, and names it
    code, cov = cli_json("coverage", "--track", track, "--year", "2023", root=root)
    assert code == 0 and cov["unconfirmed"] == [doc] and cov["total_documents"] == 1
    row = next(r for r in cov["criteria"] if r["code"] == criterion)
    assert row["documents"] == 0
    proc = run_cli("coverage", "--track", track, "--year", "2023", root=root)
    assert "not counted" in proc.stdout and str(doc) in proc.stdout
    # the bundle leaves it out, and names it
    out = tmp_path / "out"
    code, bundle = cli_json("bundle", "--track", track, "--year", "2023", "--out", str(out / "b1"), root=root)
    assert code == 0 and [u["id"] for u in bundle["unconfirmed"]] == [doc]
    assert doc not in {d["id"] for s in bundle["contents"] for d in s["documents"]}
    assert any(f"#{doc}" in n for n in bundle["notes"]) and bundle["documents"] == 1
    # a person confirms: the proposal becomes a decision, logged, and everything takes it in
    code, data = cli_json("tag", str(doc), "--confirm", root=root)
    assert code == 0 and data["documents"][0]["proposed"] == {}
    record = show(root, doc)
    assert (record["track"], record["criterion"], record["tag_sources"]["track"]) == (track, criterion, "content")
    assert [(e["field"], e["after"]) for e in record["history"]] == [
        ("track", f"{track} (confirmed)"), ("criterion", f"{criterion} (confirmed)")]
    assert doc not in reviewed(root)
    code, cov = cli_json("coverage", "--track", track, "--year", "2023", root=root)
    assert cov["unconfirmed"] == [] and next(r for r in cov["criteria"] if r["code"] == criterion)["documents"] == 1
    code, data = cli_json("number", root=root)
    assert code == 0 and [d["id"] for d in data["numbered"]] == [doc]
    code, bundle = cli_json("bundle", "--track", track, "--year", "2023", "--out", str(out / "b2"), root=root)
    assert bundle["unconfirmed"] == [] and doc in {d["id"] for s in bundle["contents"] for d in s["documents"]}


def test_any_explicit_tag_confirms_the_proposal(proposed: tuple[Path, int, int]) -> None:
    root, doc, _ = proposed
    criterion = show(root, doc)["criterion"]
    code, data = cli_json("tag", str(doc), "--year", "2023", root=root)
    assert code == 0 and data["documents"][0]["proposed"] == {}
    fields = [(e["field"], e["after"]) for e in show(root, doc)["history"]]
    assert ("criterion", f"{criterion} (confirmed)") in fields and ("year", "2023 (manual)") in fields
    assert doc not in reviewed(root)


def test_number_refuses_a_year_that_conflicts_with_the_date(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_cli("init", root=root, check=True)
    folder = tmp_path / "in" / "文明单位" / "2023" / "2.2"
    folder.mkdir(parents=True)
    make_pdf(folder / "年终总结.pdf", "关于年终志愿服务工作的通知", ["志愿服务。"], date_text="2022年12月28日")
    make_pdf(folder / "岁末.pdf", "关于岁末志愿服务工作的通知", ["志愿服务。"], date_text="2022年12月30日")
    make_pdf(folder / "春季.pdf", "关于春季志愿服务工作的通知", ["志愿服务。"], date_text="2023年3月1日")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    ids = {d["original_name"]: d["id"] for d in data["added"]}
    assert {d["year"] for d in data["added"]} == {2023} and code == 0
    late, later, fine = ids["年终总结.pdf"], ids["岁末.pdf"], ids["春季.pdf"]
    assert any("conflicts with its date 2022-12-28" in r for r in reviewed(root)[late])
    proc = run_cli("number", root=root)
    assert proc.returncode == 1 and f"#{late}" in proc.stderr and f"#{later}" in proc.stderr
    assert "2022-12-28" in proc.stderr and "Traceback" not in proc.stderr
    assert [show(root, i)["item_number"] for i in (late, later, fine)] == [None, None, 1]
    # a person decides: `tag --year` keeps it in 2023 (the same year, now set by hand) ...
    code, _ = cli_json("tag", str(late), "--year", "2023", root=root)
    assert code == 0 and show(root, late)["tag_sources"]["year"] == "manual"
    # ... and `edit --date` corrects the date instead
    code, _ = cli_json("edit", str(later), "--date", "2023-01-03", root=root)
    assert code == 0
    code, data = cli_json("number", root=root)
    assert code == 0 and sorted(d["id"] for d in data["numbered"]) == sorted([late, later])


def test_an_older_catalogue_keeps_numbered_documents_decided(proposed: tuple[Path, int, int], tmp_path: Path) -> None:
    """Upgrading a catalogue of format 4 (before proposals): a document content filed that was
    already numbered (stamped, boxed) counts as decided; an unnumbered one is a proposal."""
    import sqlite3

    root, doc, filed = proposed
    loose = tmp_path / "loose2"
    loose.mkdir()
    make_pdf(loose / "另一.pdf", "关于开展志愿服务活动的通知", ["组织志愿者开展学雷锋志愿服务活动，义务劳动。"])
    code, data = cli_json("ingest", str(loose), "--no-ocr", root=root)
    other = data["added"][0]["id"]
    assert data["added"][0]["proposed"]
    db = sqlite3.connect(root / "catalogue.sqlite")
    with db:  # the catalogue as format 4 left it, with the first document numbered then
        db.execute("UPDATE documents SET item_number = 1, archival_code = 'J001-WS·2023-D30-WM-0001', box = 1 "
                   "WHERE id = ?", (doc,))
        db.execute("DROP TABLE edit_log")
        db.execute("ALTER TABLE documents DROP COLUMN secrecy")
        db.execute("ALTER TABLE documents DROP COLUMN tags_confirmed")
        db.execute("PRAGMA user_version = 4")
    db.close()
    assert show(root, doc)["proposed"] == {} and show(root, doc)["history"] == []
    assert show(root, other)["proposed"] == {"track": True, "criterion": True}
    assert show(root, filed)["secrecy"] is None
