"""The ingest run: every stage in turn, extraction in worker processes, originals stored and rows
catalogued in batches; every file succeeds or fails on its own."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping

from ..config import Config
from ..errors import ArchiveKitError, RepositoryError
from ..extract import CONVERT_TIMEOUT_S, ExtractOptions, Extraction
from ..indexing import sync_index
from ..metadata import DocMetadata
from ..repo import Repo, RepoPaths
from ..stages import mark
from ..workers import Limits, Outcome, WorkerPool
from .analyse import analyse_all
from .cache import load_cached, save_cache
from .collect import collect
from .describe import describe, validate_manifest_row
from .identify import identify
from .records import CliTags, IngestReport, Item

BATCH = 64
INDEX_EVERY = 2000  # documents between index commits; each Whoosh commit costs a segment


def extract_options(config: Config, paths: RepoPaths, ocr: bool) -> ExtractOptions:
    """How a repository extracts text: its OCR engine (one thread per worker: parallelism comes from
    the worker count, never oversubscribed; a scan's pages are spread over the workers by
    ``analyse_all``), its OCR page ceiling, its renditions, and a LibreOffice conversion limit well
    inside the worker's time limit (a hanging conversion then leaves a Word document with an
    estimated page count, instead of failing it)."""
    from ..ocr import DEFAULT_ENGINE

    return ExtractOptions(ocr=ocr, ocr_engine=config.ocr_engine or DEFAULT_ENGINE, threads=1,
                          renditions_dir=str(paths.renditions), ocr_max_pages=config.ocr_max_pages,
                          split_ocr=True,
                          convert_timeout_s=max(1.0, min(CONVERT_TIMEOUT_S, config.worker_timeout_s / 2)))

def run_ingest(repo: Repo, paths: list[Path], *, manifest: Path | None = None, cli: CliTags = CliTags(),
               ocr: bool = True, jobs: int | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               names: Mapping[Path, str] | None = None) -> IngestReport:
    """Ingest files and folders into the repository; every file succeeds or fails on its own.

    ``progress(done, total, file name)`` is called as files are finished; ``names`` gives files
    saved under generated names (the console's uploads) their own names (see ``collect``)."""
    report = IngestReport()
    items = collect(paths, manifest, report, repo.root.resolve(), names)
    jobs = jobs or os.cpu_count() or 1
    options = extract_options(repo.config, repo.paths, ocr)
    cache_dir = repo.paths.extract_cache
    seen: dict[str, str] = {}
    todo: list[Item] = []
    total = len(items)
    done = 0
    for item in items:
        try:
            identify(item)
            validate_manifest_row(item, repo.registry, repo.config.secrecy_levels)
        except ArchiveKitError as e:
            report.fail(item.source_path, getattr(e, "reason", str(e)))
            done += 1
            continue
        existing = repo.catalogue.by_sha(item.sha256)
        if existing is not None or item.sha256 in seen:
            entry = {"path": item.source_path, "sha256": item.sha256, "id": existing,
                     "duplicate_of": seen.get(item.sha256)}
            if existing is not None and not repo.store.has(item.sha256):
                try:  # the catalogued original was lost or set aside by `repair`: these bytes restore it
                    repo.store.put(item.path, item.sha256)
                    entry["restored"] = True
                except ArchiveKitError as e:
                    report.fail(item.source_path, getattr(e, "reason", str(e)))
            report.duplicates.append(entry)
            done += 1
            continue
        seen[item.sha256] = item.source_path
        todo.append(item)
    if progress:
        progress(done, total, "")
    writer = _BatchWriter(repo, report)
    limits = Limits.from_config(repo.config)
    env = {name: str(options.threads) for name in
           ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    # results are catalogued in input order (stable ids run after run), whatever order workers finish in
    ready: dict[int, Outcome] = {}
    tasks = []
    for key, item in enumerate(todo):
        cached = load_cached(cache_dir, item, options)
        if cached:
            ready[key] = Outcome(key, value=cached)
        else:
            tasks.append((key, (str(item.path), item.format, options, item.name)))
    tasks = largest_first(tasks, {key: _size(todo[key].path) for key, _ in tasks})
    next_key = 0

    def drain() -> None:
        nonlocal next_key, done
        while next_key in ready:
            out, item = ready.pop(next_key), todo[next_key]
            next_key += 1
            done += 1
            if out.error:
                report.fail(item.source_path, out.error)
            else:
                ext, meta = out.value
                if ext.ocr:
                    save_cache(cache_dir, item, options, ext)
                writer.add(item, ext, meta, cli)
            if progress:
                progress(done, total, item.name)

    drain()
    if tasks:
        with WorkerPool(jobs, limits, env) as pool:  # workers start as needed: one file's pages may use them all
            for out in analyse_all(pool, tasks):
                ready[out.key] = out
                drain()
    writer.flush()
    writer.sync()
    return report


DISPATCH_WINDOW = 64  # how far a file may be dispatched ahead of its turn (see ``largest_first``)


def largest_first(tasks: list[tuple[int, Any]], sizes: Mapping[int, int],
                  window: int = DISPATCH_WINDOW) -> list[tuple[int, Any]]:
    """The order in which the workers take the tasks: within each run of ``window`` tasks, the
    biggest files first. A run of single-page scans otherwise ends with one worker OCRing a big
    page while the others idle; taking the longest jobs first (LPT scheduling) leaves the short
    ones to fill the gaps at the end. Files are still catalogued in input order (stable ids); the
    window bounds how many finished files wait in memory for an earlier, slower one."""
    out: list[tuple[int, Any]] = []
    for start in range(0, len(tasks), window):
        out += sorted(tasks[start:start + window], key=lambda t: -sizes.get(t[0], 0))
    return out


def _size(path: Path) -> int:
    """A file's size in bytes (0 when it cannot be read: it then fails in its worker, with a reason)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _BatchWriter:
    """Stores originals and inserts catalogue rows in batches (one transaction each)."""

    def __init__(self, repo: Repo, report: IngestReport) -> None:
        self.repo = repo
        self.report = report
        self.pending: list[tuple[Item, dict, list, str]] = []
        self.since_sync = 0

    def add(self, item: Item, ext: Extraction, meta: DocMetadata, cli: CliTags) -> None:
        """Store the original now; queue its row for the next catalogue transaction."""
        try:
            values, hints = describe(item, ext, meta, self.repo.registry, cli, self.repo.config.default_secrecy)
            self.repo.store.put(item.path, item.sha256)
            mark("ingest-store")
        except RepositoryError:
            raise  # the repository cannot be written (disk full): the whole command stops, not one file
        except ArchiveKitError as e:
            self.report.fail(item.source_path, getattr(e, "reason", str(e)))
            return
        self.pending.append((item, values, hints, ext.text))
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Write the pending rows in one transaction, then bring the index up to date."""
        if not self.pending:
            return
        cat = self.repo.catalogue
        ids = []
        with cat.transaction():
            for item, values, hints, text in self.pending:
                doc_id = cat.by_sha(item.sha256)
                if doc_id is None:  # another process may have added the same bytes meanwhile
                    doc_id = cat.insert_document(values, text, hints)
                    ids.append(doc_id)
                else:
                    self.report.duplicates.append({"path": item.source_path, "sha256": item.sha256, "id": doc_id})
                cat.add_source(item.sha256, item.source_path)
            mark("ingest-catalogue")
        self.pending = []
        self.report.added.extend(d for d in (cat.get(i) for i in ids) if d is not None)
        self.since_sync += len(ids)
        if self.since_sync >= INDEX_EVERY:
            self.sync()

    def sync(self) -> None:
        """Bring the index up to the catalogue (rows are queued, so a crash before this loses nothing)."""
        sync_index(self.repo)
