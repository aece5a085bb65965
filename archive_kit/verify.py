"""Fixity and consistency checks: small checks that each add findings to one report.

Every problem is collected (not just the first), each naming the document id or the path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .errors import ArchiveKitError
from .store import hash_file

if TYPE_CHECKING:
    from .archive import Archive


@dataclass
class VerifyReport:
    """Problems (the repository is damaged) and notes (harmless leftovers, e.g. after a crash)."""

    checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def problem(self, problem: str, *, id: int | None = None, path: str | None = None) -> None:
        """Add one finding."""
        entry: dict[str, Any] = {"id": id} if id is not None else {"path": path}
        entry["problem"] = problem
        self.problems.append(entry)

    def to_json(self) -> dict[str, Any]:
        """The contract's ``verify --json`` shape (plus notes)."""
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems, "notes": self.notes}


def check_objects(archive: "Archive", report: VerifyReport, full: bool) -> None:
    """Every catalogued document has its object, and (full) the object's bytes hash to its name."""
    catalogued = {}
    for doc_id, sha in archive.catalogue.db.execute("SELECT id, sha256 FROM documents ORDER BY id"):
        catalogued[sha] = doc_id
        report.checked += 1
        path = archive.store.path_for(sha)
        if not path.is_file():
            report.problem(f"original is missing from the object store ({path.relative_to(archive.root)})", id=doc_id)
        elif full:
            try:
                actual = hash_file(path)
            except ArchiveKitError as e:
                report.problem(f"original cannot be read: {e}", id=doc_id)
                continue
            if actual != sha:
                report.problem(f"original is damaged: SHA-256 is {actual[:12]}…, catalogue says {sha[:12]}…", id=doc_id)
    orphans = [h for h in archive.store.iter_hashes() if h not in catalogued]
    if orphans:
        report.notes.append(f"{len(orphans)} stored object(s) belong to no document (an interrupted ingest; "
                            "ingesting the same files again adopts them)")
    temps = list(archive.store.root.glob("*/.tmp-*"))
    if temps:
        report.notes.append(f"{len(temps)} temporary file(s) from an interrupted write in the object store")


def check_texts(archive: "Archive", report: VerifyReport, full: bool) -> None:
    """Every document has its text row (the index is rebuilt from it)."""
    for (doc_id,) in archive.catalogue.db.execute(
        "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM texts)"
    ):
        report.problem("extracted text is missing from the catalogue", id=doc_id)


def check_index(archive: "Archive", report: VerifyReport, full: bool) -> None:
    """The index holds exactly the catalogued documents, apart from changes still queued."""
    try:
        indexed = archive.index.ids()
    except ArchiveKitError as e:
        report.problem(f"search index cannot be read ({e}); run `archive-kit reindex`", path="index")
        return
    queued = {doc_id for doc_id, _ in archive.catalogue.pending_index(10**9)}
    catalogued = archive.catalogue.all_ids()
    for doc_id in sorted((catalogued - indexed) - queued):
        report.problem("document is missing from the search index; run `archive-kit reindex`", id=doc_id)
    for doc_id in sorted((indexed - catalogued) - queued):
        report.problem("search index holds a document the catalogue does not have; run `archive-kit reindex`", id=doc_id)
    if queued:
        report.notes.append(f"{len(queued)} change(s) not yet in the search index; the next command catches up")


def check_numbering(archive: "Archive", report: VerifyReport, full: bool) -> None:
    """Within each class (track, year, retention), item numbers run 1..n with no gap or repeat."""
    rows = archive.catalogue.db.execute(
        "SELECT id, track, year, retention, item_number FROM documents WHERE item_number IS NOT NULL "
        "ORDER BY track, year, retention, item_number"
    ).fetchall()
    units: dict[tuple, list[tuple[int, int]]] = {}
    for doc_id, track, year, retention, number in rows:
        units.setdefault((track, year, retention), []).append((number, doc_id))
    for (track, year, retention), items in units.items():
        numbers = [n for n, _ in items]
        seen: set[int] = set()
        for n, doc_id in items:
            if n in seen:
                report.problem(f"item number {n} is used twice in {track}/{year}/{retention}", id=doc_id)
            seen.add(n)
        missing = sorted(set(range(1, max(numbers) + 1)) - seen)
        if missing:
            report.problem(f"item numbers {missing[:10]} are skipped in {track}/{year}/{retention}",
                           path=f"{track}/{year}/{retention}")


CHECKS: list[Callable[["Archive", VerifyReport, bool], None]] = [check_objects, check_texts, check_index, check_numbering]


def verify_repository(archive: "Archive", *, full: bool = True) -> VerifyReport:
    """Run every check; ``full`` re-hashes every original (slow on big repositories, but the point)."""
    report = VerifyReport()
    for check in CHECKS:
        check(archive, report, full)
    return report
