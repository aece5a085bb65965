"""The ``Archive``: one repository folder, owning its config, catalogue, object store and index.

Everything else receives what it needs from here; nothing reads global state.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from .catalogue import Catalogue, Document
from .config import Config
from .errors import InputFileError, NotFoundError, ReadOnlyError, RepositoryError, UsageError
from .ingest import CliTags, IngestReport, run_ingest
from .schemas import TrackRegistry, TrackSchema, builtin_schemas, load_schema_file, load_schema_text

if TYPE_CHECKING:
    from .bundle import BundleReport
    from .coverage import CoverageReport
    from .extract import ExtractOptions
    from .numbering import NumberReport
    from .pages import PageView
    from .search import SearchIndex
    from .verify import VerifyReport
    from .workers import Limits

CONFIG = "config.json"
CATALOGUE = "catalogue.sqlite"


@dataclass
class ReviewEntry:
    """A document that needs a person's decision, and why."""

    document: Document
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        """The document record plus ``review_reasons``."""
        return {**self.document.to_json(), "review_reasons": self.reasons}


@dataclass
class SearchHit:
    """A search hit with the catalogue fields a person needs to recognise the document."""

    id: int
    sha256: str
    title: str | None
    track: str | None
    criterion: str | None
    year: int | None
    score: float
    snippet: str

    def to_json(self) -> dict[str, Any]:
        """The contract's hit shape."""
        return dict(self.__dict__)


@dataclass
class SearchResult:
    """The query, how many documents match in all, and the best hits."""

    query: str
    total: int
    hits: list[SearchHit]

    def to_json(self) -> dict[str, Any]:
        """The contract's ``search --json`` shape."""
        return {"query": self.query, "total": self.total, "hits": [h.to_json() for h in self.hits]}


def read_only_reason(root: Path) -> str | None:
    """Why the repository at ``root`` cannot be written (a read-only file system, no write
    permission), or None when it can."""
    try:
        if os.statvfs(root).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    effective = os.access in os.supports_effective_ids
    for path in (root, root / CATALOGUE):
        if path.exists() and not os.access(path, os.W_OK, effective_ids=effective):
            return f"no permission to write {path}"
    return None


