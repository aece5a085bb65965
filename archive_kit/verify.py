"""Fixity and consistency checks: small checks that each add findings to one report.

Every problem is collected (not just the first), each naming the document id or the path, with a
``kind`` that ``archive_kit.repair`` acts on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import ArchiveKitError, CatalogueDamagedError
from .repo import Repo
from .store import hash_file

# problem kinds
CATALOGUE_DAMAGED = "catalogue-damaged"
OBJECT_MISSING = "object-missing"
OBJECT_DAMAGED = "object-damaged"
TEXT_MISSING = "text-missing"
TEXT_DAMAGED = "text-damaged"
INDEX_MISSING = "index-missing"
INDEX_UNREADABLE = "index-unreadable"
INDEX_MISSING_DOC = "index-missing-document"
INDEX_EXTRA_DOC = "index-extra-document"
NUMBER_DUPLICATE = "numbering-duplicate"
NUMBER_GAP = "numbering-gap"
NUMBER_MISMATCH = "numbering-mismatch"


@dataclass(frozen=True)
class Problem:
    """One finding: what is wrong (``kind``, ``problem``) and where (a document ``id`` or a ``path``)."""

    kind: str
    problem: str
    id: int | None = None
    path: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"id"|"path", "problem", "kind"}``."""
        where: dict[str, Any] = {"id": self.id} if self.id is not None else {"path": self.path}
        return {**where, "problem": self.problem, "kind": self.kind}


@dataclass
class VerifyReport:
    """Problems (the repository is damaged) and notes (harmless leftovers, e.g. after a crash)."""

    checked: int = 0
    findings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.findings

    @property
    def problems(self) -> list[dict[str, Any]]:
        """The findings as the contract's JSON dicts."""
        return [p.to_json() for p in self.findings]

    def problem(self, problem: str, *, kind: str = "other", id: int | None = None, path: str | None = None) -> None:
        """Add one finding."""
        self.findings.append(Problem(kind, problem, id, path))

    def of_kind(self, *kinds: str) -> list[Problem]:
        """The findings of these kinds."""
        return [p for p in self.findings if p.kind in kinds]

    def to_json(self) -> dict[str, Any]:
        """The contract's ``verify --json`` shape (plus notes)."""
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems, "notes": self.notes}


def check_catalogue(repo: Repo, report: VerifyReport, full: bool) -> None:
    """SQLite's own check of the catalogue file (pages, indexes, constraints)."""
    try:
        damage = repo.catalogue.integrity_problems(full=full)
    except ArchiveKitError as e:
        report.problem(f"catalogue cannot be checked: {e}", kind=CATALOGUE_DAMAGED, path="catalogue.sqlite")
        return
    for msg in damage:
        report.problem(f"catalogue is damaged: {msg}; restore catalogue.sqlite from a backup",
                       kind=CATALOGUE_DAMAGED, path="catalogue.sqlite")


def check_objects(repo: Repo, report: VerifyReport, full: bool) -> None:
    """Every catalogued document has its object, and (full) the object's bytes hash to its name."""
    catalogued = {}
    for doc_id, sha, source in repo.catalogue.originals():
        catalogued[sha] = doc_id
        report.checked += 1
        path = repo.store.path_for(sha)
        rel = path.relative_to(repo.root)
        if not path.is_file():
            report.problem(f"original is missing from the object store ({rel}); ingest the original file "
                           f"again ({source}) to restore it", kind=OBJECT_MISSING, id=doc_id)
        elif full:
            try:
                actual = hash_file(path)
            except ArchiveKitError as e:
                report.problem(f"original cannot be read ({rel}): {getattr(e, 'reason', e)}", kind=OBJECT_DAMAGED, id=doc_id)
                continue
            if actual != sha:
                report.problem(f"original is damaged ({rel}): its SHA-256 is {actual[:12]}…, the catalogue says "
                               f"{sha[:12]}…; `archive-kit repair` sets it aside, then ingest the original "
                               f"file again ({source})", kind=OBJECT_DAMAGED, id=doc_id)
    orphans = [h for h in repo.store.iter_hashes() if h not in catalogued]
    if orphans:
        report.notes.append(f"{len(orphans)} stored object(s) belong to no document (an interrupted ingest; "
                            "ingesting the same files again adopts them)")
    temps = list(repo.store.root.glob("*/.tmp-*"))
    if temps:
        report.notes.append(f"{len(temps)} temporary file(s) from an interrupted write in the object store "
                            "(`archive-kit repair` removes them)")


