"""Coverage: counts per criterion match the catalogue, links included; gaps and mandatory gaps flagged."""
from __future__ import annotations

import csv
import hashlib
import itertools
from pathlib import Path

from archive_kit.archive import Archive

from .conftest import cli_json

_seq = itertools.count(1)


def add(archive: Archive, **values) -> int:
    n = next(_seq)
    row = {"sha256": hashlib.sha256(f"cov{n}".encode()).hexdigest(), "original_name": f"{n}.pdf",
           "source_path": "x", "format": "pdf", "title": f"文件{n}", "pages": 2, "track": "civilized-unit",
           "year": 2023}
    row.update(values)
    with archive.catalogue.transaction():
        return archive.catalogue.insert_document(row, "", [])


def test_counts_match_the_catalogue_including_links(repo: Archive) -> None:
    add(repo, criterion="1.1", pages=3)
    add(repo, criterion="1.1", pages=None)
    add(repo, criterion="1")
    add(repo, criterion="1.1", year=2022)  # other year: not counted
    union = add(repo, track="workers-home", criterion="1", pages=5)
    repo.tag([union], link=["civilized-unit:2.2"])
    both = add(repo, criterion="2.2", pages=1)
    repo.tag([both], link=["civilized-unit:2.2"])  # filed and linked at the same criterion: counted once
    add(repo, criterion=None)  # unplaced
    report = repo.coverage("文明单位", 2023)
    rows = {r.code: r for r in report.rows}
    assert [r.code for r in report.rows] == [c.code for c in repo.registry.get("civilized-unit").criteria]
    assert (rows["1.1"].documents, rows["1.1"].pages) == (2, 3)
    assert (rows["1"].documents, rows["1"].subtree_documents, rows["1"].subtree_pages) == (1, 3, 5)
    assert (rows["2.2"].documents, rows["2.2"].pages) == (2, 6)
    assert rows["2"].subtree_documents == 2 and rows["2"].documents == 0
    assert rows["1.2"].missing and not rows["1"].missing and not rows["2"].missing
    assert report.total_documents == 6 and len(report.unplaced) == 1
    data = report.to_json()
    assert "1.2" in data["missing"] and "counting" in data
    required = [r.code for r in report.rows if r.required]
    assert required and set(required) <= set(data["missing_required"])
    text = report.to_text()
    assert "MISSING (必备)" in text


def test_coverage_files_and_cli(repo: Archive, tmp_path: Path) -> None:
    import openpyxl

    add(repo, criterion="2.2")
    report = repo.coverage("civilized-unit", 2023)
    rows = list(csv.reader(report.write(tmp_path / "c.csv", "csv").open(encoding="utf-8-sig")))
    assert rows[1][:2] == ["指标编号", "指标名称"]
    by_code = {r[0]: r for r in rows[2:]}
    assert by_code["2.2"][4] == "1" and by_code["1.1"][8] == "missing"
    ws = openpyxl.load_workbook(report.write(tmp_path / "c.xlsx", "xlsx")).active
    assert ws.max_row == 3 + len(report.rows)
    code, data = cli_json("coverage", "--track", "文明", "--year", "2023", root=repo.root)
    assert code == 0 and data["track"] == "civilized-unit"
    assert {c["code"]: c["documents"] for c in data["criteria"]}["2.2"] == 1