class Archive:
    """An archive-kit repository. Create with ``Archive.init``, open with ``Archive.open``.

    A repository that cannot be written (``read_only`` says why) opens all the same: searching,
    listing, showing and verifying work, and every write says the repository is read-only."""

    def __init__(self, root: Path, config: Config, catalogue: Catalogue, read_only: str | None = None) -> None:
        self.root = root
        self.config = config
        self.catalogue = catalogue
        self.read_only = read_only
        from .store import ObjectStore

        self.store = ObjectStore(root / "objects")
        self.derived = root / "derived"
        self.index_dir = root / "index"
        self.renditions_dir = self.derived / "renditions"
        self._index = None
        self._registry: TrackRegistry | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path | str, *, fonds: str = "J001", unit: str = "") -> "Archive":
        """Create a repository at ``root`` (an empty or missing folder) with the built-in tracks."""
        root = Path(root)
        if (root / CONFIG).exists():
            raise UsageError(f"{root}: already an archive-kit repository")
        if root.exists() and not root.is_dir():
            raise UsageError(f"{root}: exists and is not a folder")
        if root.is_dir() and any(root.iterdir()):
            raise UsageError(f"{root}: folder is not empty; choose a new or empty folder")
        if len(fonds) != 4:
            raise UsageError(f"fonds code {fonds!r} must have 4 characters (e.g. J001)")
        for sub in ("objects", "derived", "index"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        catalogue = Catalogue(root / CATALOGUE, create=True)
        for schema in builtin_schemas():
            catalogue.put_schema(schema.id, schema.source, "built-in")
        from .search import open_index

        open_index(root / "index", create=True).close()  # from now on a missing index means it was lost
        Config(fonds=fonds, unit=unit).save(root / CONFIG)  # written last: marks the repository complete
        catalogue.close()
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str) -> "Archive":
        """Open an existing repository; exit-3 errors when missing, newer or damaged."""
        root = Path(root)
        if not root.is_dir():
            raise RepositoryError(f"{root}: no archive-kit repository here (run `archive-kit init` first)")
        config = Config.load(root / CONFIG)
        read_only = read_only_reason(root)
        catalogue = Catalogue(root / CATALOGUE, lock_timeout=config.lock_timeout_s, read_only=bool(read_only))
        return cls(root, config, catalogue, read_only)

    def require_writable(self, what: str) -> None:
        """Raise ReadOnlyError (exit 3) before ``what`` writes anything to a read-only repository."""
        if self.read_only:
            raise ReadOnlyError(f"the repository is read-only ({self.read_only}): {what} needs to write to {self.root}")

    def close(self) -> None:
        """Release the catalogue and the index."""
        if self._index is not None:
            self._index.close()
            self._index = None
        self.catalogue.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schemas ---------------------------------------------------------------------------

    @property
    def registry(self) -> TrackRegistry:
        """The tracks registered in this repository."""
        if self._registry is None:
            schemas = [load_schema_text(src, f"<{origin}: {track}>") for track, src, origin in self.catalogue.schema_sources()]
            self._registry = TrackRegistry(schemas)
        return self._registry

    def add_schema(self, path: Path) -> TrackSchema:
        """Register (or replace) a track's criteria schema from a YAML file."""
        self.require_writable("registering a schema")
        schema = load_schema_file(path)
        self.catalogue.put_schema(schema.id, schema.source, str(path))
        self._registry = None
        return schema

    # --- ingest and documents --------------------------------------------------------------

    def default_ocr_engine(self) -> str:
        """The OCR engine used when the config names none."""
        from .ocr import DEFAULT_ENGINE

        return DEFAULT_ENGINE

    def extract_options(self, ocr: bool) -> "ExtractOptions":
        """How this repository extracts text: its OCR engine (one thread per worker: parallelism
        comes from the worker count, never oversubscribed), its OCR page ceiling, its renditions."""
        from .extract import ExtractOptions

        return ExtractOptions(ocr=ocr, ocr_engine=self.config.ocr_engine or self.default_ocr_engine(), threads=1,
                              renditions_dir=str(self.renditions_dir), ocr_max_pages=self.config.ocr_max_pages)

    def worker_limits(self) -> "Limits":
        """The time and memory limits of one file's extraction, from the config."""
        from .workers import Limits

        return Limits.from_config(self.config)

    def ingest(self, paths: Iterable[Path | str], *, manifest: Path | str | None = None,
               track: str | None = None, criterion: str | None = None, year: int | None = None,
               ocr: bool = True, jobs: int | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               names: Mapping[Path, str] | None = None) -> IngestReport:
        """Add files and folders; returns what was added, duplicated, failed or skipped.

        ``names`` gives files saved under generated names (the console's uploads) the name people
        know them by: the catalogue keeps it as original_name and source_path, and their folder
        gives no tags."""
        self.require_writable("ingesting")
        cli = self._cli_tags(track, criterion, year)
        return run_ingest(self, [Path(p) for p in paths], manifest=Path(manifest) if manifest else None,
                          cli=cli, ocr=ocr, jobs=jobs, progress=progress, names=names)

    def _cli_tags(self, track: str | None, criterion: str | None, year: int | None) -> CliTags:
        """Validate command-line tags before any file is touched (a mistake is a usage error)."""
        schema = self.registry.require(track) if track else None
        if criterion:
            schemas = [schema] if schema else self.registry.all()
            if not any(s.criterion(criterion) for s in schemas):
                raise UsageError(f"unknown criterion {criterion!r}" + (f" in track {schema.id}" if schema else ""))
        if year is not None and not 1949 <= year <= 2100:
            raise UsageError(f"year {year} is out of range")
        return CliTags(schema.id if schema else None, criterion, year)

    def documents(self, *, track: str | None = None, criterion: str | None = None, year: int | None = None,
                  untagged: bool = False) -> list[Document]:
        """Documents filed (or, for a criterion, linked) under the filters, in id order."""
        where, params = self._filter_sql(track, criterion, year)
        if untagged:
            where.append("(track IS NULL OR criterion IS NULL OR year IS NULL)")
        return self.catalogue.query(" AND ".join(where), params)

    def _filter_sql(self, track: str | None, criterion: str | None, year: int | None) -> tuple[list[str], list]:
        """SQL conditions for the contract's filters; a criterion matches descendants and links."""
        where: list[str] = []
        params: list[Any] = []
        track_id = self.registry.require(track).id if track else None
        if criterion:
            crit_match = "(criterion = ? OR criterion LIKE ?)"
            link_cond = "EXISTS (SELECT 1 FROM links l WHERE l.doc_id = documents.id AND (l.criterion = ? OR l.criterion LIKE ?)"
            cp = [criterion, criterion + ".%"]
            if track_id:
                where.append(f"((track = ? AND {crit_match}) OR {link_cond} AND l.track = ?))")
                params += [track_id, *cp, *cp, track_id]
            else:
                where.append(f"({crit_match} OR {link_cond}))")
                params += [*cp, *cp]
        elif track_id:
            where.append("(track = ? OR EXISTS (SELECT 1 FROM links l WHERE l.doc_id = documents.id AND l.track = ?))")
            params += [track_id, track_id]
        if year is not None:
            where.append("year = ?")
            params.append(year)
        return where, params

    def get(self, doc_id: int) -> Document:
        """One document; a missing id is a ``NotFoundError`` (a usage error)."""
        from .catalogue import is_document_id

        doc = self.catalogue.get(doc_id) if is_document_id(doc_id) else None
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id}")
        return doc

    def years(self, *, track: str | None = None) -> list[int]:
        """The years documents are filed under (for a track: filed there or linked to it), ascending."""
        return sorted({d.year for d in self.documents(track=track) if d.year is not None})

    def original_path(self, doc_id: int) -> Path:
        """Where a document's original is stored (a read-only file: read it, never change it)."""
        doc = self.get(doc_id)
        path = self.store.path_for(doc.sha256)
        if not path.is_file():
            raise InputFileError(doc.original_name, "the original is missing from the object store "
                                 "(`archive-kit verify` and `repair` say more)")
        return path

    def text(self, doc_id: int) -> str:
        """A document's extracted text."""
        return self.catalogue.text(doc_id)

    # --- tagging and review ----------------------------------------------------------------

    def tag(self, ids: Iterable[int], *, track: str | None = None, criterion: str | None = None,
            year: int | None = None, link: Iterable[str] = (), unlink: Iterable[str] = (),
            force: bool = False) -> list[Document]:
        """Set tags by hand (source ``manual``) and add or remove links ``TRACK:CODE``."""
        from .tagging import set_manual_tags

        self.require_writable("tagging")
        docs = [self.get(i) for i in ids]
        links = [self._parse_link(x) for x in link]
        unlinks = [self._parse_link(x) for x in unlink]
        changed = set_manual_tags(self, docs, track=track, criterion=criterion, year=year,
                                  links=links, unlinks=unlinks, force=force)
        self.sync_index()
        return [self.get(d) for d in changed]

    def _parse_link(self, value: str) -> tuple[str, str]:
        """``TRACK:CODE`` → (track id, code), both checked against the schemas."""
        if ":" not in value:
            raise UsageError(f"link {value!r} must be TRACK:CODE, e.g. workers-home:4.1")
        t, code = value.rsplit(":", 1)
        schema = self.registry.require(t)
        if schema.criterion(code) is None:
            raise UsageError(f"unknown criterion {code!r} in track {schema.id}")
        return schema.id, code

    def review(self) -> list[ReviewEntry]:
        """Documents whose track, criterion or year is missing, in conflict or no longer valid."""
        from .tagging import review_reasons

        out = []
        for doc in self.catalogue.query():
            reasons = review_reasons(doc, self.catalogue.hints_of(doc.id), self.registry)
            if reasons:
                out.append(ReviewEntry(doc, reasons))
        return out

    # --- search ----------------------------------------------------------------------------

    @property
    def index(self) -> "SearchIndex":
        """The full-text index, opened on first use."""
        if self._index is None:
            from .search import open_index

            self._index = open_index(self.index_dir, lock_timeout=self.config.lock_timeout_s, create=False)
        return self._index

    def sync_index(self, *, strict: bool = False) -> int:
        """Bring the index up to the catalogue (after a crash, a failed index write, a lost index);
        returns how many documents it updated. ``strict``: raise instead of warning when it cannot."""
        from .indexing import sync_index

        return sync_index(self, strict=strict)

    def reindex(self) -> int:
        """Rebuild the whole index from the catalogue alone; returns the number of documents."""
        from .indexing import rebuild_index

        return rebuild_index(self) or 0

    def search(self, query: str, *, track: str | None = None, criterion: str | None = None,
               year: int | None = None, limit: int = 20) -> SearchResult:
        """Full-text search with the contract's semantics; hits carry catalogue fields."""
        track_id = self.registry.require(track).id if track else None
        self.sync_index(strict=True)  # never answer from an index that is missing or behind the catalogue
        key = f"{track_id}:{criterion}" if (criterion and track_id) else criterion
        res = self.index.search(query, track=track_id, criterion=key, year=year, limit=limit)
        docs = {d.id: d for d in self.catalogue.query(
            "id IN (%s)" % ",".join("?" * len(res.hits)), [h.id for h in res.hits])} if res.hits else {}
        hits = []
        for h in res.hits:
            d = docs.get(h.id)
            if d is None:
                continue
            hits.append(SearchHit(d.id, d.sha256, d.title, d.track, d.criterion, d.year, round(h.score, 4), h.snippet))
        return SearchResult(query, res.total, hits)

    # --- checks ----------------------------------------------------------------------------

    def verify(self, *, full: bool = True) -> "VerifyReport":
        """Fixity and consistency check of the whole repository; collects every problem."""
        from .verify import verify_repository

        return verify_repository(self, full=full)

    def doctor(self) -> dict[str, Any]:
        """Which optional engines are present (OCR, office conversion, CJK fonts)."""
        from .doctor import doctor_report

        return doctor_report(self)

    # --- numbering, listings, coverage -----------------------------------------------------

    def number(self, *, track: str | None = None, year: int | None = None, box_pages: int | None = None,
               renumber: bool = False, freeze: bool = False) -> "NumberReport":
        """Give unnumbered documents item numbers, archival codes and boxes (stable once given)."""
        from .numbering import number_documents

        self.require_writable("numbering")
        return number_documents(self, track=track, year=year, box_pages=box_pages, renumber=renumber, freeze=freeze)

    def number_log(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """The append-only log of numbering and retagging, oldest first."""
        from .numbering import read_log

        return read_log(self, limit=limit)

    def document_log(self, doc_id: int) -> list[dict[str, Any]]:
        """One document's entries of the numbering and retagging log, oldest first."""
        self.get(doc_id)
        return [entry for entry in self.number_log() if entry["doc_id"] == doc_id]

    def listing(self, out: Path | str, *, fmt: str, level: str = "item", track: str | None = None,
                year: int | None = None) -> Path:
        """Write the item catalogue (``item``) or box listing (``box``) as csv, xlsx, docx or pdf."""
        from .output.listings import write_listing

        return write_listing(self, Path(out), fmt=fmt, level=level, track=track, year=year)

    def coverage(self, track: str, year: int) -> "CoverageReport":
        """Every criterion of a track with its documents and pages for a year; gaps flagged."""
        from .coverage import coverage_report

        return coverage_report(self, track=track, year=year)

    # --- renditions and bundles ------------------------------------------------------------

    def rendition(self, doc: Document) -> Path | None:
        """The document's cached PDF rendition, made on first use; None when it cannot be made."""
        from .renditions import rendition_for

        return rendition_for(self, doc)

    def bundle(self, out: Path | str, *, track: str, year: int, criterion: str | None = None,
               zip: bool = False, force: bool = False,
               progress: Callable[[int, int, str], None] | None = None) -> "BundleReport":
        """Build an inspection bundle for a track's year (or one criterion) in folder ``out``;
        ``progress(done, total, name)`` hears of each document's rendition and the final steps."""
        from .bundle import build_bundle

        return build_bundle(self, Path(out), track=track, year=year, criterion=criterion, zip=zip, force=force,
                            progress=progress)

    def bundle_order(self, *, track: str, year: int, criterion: str | None = None) -> list[Document]:
        """The documents a bundle of the track's year (or of one criterion and its descendants) holds,
        in the bundle's order: criteria in tree order, inside each by item number, date and id."""
        from .bundle_plan import make_plan
        from .renditions import Rendition

        schema = self.registry.require(track)
        if criterion is not None and schema.criterion(criterion) is None:
            raise UsageError(f"unknown criterion {criterion!r} in track {schema.id}")
        docs = self.documents(track=schema.id, criterion=criterion, year=year)
        plan = make_plan(schema, docs, {d.id: Rendition(None) for d in docs}, criterion)
        return [entry.doc for entry in plan.entries]

    # --- pages (the console) ---------------------------------------------------------------

    def page_png(self, doc_id: int, page: int) -> bytes:
        """Page ``page`` (1-based) of a document as a PNG image, drawn from its PDF or rendition and
        cached by content hash under derived/pages/ (a read-only repository renders it every time)."""
        from .pages import page_png

        doc = self.get(doc_id)
        cache = None if self.read_only else self.derived / "pages"
        return page_png(self._page_source(doc), doc.sha256, page, cache, self.worker_limits(), doc.original_name)

    def page_view(self, doc_id: int, query: str | None = None) -> "PageView":
        """A document's page count and sizes, and where ``query``'s terms are on its pages: text-layer
        positions, or the OCR line boxes the ingest kept for scans and photos."""
        from .pages import page_view, read_ocr_pages
        from .search import parse_query

        doc = self.get(doc_id)
        terms = [t.folded for t in parse_query(query)] if query and query.strip() else []
        ocr_pages = read_ocr_pages(self.derived / "extract", doc.sha256) if terms and doc.ocr else []
        return page_view(self._page_source(doc), terms, ocr_pages, image_document=doc.format == "image",
                         limits=self.worker_limits(), name=doc.original_name, query=query)

    def _page_source(self, doc: Document) -> Path:
        """The PDF a document's pages are drawn from: the original PDF, else its rendition."""
        if doc.format == "pdf":
            return self.original_path(doc.id)
        rendition = self.rendition(doc)
        if rendition is None:
            raise InputFileError(doc.original_name, "its pages cannot be shown: no PDF rendition could be made "
                                 "(`archive-kit doctor` shows whether LibreOffice works)")
        return rendition

    @staticmethod
    def highlight_parts(snippet: str, query: str) -> list[tuple[str, bool]]:
        """A search hit's snippet as (text, is_match) parts: a 【…】 pair is a match only where its text
        is one of ``query``'s terms, so a document's own brackets (渝工发【2023】35号) stay text."""
        from .search import parse_query
        from .search.snippet import split_marks

        return split_marks(snippet, parse_query(query))

    def verify_bundle(self, path: Path | str) -> "VerifyReport":
        """Check a bundle: BagIt validity and every original against the repository's SHA-256."""
        from .bundle import verify_bundle

        return verify_bundle(self, Path(path))