def check_texts(repo: Repo, report: VerifyReport, full: bool) -> None:
    """Every document has its text row (the index is rebuilt from it), and (full) every text still
    hashes to the SHA-256 recorded when it was extracted."""
    cat = repo.catalogue
    for doc_id in cat.ids_without_text():
        report.problem("extracted text is missing from the catalogue (`archive-kit repair` extracts it again "
                       "from the original)", kind=TEXT_MISSING, id=doc_id)
    if not full:
        return
    if not cat.texts_have_hashes():
        report.notes.append("texts carry no hashes yet (an older repository opened read-only): not fixity-checked")
        return
    for doc_id, actual, recorded in cat.text_hashes():
        if recorded is None:
            report.problem("extracted text has no recorded SHA-256, so its fixity cannot be checked "
                           "(`archive-kit repair` extracts it again from the original)", kind=TEXT_DAMAGED, id=doc_id)
        elif actual != recorded:
            report.problem(f"extracted text was changed after extraction: its SHA-256 is {actual[:12]}…, the "
                           f"catalogue recorded {recorded[:12]}… (`archive-kit repair` extracts it again from the "
                           "original)", kind=TEXT_DAMAGED, id=doc_id)


def check_index(repo: Repo, report: VerifyReport, full: bool) -> None:
    """The index exists and holds exactly the catalogued documents, apart from changes still queued.
    Never creates or changes the index: a lost one is reported, and `repair` or a search rebuilds it."""
    from .search import index_exists

    if not index_exists(repo.paths.index):
        report.problem("the search index is missing, so searches would find nothing; `archive-kit repair` (or "
                       "the next search) rebuilds it from the catalogue", kind=INDEX_MISSING, path="index")
        return
    try:
        indexed = repo.index.check()
    except ArchiveKitError as e:
        report.problem(f"{e}".replace("`archive-kit reindex`", "`archive-kit repair`"),
                       kind=INDEX_UNREADABLE, path="index")
        return
    except Exception as e:  # noqa: BLE001 - a segment that vanished after opening, read lazily
        report.problem(f"search index cannot be read ({type(e).__name__}: {str(e)[:160]}); "
                       "run `archive-kit repair` to rebuild it", kind=INDEX_UNREADABLE, path="index")
        return
    queued = {doc_id for doc_id, _ in repo.catalogue.queued_index()}
    catalogued = repo.catalogue.all_ids()
    for doc_id in sorted((catalogued - indexed) - queued):
        report.problem("document is missing from the search index; run `archive-kit reindex`",
                       kind=INDEX_MISSING_DOC, id=doc_id)
    for doc_id in sorted((indexed - catalogued) - queued):
        report.problem("search index holds a document the catalogue does not have; run `archive-kit reindex`",
                       kind=INDEX_EXTRA_DOC, id=doc_id)
    if queued:
        report.notes.append(f"{len(queued)} change(s) not yet in the search index; the next command catches up")


def check_numbering(repo: Repo, report: VerifyReport, full: bool) -> None:
    """Within each unit (track, year, retention; a class's photos apart) item numbers run 1..n with no gap or repeat, and every
    document's number agrees with the unit's register (``numbered_items``)."""
    units: dict[tuple, list[tuple[int, int]]] = {}
    for doc_id, track, year, retention, kind, number in repo.catalogue.register_items():
        units.setdefault((track, year, retention, kind), []).append((number, doc_id))
    for key, items in units.items():
        unit = "/".join(str(part) for part in key if part != "")
        seen: set[int] = set()
        for n, doc_id in items:
            if n in seen:
                report.problem(f"item number {n} is used twice in {unit}", kind=NUMBER_DUPLICATE, id=doc_id)
            seen.add(n)
        missing = sorted(set(range(1, max(seen) + 1)) - seen)
        if missing:
            report.problem(f"item number(s) {missing[:10]} are skipped in {unit}", kind=NUMBER_GAP, path=unit)
    for doc_id, doc_number, reg_number in repo.catalogue.register_disagreements():
        report.problem(f"item number {doc_number} disagrees with the unit register ({reg_number})",
                       kind=NUMBER_MISMATCH, id=doc_id)


CHECKS: list[Callable[[Repo, VerifyReport, bool], None]] = [
    check_catalogue, check_objects, check_texts, check_index, check_numbering,
]


def verify_repository(repo: Repo, *, full: bool = True) -> VerifyReport:
    """Run every check; ``full`` re-hashes every original and text (slow on big repositories, but the
    point). A damaged catalogue page met by any check is reported, and the other checks still run."""
    report = VerifyReport()
    for check in CHECKS:
        try:
            check(repo, report, full)
        except CatalogueDamagedError as e:
            if not report.of_kind(CATALOGUE_DAMAGED):
                report.problem(str(e), kind=CATALOGUE_DAMAGED, path="catalogue.sqlite")
    return report
