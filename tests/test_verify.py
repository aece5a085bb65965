"""verify diagnoses a deliberately damaged repository precisely (every problem, with its id), and
repair fixes what the repository itself can fix, losing nothing."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from tests.conftest import cli_json, run_cli


@pytest.fixture
def filled(repo: Archive, tmp_path: Path) -> tuple[Archive, Path, list[int]]:
    """A repository with five real documents, numbered, and the folder they came from."""
    src = tmp_path / "src" / "civilized-unit" / "2023" / "2.3"
    src.mkdir(parents=True)
    for i in range(4):
        make_pdf(src / f"通知{i}.pdf", f"关于开展第{i}次学雷锋志愿服务的通知", NOTICE_BODY, date_text=f"2023年3月{i + 1}日")
    make_docx(src / "总结.docx", "志愿服务工作总结", ["本年度开展志愿服务活动十二次。"], date_text="2023年6月1日")
    report = repo.ingest([tmp_path / "src"], ocr=False)
    assert not report.failed and len(report.added) == 5
    repo.number()
    return repo, tmp_path / "src", sorted(d.id for d in report.added)


def _object(archive: Archive, doc_id: int) -> Path:
    return archive.store.path_for(archive.get(doc_id).sha256)


def _problems(root: Path) -> list[dict]:
    rc, data = cli_json("verify", root=root)
    assert rc == (0 if data["ok"] else 3)
    return data["problems"]


def test_a_sound_repository_verifies(filled) -> None:
    archive, _, ids = filled
    rc, data = cli_json("verify", root=archive.root)
    assert rc == 0 and data == {"ok": True, "checked": 5, "problems": [], "notes": []}


def test_every_kind_of_damage_is_reported_at_once_with_the_right_id(filled) -> None:
    archive, _, ids = filled
    flipped, deleted, textless = ids[0], ids[1], ids[2]
    obj = _object(archive, flipped)
    os.chmod(obj, stat.S_IRUSR | stat.S_IWUSR)  # objects are read-only; a disk error does not care
    data = bytearray(obj.read_bytes())
    data[len(data) // 2] ^= 0x01
    obj.write_bytes(bytes(data))
    _object(archive, deleted).unlink()
    with archive.catalogue.transaction() as db:
        db.execute("DELETE FROM texts WHERE doc_id = ?", (textless,))
    problems = _problems(archive.root)
    kinds = {(p.get("id"), p["kind"]) for p in problems}
    assert kinds == {(flipped, "object-damaged"), (deleted, "object-missing"), (textless, "text-missing")}
    by_id = {p["id"]: p["problem"] for p in problems}
    assert "damaged" in by_id[flipped] and "SHA-256" in by_id[flipped]
    assert "missing" in by_id[deleted] and "ingest the original file again" in by_id[deleted]


def test_a_deleted_index_segment_is_a_clear_problem_not_a_traceback(filled) -> None:
    archive, _, _ = filled
    segments = list(archive.index_dir.glob("*.seg"))
    assert segments
    for s in segments:
        s.unlink()
    proc = run_cli("verify", "--json", root=archive.root)
    assert proc.returncode == 3 and "Traceback" not in proc.stderr
    problems = _problems(archive.root)
    assert [(p["path"], p["kind"]) for p in problems] == [("index", "index-unreadable")]
    assert "search index" in problems[0]["problem"] and "repair" in problems[0]["problem"]


def test_a_corrupt_index_table_of_contents_is_a_clear_problem(filled) -> None:
    archive, _, _ = filled
    for toc in archive.index_dir.glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)
    problems = _problems(archive.root)
    assert [p["kind"] for p in problems] == ["index-unreadable"]


def test_index_out_of_step_with_the_catalogue_names_the_documents(filled) -> None:
    archive, _, ids = filled
    archive.index.delete([ids[3]])
    problems = _problems(archive.root)
    assert [(p["id"], p["kind"]) for p in problems] == [(ids[3], "index-missing-document")]


def test_numbering_gaps_and_disagreements_are_reported(filled) -> None:
    archive, _, ids = filled
    db = archive.catalogue.db
    rows = db.execute("SELECT doc_id, item_number FROM numbered_items ORDER BY item_number").fetchall()
    assert [n for _, n in rows] == [1, 2, 3, 4, 5]
    with archive.catalogue.transaction():
        db.execute("UPDATE numbered_items SET item_number = 9 WHERE doc_id = ?", (rows[2][0],))
    problems = _problems(archive.root)
    kinds = sorted(p["kind"] for p in problems)
    assert kinds == ["numbering-gap", "numbering-mismatch"]
    gap = next(p for p in problems if p["kind"] == "numbering-gap")
    assert "[3, 6, 7, 8]" in gap["problem"]
    assert next(p for p in problems if p["kind"] == "numbering-mismatch")["id"] == rows[2][0]


def test_repair_fixes_what_the_repository_holds_and_a_reingest_restores_the_rest(filled) -> None:
    archive, src, ids = filled
    flipped, deleted, textless = ids[0], ids[1], ids[2]
    obj = _object(archive, flipped)
    os.chmod(obj, stat.S_IRUSR | stat.S_IWUSR)
    obj.write_bytes(obj.read_bytes()[:-10] + b"0123456789")
    _object(archive, deleted).unlink()
    with archive.catalogue.transaction() as db:
        db.execute("DELETE FROM texts WHERE doc_id = ?", (textless,))
    for s in archive.index_dir.glob("*.seg"):
        s.unlink()
    rc, data = cli_json("repair", root=archive.root)
    assert rc == 3
    assert {(p["id"], p["kind"]) for p in data["problems"]} == {(flipped, "object-missing"), (deleted, "object-missing")}
    assert any("text extracted again" in a for a in data["actions"])
    assert any("index was unreadable" in a for a in data["actions"])
    assert len(list((archive.root / "damaged").iterdir())) == 1  # set aside, not deleted
    rc, ingest = cli_json("ingest", str(src), "--no-ocr", root=archive.root)
    assert rc == 0 and not ingest["added"]
    assert sum(1 for d in ingest["duplicates"] if d.get("restored")) == 2
    rc, data = cli_json("verify", root=archive.root)
    assert rc == 0 and data["ok"], data
    with Archive.open(archive.root) as again:
        assert "志愿服务" in again.text(textless)
    rc, hits = cli_json("search", "志愿服务", root=archive.root)
    assert hits["total"] == 5


def test_reindex_rebuilds_a_damaged_index(filled) -> None:
    archive, _, ids = filled
    segments = list(archive.index_dir.glob("*.seg"))
    assert segments
    for s in segments:
        s.unlink()
    assert run_cli("reindex", root=archive.root).returncode == 0
    rc, data = cli_json("verify", root=archive.root)  # before any search, which would mend a gap on its own
    assert rc == 0 and data["ok"] and not data["problems"], data
    rc, hits = cli_json("search", "志愿服务", "--limit", "50", root=archive.root)
    assert rc == 0 and hits["total"] == len(ids)
    assert sorted(h["id"] for h in hits["hits"]) == ids
    rc, hits = cli_json("search", "台账资料", root=archive.root)  # body text of the four notices, not a title
    assert hits["total"] == 4
