"""``archive-kit repair``: fix what a crash or damage left behind, from what the repository still holds.

It never changes an original or an item number and never drops a catalogue row. It removes temp
files of interrupted writes, sets damaged originals aside (so ingesting the original file again
restores them), extracts missing texts again from the originals, and rebuilds a damaged or
out-of-step search index from the catalogue. What it cannot fix is reported, with what to do.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .verify import (INDEX_EXTRA_DOC, INDEX_MISSING_DOC, INDEX_UNREADABLE, OBJECT_DAMAGED, TEXT_MISSING,
                     VerifyReport, verify_repository)

if TYPE_CHECKING:
    from .archive import Archive

DAMAGED_DIR = "damaged"


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


def repair_repository(archive: "Archive", *, ocr: bool = True) -> RepairReport:
    """Verify, fix what can be fixed from the repository alone, and verify again."""
    report = RepairReport()
    before = verify_repository(archive, full=True)
    _remove_temp_files(archive, report)
    for p in before.of_kind(OBJECT_DAMAGED):
        _set_aside(archive, p.id, report)
    missing_text = [p.id for p in before.of_kind(TEXT_MISSING) if p.id is not None]
    if missing_text:
        _extract_again(archive, missing_text, ocr, report)
    if before.of_kind(INDEX_UNREADABLE, INDEX_MISSING_DOC, INDEX_EXTRA_DOC) or missing_text:
        n = archive.reindex()  # sets a damaged index aside first
        why = "search index was unreadable: " if before.of_kind(INDEX_UNREADABLE) else ""
        report.actions.append(f"{why}rebuilt the search index from the catalogue ({n} document(s))")
    else:
        archive.sync_index()
    report.after = verify_repository(archive, full=True)
    return report


def _remove_temp_files(archive: "Archive", report: RepairReport) -> None:
    """Temp files and folders of writes a kill interrupted (objects, caches, config, index rebuilds)."""
    root = archive.root
    n = archive.store.remove_temp_files()
    for f in list(archive.derived.rglob(".tmp-*")) + list(root.glob(".tmp-*")) + list(archive.index_dir.glob(".tmp-*")):
        if f.is_file():
            f.unlink(missing_ok=True)
            n += 1
    name = archive.index_dir.name
    for d in list(root.glob(f".{name}.rebuild-*")) + list(root.glob(f".{name}.damaged-*")):
        shutil.rmtree(d, ignore_errors=True)
        n += 1
    if n:
        report.actions.append(f"removed {n} temporary file(s) left by interrupted writes")


def _set_aside(archive: "Archive", doc_id: int | None, report: RepairReport) -> None:
    """Move a damaged original to ``damaged/`` (kept, never deleted) so a re-ingest can restore it."""
    doc = archive.catalogue.get(doc_id) if doc_id is not None else None
    if doc is None:
        return
    src = archive.store.path_for(doc.sha256)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = archive.root / DAMAGED_DIR / f"{doc.sha256}.{stamp}"
    dest.parent.mkdir(exist_ok=True)
    try:
        os.replace(src, dest)
    except OSError as e:
        report.actions.append(f"document {doc_id}: could not set the damaged original aside ({e.strerror})")
        return
    report.actions.append(f"document {doc_id}: damaged original moved to {dest.relative_to(archive.root)}; "
                          f"ingest the original file again ({doc.source_path}) to restore it")


def _extract_again(archive: "Archive", ids: list[int], ocr: bool, report: RepairReport) -> None:
    """Extract the texts of documents whose text row is gone, from their originals (in isolated workers)."""
    from .extract import ExtractOptions
    from .ingest import analyse
    from .workers import Limits, WorkerPool

    cfg = archive.config
    options = ExtractOptions(ocr=ocr, ocr_engine=cfg.ocr_engine or archive.default_ocr_engine(), threads=1)
    tasks = []
    for doc_id in ids:
        doc = archive.catalogue.get(doc_id)
        if doc is not None and archive.store.has(doc.sha256):
            path = archive.store.path_for(doc.sha256)
            tasks.append((doc_id, (str(path), doc.format, options, doc.original_name)))
    if not tasks:
        return
    with WorkerPool(min(len(tasks), os.cpu_count() or 1), Limits(cfg.worker_timeout_s, cfg.worker_memory_mb)) as pool:
        for out in pool.run(analyse, tasks):
            if out.error:
                report.actions.append(f"document {out.key}: text could not be extracted again ({out.error})")
                continue
            text = out.value[0].text
            with archive.catalogue.transaction() as db:
                db.execute("INSERT OR REPLACE INTO texts (doc_id, text) VALUES (?, ?)", (out.key, text))
                archive.catalogue.queue_index(out.key)
            report.actions.append(f"document {out.key}: text extracted again from the original")


def damaged_originals(root: Path) -> list[Path]:
    """Originals that repair set aside, for a person to look at."""
    d = root / DAMAGED_DIR
    return sorted(d.iterdir()) if d.is_dir() else []
