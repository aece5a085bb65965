"""Ingest as a row of small stages over one typed record per file.

collect (walk folders, read the manifest) → identify (hash, dedupe, detect format) → extract
(in isolated worker processes, cached by content hash) → store (the original, atomically) →
describe (metadata and tags) → catalogue (one transaction per batch, queued for the index).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping

from .catalogue import Document
from .errors import ArchiveKitError, InputFileError, RepositoryError, UsageError
from .extract import ExtractOptions, Extraction, extract
from .formats import detect, readable_name
from .manifest import ManifestRow, read_manifest
from .metadata import DocMetadata, extract_metadata
from .store import atomic_write_bytes, hash_file
from .tagging import Proposal, decide, path_proposal
from .workers import Outcome, WorkerPool

if TYPE_CHECKING:
    from .archive import Archive

JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
BATCH = 64
INDEX_EVERY = 2000  # documents between index commits; each Whoosh commit costs a segment
RETENTIONS = ("Y", "D30", "D10")


@dataclass
class Item:
    """One file on its way in."""

    path: Path
    source_path: str
    parts: list[str]
    manifest: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    format: str = ""
    display_name: str | None = None  # an upload's own name; ``path`` is where it was saved

    @property
    def name(self) -> str:
        """The file's name as people see it and the catalogue stores it (never a lone surrogate)."""
        return readable_name(self.display_name or self.path.name)


@dataclass
class IngestReport:
    """What an ingest did: records added, duplicates seen, files that failed or were skipped."""

    added: list[Document] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def fail(self, path: object, error: str) -> None:
        """Record one failed input with a one-line reason."""
        self.failed.append({"path": readable_name(str(path)), "error": readable_name(error.replace("\n", " "))})

    def to_json(self) -> dict:
        """The contract's ``ingest --json`` shape."""
        return {
            "added": [d.to_json() for d in self.added],
            "duplicates": self.duplicates,
            "failed": self.failed,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class CliTags:
    """Tags given on the command line; they win over every other source."""

    track: str | None = None
    criterion: str | None = None
    year: int | None = None


# --- stage 1: collect --------------------------------------------------------------------


def _is_junk(name: str) -> str | None:
    """Why a file met while walking a folder is skipped silently, or None to take it."""
    low = name.lower()
    if low in JUNK_NAMES:
        return "system file"
    if name.startswith("~$"):
        return "Office lock file (~$…), not a document"
    if name.startswith("."):
        return "hidden file"
    return None


def walk(root: Path, report: IngestReport, skip: set[Path], repository: Path | None = None) -> Iterator[Item]:
    """Every file under ``root``, in sorted order, never following folder symlinks (no loops),
    never entering the repository itself (``ingest .`` beside ``./archive`` must not eat its
    objects) and never following a file symlink out of ``root`` (as a manifest refuses such paths)."""
    real_root = _resolved(root) or root.absolute()
    base_parts = [readable_name(p) for p in real_root.parts[1:]]
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda e: report.fail(e.filename, f"cannot read folder: {e.strerror}")):
        for d in list(dirnames):
            sub = Path(dirpath) / d
            why = ("the archive-kit repository itself" if repository is not None and _resolved(sub) == repository
                   else "folder symbolic link, not followed" if sub.is_symlink() else None)
            if why:
                dirnames.remove(d)
                report.skipped.append({"path": readable_name(str(sub)), "reason": why})
        dirnames.sort()
        rel = Path(dirpath).relative_to(root).parts
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if skip and _resolved(path) in skip:
                continue
            why = _is_junk(name) or _leaves(path, real_root)
            if why:
                report.skipped.append({"path": readable_name(str(path)), "reason": why})
                continue
            yield Item(path=path, source_path=readable_name(str(path)),
                       parts=base_parts + [readable_name(p) for p in rel])


def _leaves(path: Path, real_root: Path) -> str | None:
    """Why a symlink met while walking is not followed (its target is outside the walked folder),
    or None. Loops and broken links are left to ``identify``, which fails them with a clear line."""
    if not path.is_symlink():
        return None
    target = _resolved(path)
    if target is None or not target.exists() or target == real_root or real_root in target.parents:
        return None
    return "symbolic link to a file outside the ingested folder; not followed"


