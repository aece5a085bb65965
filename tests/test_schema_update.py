"""A repository created by an older archive-kit keeps that version's built-in criteria until the
archivist takes up the new ones with `schema update`: shown first (--dry-run), applied, logged;
documents keep their codes and those under a removed criterion are named and reviewed."""
from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from archive_kit.archive import Archive
from archive_kit.criteria.loader import builtin_schemas

from .conftest import cli_json, run_cli


def shipped(track: str) -> str:
    """The built-in schema text this version ships for ``track``."""
    return next(s.source for s in builtin_schemas() if s.id == track)


def older(track: str) -> str:
    """An older version of a built-in schema: criterion 1 under another name, and a criterion 99
    that the current scheme no longer has."""
    data = yaml.safe_load(shipped(track))
    data["criteria"][0]["name"] = "旧的一级指标名称"
    data["criteria"].append({"code": "99", "name": "旧方案的指标", "keywords": ["旧方案"]})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def as_if_created_by_an_older_version(archive: Archive, track: str) -> None:
    """Store an older built-in text, as ``init`` of an older version would have."""
    with archive.catalogue.transaction():
        archive.catalogue.put_schema(track, older(track), "built-in")


def file_under(archive: Archive, track: str, criterion: str) -> int:
    """A catalogued document filed under ``track``/``criterion`` (tags set by a person)."""
    with archive.catalogue.transaction():
        return archive.catalogue.insert_document({
            "sha256": hashlib.sha256(criterion.encode()).hexdigest(), "original_name": f"{criterion}.pdf",
            "source_path": f"/in/{criterion}.pdf", "format": "pdf", "title": "旧指标下的材料", "pages": 1,
            "date": "2023-03-05", "track": track, "criterion": criterion, "year": 2023,
            "track_source": "manual", "criterion_source": "manual", "year_source": "manual",
            "tags_confirmed": 1}, "", [])


def test_dry_run_shows_the_changes_then_update_applies_and_logs_them(repo: Archive) -> None:
    as_if_created_by_an_older_version(repo, "civilized-unit")
    stranded = file_under(repo, "civilized-unit", "99")
    kept = file_under(repo, "civilized-unit", "1")
    root = repo.root
    repo.close()

    rc, listed = cli_json("schema", "list", root=root)
    assert rc == 0
    assert {t["id"]: t["builtin_update"] for t in listed["tracks"]} == {
        "party-building": False, "civilized-unit": True, "workers-home": False}

    rc, dry = cli_json("schema", "update", "--dry-run", root=root)
    assert rc == 0 and dry["dry_run"] is True
    by_track = {t["track"]: t for t in dry["tracks"]}
    wm = by_track["civilized-unit"]
    assert wm["status"] == "would-update" and wm["origin"] == "built-in"
    assert wm["removed"] == ["99"] and wm["added"] == []
    assert wm["renamed"] == [{"code": "1", "before": "旧的一级指标名称", "after": yaml.safe_load(shipped("civilized-unit"))["criteria"][0]["name"]}]
    assert wm["documents_under_removed"] == [stranded]
    assert by_track["party-building"]["status"] == by_track["workers-home"]["status"] == "up-to-date"
    with Archive.open(root) as archive:  # a dry run changes nothing
        assert archive.registry.get("civilized-unit").criterion("99") is not None
        assert not [e for e in archive.number_log() if e["action"].startswith("schema")]

    rc, done = cli_json("schema", "update", "文明单位", root=root)
    assert rc == 0
    assert [(t["track"], t["status"]) for t in done["tracks"]] == [("civilized-unit", "updated")]
    with Archive.open(root) as archive:
        assert archive.catalogue.schema_sources()[0][1:] == (shipped("civilized-unit"), "built-in")
        assert archive.registry.get("civilized-unit").criterion("99") is None
        [entry] = [e for e in archive.number_log() if e["action"] == "schema-update"]
        assert entry["detail"]["track"] == "civilized-unit" and entry["detail"]["removed"] == ["99"]
        assert entry["actor"]
        assert archive.get(stranded).criterion == "99", "documents keep their codes"
    rc, review = cli_json("review", root=root)
    reasons = {e["id"]: " ".join(e["review_reasons"]) for e in review["documents"]}
    assert "no longer exists" in reasons.get(stranded, ""), review
    assert "no longer exists" not in reasons.get(kept, "")
    rc, again = cli_json("schema", "list", root=root)
    assert not any(t["builtin_update"] for t in again["tracks"])


def test_a_track_registered_from_the_archivists_own_file_is_kept_unless_named(repo: Archive, tmp_path: Path) -> None:
    own = tmp_path / "职工之家.yaml"
    own.write_text(older("workers-home"), encoding="utf-8")
    rc, added = cli_json("schema", "add", str(own), root=repo.root)
    assert rc == 0
    [entry] = [e for e in repo.number_log() if e["action"] == "schema-add"]
    assert entry["detail"]["origin"] == str(own) and entry["detail"]["added"] == ["99"]

    rc, data = cli_json("schema", "update", root=repo.root)
    wh = next(t for t in data["tracks"] if t["track"] == "workers-home")
    assert (wh["status"], wh["origin"], wh["removed"]) == ("kept-own", str(own), ["99"])
    rc, data = cli_json("schema", "update", "workers-home", root=repo.root)
    assert [(t["track"], t["status"]) for t in data["tracks"]] == [("workers-home", "updated")]


def test_an_unknown_track_is_a_usage_error_and_changes_nothing(repo: Archive) -> None:
    as_if_created_by_an_older_version(repo, "party-building")
    proc = run_cli("schema", "update", "party-building", "没有这个", root=repo.root)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "not a built-in track: 没有这个" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert repo.catalogue.schema_sources()[1][1] == older("party-building")
