"""``archive-kit repair``: fix what a crash or damage left behind, from what the repository still holds.

It never changes an original or an item number and never drops a catalogue row. It removes temp
files of interrupted writes, sets damaged originals aside (so ingesting the original file again
restores them), extracts missing or changed texts again from the originals, counts the pages of
documents whose count was only estimated from their renditions (once LibreOffice works), and rebuilds a lost,
damaged or out-of-step search index from the catalogue. What it cannot fix is reported, with what
to do; a damaged catalogue it cannot rebuild (it is the source of truth), so it says so and stops.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from .errors import CatalogueDamagedError
from .indexing import rebuild_index, remove_rebuild_leftovers, sync_index
from .ingest.analyse import analyse_all
from .ingest.pipeline import extract_options
from .renditions import make_rendition
from .repo import Repo
from .verify import (CATALOGUE_DAMAGED, INDEX_EXTRA_DOC, INDEX_MISSING, INDEX_MISSING_DOC, INDEX_UNREADABLE,
                     OBJECT_DAMAGED, TEXT_DAMAGED, TEXT_MISSING, VerifyReport, verify_repository)
from .workers import Limits, WorkerPool


@dataclass
class RepairReport:
    """What was done, and the verify report afterwards (its problems need a person)."""

    actions: list[str] = field(default_factory=list)
    after: VerifyReport = field(default_factory=VerifyReport)

    @property
    def ok(self) -> bool:
        """True when the repository verifies after the repair."""
        return self.after.ok

    def to_json(self) -> dict[str, Any]:
        """``{"ok", "actions", "problems", "notes"}``: problems still left."""
        return {"ok": self.ok, "actions": self.actions, "checked": self.after.checked,
                "problems": self.after.problems, "notes": self.after.notes}


def repair_repository(repo: Repo, *, ocr: bool = True) -> RepairReport:
    """Verify, fix what can be fixed from the repository alone, and verify again."""
    repo.require_writable("repair")
    report = RepairReport()
    before = verify_repository(repo, full=True)
    damaged = before.of_kind(CATALOGUE_DAMAGED)
    if damaged:
        raise CatalogueDamagedError(f"{damaged[0].problem.rstrip('.')}; repair cannot rebuild the catalogue, which is "
                                    "the source of truth: restore catalogue.sqlite from a backup")
    _remove_temp_files(repo, report)
    for p in before.of_kind(OBJECT_DAMAGED):
        _set_aside(repo, p.id, report)
    texts = sorted({p.id for p in before.of_kind(TEXT_MISSING, TEXT_DAMAGED) if p.id is not None})
    if texts:
        _extract_again(repo, texts, ocr, report)
    _recount_pages(repo, report)
    lost = before.of_kind(INDEX_MISSING, INDEX_UNREADABLE)
    if lost or before.of_kind(INDEX_MISSING_DOC, INDEX_EXTRA_DOC) or texts:
        n = rebuild_index(repo) or 0  # sets a damaged index aside first
        why = {INDEX_MISSING: "search index was missing: ", INDEX_UNREADABLE: "search index was unreadable: "}.get(
            lost[0].kind, "") if lost else ""
        report.actions.append(f"{why}rebuilt the search index from the catalogue ({n} document(s))")
    else:
        sync_index(repo, strict=True)
    report.after = verify_repository(repo, full=True)
    return report


def _remove_temp_files(repo: Repo, report: RepairReport) -> None:
    """Temp files and folders of writes a kill interrupted (objects, caches, config, index rebuilds)."""
    paths = repo.paths
    n = repo.store.remove_temp_files()
    for f in list(paths.derived.rglob(".tmp-*")) + list(paths.root.glob(".tmp-*")) + list(paths.index.glob(".tmp-*")):
        if f.is_file():
            f.unlink(missing_ok=True)
            n += 1
    n += remove_rebuild_leftovers(repo)
    if n:
        report.actions.append(f"removed {n} temporary file(s) left by interrupted writes")


def _recount_pages(repo: Repo, report: RepairReport) -> None:
    """Count the pages of documents whose count is only an estimate (LibreOffice was missing or failed
    at ingest) from their renditions, made now where they can be; those that still cannot be
    rendered keep their estimate (``review`` lists them)."""
    for doc in repo.catalogue.estimated_pages():
        before = doc.pages
        if make_rendition(repo.catalogue, repo.store, repo.paths.renditions, doc).path is not None:
            report.actions.append(f"counted the pages of #{doc.id} {doc.original_name} from its rendition: "
                                  f"{before} → {doc.pages}")


def _set_aside(repo: Repo, doc_id: int | None, report: RepairReport) -> None:
    """Move a damaged original to ``damaged/`` (kept, never deleted) so a re-ingest can restore it."""
    doc = repo.catalogue.get(doc_id) if doc_id is not None else None
    if doc is None:
        return
    src = repo.store.path_for(doc.sha256)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = repo.paths.damaged / f"{doc.sha256}.{stamp}"
    dest.parent.mkdir(exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError as e:
        report.actions.append(f"document {doc_id}: could not set the damaged original aside ({e.strerror})")
        return
    report.actions.append(f"document {doc_id}: damaged original moved to {dest.relative_to(repo.root)}; "
                          f"ingest the original file again ({doc.source_path}) to restore it")


def _extract_again(repo: Repo, ids: list[int], ocr: bool, report: RepairReport) -> None:
    """Extract again, from their originals (in isolated workers), the texts of documents whose text
    row is gone or no longer matches its recorded hash."""
    options = extract_options(repo.config, repo.paths, ocr)
    tasks = []
    for doc_id in ids:
        doc = repo.catalogue.get(doc_id)
        if doc is None:
            continue
        if not repo.store.has(doc.sha256):
            report.actions.append(f"document {doc_id}: text could not be extracted again: its original is "
                                  f"missing (ingest the original file again: {doc.source_path})")
            continue
        path = repo.store.path_for(doc.sha256)
        tasks.append((doc_id, (str(path), doc.format, options, doc.original_name)))
    if not tasks:
        return
    with WorkerPool(os.cpu_count() or 1, Limits.from_config(repo.config)) as pool:
        for out in analyse_all(pool, tasks):
            if out.error:
                report.actions.append(f"document {out.key}: text could not be extracted again ({out.error})")
                continue
            with repo.catalogue.transaction():
                repo.catalogue.put_text(out.key, out.value[0].text)
                repo.catalogue.queue_index(out.key)
            report.actions.append(f"document {out.key}: text extracted again from the original")