def _resolved(path: Path) -> Path | None:
    """The real path, or None for a symlink loop or an unreadable link."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def collect(paths: Iterable[Path], manifest: Path | None, report: IngestReport,
            repository: Path | None = None, names: Mapping[Path, str] | None = None) -> list[Item]:
    """Turn the command's PATHs and manifest into items; missing paths fail, folders are walked.
    A file ``names`` gives a name to is known by that name alone (its folder says nothing)."""
    rows: list[ManifestRow] = read_manifest(manifest) if manifest else []
    by_path: dict[Path, ManifestRow] = {}
    held: set[Path] = set()  # files whose row is in error: not ingested until the manifest is fixed
    for row in rows:
        if row.error:
            report.fail(f"{manifest}:{row.line}: {row.raw_path}", row.error)
            if row.path is not None:
                held.add(row.path)
        elif row.path is not None:
            by_path[row.path] = row
    skip = {manifest.resolve()} if manifest else set()
    items: list[Item] = []
    paths = list(paths)
    if not paths and manifest:
        for row in by_path.values():
            items.append(Item(row.path, str(row.path), list(row.path.parent.parts[1:]), dict(row.values)))
        return items
    for p in paths:
        if os.path.islink(p) and not p.exists():
            report.fail(p, "broken symbolic link: its target does not exist")
        elif not p.exists():
            report.fail(p, "no such file or folder")
        elif repository is not None and (_resolved(p) == repository or repository in (_resolved(p) or p).parents):
            report.fail(p, "is inside the archive-kit repository; ingest the original files instead")
        elif p.is_dir():
            items.extend(walk(p, report, skip, repository))
        elif names and p in names:
            items.append(Item(path=p, source_path=readable_name(names[p]), parts=[], display_name=names[p]))
        else:
            real = _resolved(p) or p.absolute()
            items.append(Item(path=p, source_path=readable_name(str(p)),
                              parts=[readable_name(x) for x in real.parent.parts[1:]]))
    if held:
        items = [item for item in items if _resolved(item.path) not in held]
    for item in items:
        row = by_path.get(_resolved(item.path))
        if row is not None:
            item.manifest = dict(row.values)
    return items


# --- stage 2: identify -------------------------------------------------------------------


def identify(item: Item) -> Item:
    """Hash the bytes and detect the format from content; raises InputFileError for unusable files."""
    name = str(item.path)
    try:
        st = os.stat(item.path)
    except FileNotFoundError:
        raise InputFileError(name, "broken symbolic link or file vanished") from None
    except OSError as e:
        raise InputFileError(name, f"cannot read file: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(name, "not a regular file (device, pipe or socket)")
    if not os.access(item.path, os.R_OK):
        raise InputFileError(name, "cannot read file: permission denied")
    if st.st_size == 0:
        raise InputFileError(name, "file is empty (0 bytes)")
    item.format = detect(item.path)
    item.sha256 = hash_file(item.path)
    return item


# --- stage 3: extract (runs in a worker process) -----------------------------------------


def analyse(path: str, fmt: str, options: ExtractOptions, file_name: str) -> tuple[Extraction, DocMetadata]:
    """Extract text and read metadata from it; module-level so worker processes can run it."""
    try:
        extraction = extract(Path(path), fmt, options)
    except InputFileError as e:
        raise InputFileError(path, e.reason) from None
    meta = extract_metadata(extraction.text, title_hint=extraction.title_hint, file_name=file_name)
    return extraction, meta


def cache_path(archive: "Archive", sha256: str, options: ExtractOptions) -> Path:
    """Where the extraction of these bytes under these options is cached."""
    mode = options.ocr_engine if options.ocr else "noocr"
    return archive.derived / "extract" / sha256[:2] / f"{sha256}.{mode}.json"


def load_cached(archive: "Archive", item: Item, options: ExtractOptions) -> tuple[Extraction, DocMetadata] | None:
    """A cached extraction of these bytes (an OCR one serves a no-OCR request too)."""
    candidates = [cache_path(archive, item.sha256, options)]
    if not options.ocr:
        candidates += sorted((archive.derived / "extract" / item.sha256[:2]).glob(f"{item.sha256}.*.json"))
    for p in candidates:
        try:
            ext = Extraction.from_json(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        meta = extract_metadata(ext.text, title_hint=ext.title_hint, file_name=item.name)
        return ext, meta
    return None


def save_cache(archive: "Archive", item: Item, options: ExtractOptions, extraction: Extraction) -> None:
    """Cache an extraction by content hash so no file is ever OCRed twice."""
    data = json.dumps(extraction.to_json(), ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(cache_path(archive, item.sha256, options), data)


# --- stage 5: describe -------------------------------------------------------------------


def describe(item: Item, extraction: Extraction, meta: DocMetadata, archive: "Archive",
             cli: CliTags) -> tuple[dict, list[tuple[str, str, str]]]:
    """Catalogue values (warnings included) and tag hints for one file."""
    registry = archive.registry
    warnings = list(extraction.warnings)
    m = item.manifest
    # a photo's date is when it was taken (EXIF), unless its text says otherwise
    doc_date = meta.date or (extraction.date_hint if item.format == "image" else None)
    if m.get("date"):
        try:
            doc_date = dt.date.fromisoformat(m["date"])
        except ValueError:
            warnings.append(f"manifest date {m['date']!r} is not YYYY-MM-DD; ignored")
    title = m.get("title") or meta.title or Path(item.name).stem
    proposals = [Proposal("cli", cli.track, cli.criterion, cli.year)]
    mp = Proposal("manifest")
    if m.get("track"):
        mp.track = registry.require(m["track"]).id
    if m.get("criterion"):
        mp.criterion = m["criterion"]
    if m.get("year"):
        mp.year = _year(m["year"])
    elif m.get("date") and doc_date:
        mp.year = doc_date.year
    proposals.append(mp)
    pp, rest = path_proposal(item.parts, registry)
    proposals.append(pp)
    content_year = _content_year(meta, extraction)
    proposals.append(Proposal("content", year=content_year))
    dec = decide(proposals, registry, rest, extraction.text, title)
    retention = m.get("retention") or None
    values = {
        "sha256": item.sha256,
        "original_name": item.name,
        "original_name_bytes": os.fsencode(item.display_name or item.path.name),
        "source_path": item.source_path,
        "format": item.format,
        "title": title,
        "doc_number": m.get("doc_number") or meta.doc_number,
        "author": m.get("author") or meta.author,
        "date": doc_date.isoformat() if doc_date else None,
        "track": dec.track,
        "criterion": dec.criterion,
        "year": dec.year,
        "track_source": dec.sources["track"],
        "criterion_source": dec.sources["criterion"],
        "year_source": dec.sources["year"],
        "retention": retention,
        "remarks": m.get("remarks") or None,
        "pages": extraction.pages,
        "text_chars": len(extraction.text),
        "ocr": int(extraction.ocr),
        "ocr_confidence": extraction.ocr_confidence,
        "low_confidence_pages": extraction.low_confidence_pages,
        "warnings": warnings,
    }
    return values, dec.hints


def _year(value: str) -> int:
    """A manifest year cell; a cell that is not a year is a user mistake for that row."""
    from .dates import parse_year

    year = parse_year(str(value))
    if year is None:
        raise UsageError(f"year {value!r} is not a year")
    return year


def _content_year(meta: DocMetadata, extraction: Extraction) -> int | None:
    """Year from the signing date, else the document number, else the EXIF date; never mtimes."""
    from .metadata import doc_number_year

    if meta.date:
        return meta.date.year
    if meta.doc_number:
        y = doc_number_year(meta.doc_number)
        if y:
            return y
    return extraction.date_hint.year if extraction.date_hint else None


def validate_manifest_row(item: Item, archive: "Archive") -> None:
    """Refuse a manifest row naming an unknown track, criterion or retention (exit 1 for that file)."""
    m = item.manifest
    if not m:
        return
    track = None
    if m.get("track"):
        track = archive.registry.resolve(m["track"])
        if track is None:
            raise InputFileError(item.source_path, f"manifest names an unknown track {m['track']!r}")
    if m.get("criterion"):
        schemas = [track] if track else archive.registry.all()
        if not any(s.criterion(m["criterion"]) for s in schemas):
            where = f" in track {track.id}" if track else ""
            raise InputFileError(item.source_path, f"manifest names an unknown criterion {m['criterion']!r}{where}")
    if m.get("retention") and m["retention"] not in RETENTIONS:
        raise InputFileError(item.source_path, f"manifest retention {m['retention']!r} is not one of Y, D30, D10")
    if m.get("year"):
        try:
            _year(m["year"])
        except UsageError as e:
            raise InputFileError(item.source_path, f"manifest {e}") from None


# --- the run -----------------------------------------------------------------------------


def run_ingest(archive: "Archive", paths: list[Path], *, manifest: Path | None = None, cli: CliTags = CliTags(),
               ocr: bool = True, jobs: int | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               names: Mapping[Path, str] | None = None) -> IngestReport:
    """Ingest files and folders into ``archive``; every file succeeds or fails on its own
    (``names``: display names of files saved under generated names, see ``collect``)."""
    report = IngestReport()
    items = collect(paths, manifest, report, archive.root.resolve(), names)
    jobs = jobs or os.cpu_count() or 1
    options = archive.extract_options(ocr)
    seen: dict[str, str] = {}
    todo: list[Item] = []
    total = len(items)
    done = 0
    for item in items:
        try:
            identify(item)
            validate_manifest_row(item, archive)
        except ArchiveKitError as e:
            report.fail(item.source_path, getattr(e, "reason", str(e)))
            done += 1
            continue
        existing = archive.catalogue.by_sha(item.sha256)
        if existing is not None or item.sha256 in seen:
            entry = {"path": item.source_path, "sha256": item.sha256, "id": existing,
                     "duplicate_of": seen.get(item.sha256)}
            if existing is not None and not archive.store.has(item.sha256):
                try:  # the catalogued original was lost or set aside by `repair`: these bytes restore it
                    archive.store.put(item.path, item.sha256)
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
    writer = _BatchWriter(archive, report)
    limits = archive.worker_limits()
    env = {name: str(options.threads) for name in
           ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    # results are catalogued in input order (stable ids run after run), whatever order workers finish in
    ready: dict[int, Outcome] = {}
    tasks = []
    for key, item in enumerate(todo):
        cached = load_cached(archive, item, options)
        if cached:
            ready[key] = Outcome(key, value=cached)
        else:
            tasks.append((key, (str(item.path), item.format, options, item.name)))
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
                    save_cache(archive, item, options, ext)
                writer.add(item, ext, meta, cli)
            if progress:
                progress(done, total, item.name)

    drain()
    if tasks:
        with WorkerPool(min(jobs, len(tasks)), limits, env) as pool:
            for out in pool.run(analyse, tasks):
                ready[out.key] = out
                drain()
    writer.flush()
    writer.sync()
    return report


class _BatchWriter:
    """Stores originals and inserts catalogue rows in batches (one transaction each)."""

    def __init__(self, archive: "Archive", report: IngestReport) -> None:
        self.archive = archive
        self.report = report
        self.pending: list[tuple[Item, dict, list, str]] = []
        self.since_sync = 0

    def add(self, item: Item, ext: Extraction, meta: DocMetadata, cli: CliTags) -> None:
        """Store the original now; queue its row for the next catalogue transaction."""
        try:
            values, hints = describe(item, ext, meta, self.archive, cli)
            self.archive.store.put(item.path, item.sha256)
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
        cat = self.archive.catalogue
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
        self.pending = []
        self.report.added.extend(d for d in (cat.get(i) for i in ids) if d is not None)
        self.since_sync += len(ids)
        if self.since_sync >= INDEX_EVERY:
            self.sync()

    def sync(self) -> None:
        """Bring the index up to the catalogue (rows are queued, so a crash before this loses nothing)."""
        self.archive.sync_index()
        self.since_sync = 0
