"""The ``Archive``: the facade over one repository folder.

It opens or creates the repository, builds its collaborators (a ``repo.Repo``: config, catalogue,
object store, tracks, search index), resolves arguments and calls the services, which take those
collaborators and never the ``Archive``. Nothing in archive_kit imports this module but the
package's ``__init__``; nothing reads global state.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from .catalogue import Catalogue, Document
from .config import Config
from .criteria.model import TrackSchema
from .criteria.registry import TrackRegistry
from .errors import NotFoundError, RepositoryError, UsageError
from .extract import ExtractOptions
from .indexing import rebuild_index, sync_index
from .ingest.pipeline import extract_options, run_ingest
from .ingest.records import CliTags, IngestReport
from .repo import Lazy, Repo, RepoPaths, read_only_reason
from .store import ObjectStore
from .workers import Limits

if TYPE_CHECKING:
    import datetime

    from .assignments import AssignReport
    from .bundle.build import BundleReport
    from .coverage import CoverageReport
    from .numbering import NumberReport
    from .pages import PageView
    from .repair import RepairReport
    from .schema_updates import SchemaUpdate
    from .search import SearchIndex, SearchResult
    from .tagging import ReviewEntry
    from .verify import VerifyReport


def _load_registry(catalogue: Catalogue) -> TrackRegistry:
    """The tracks registered in a repository, parsed from the schema sources its catalogue keeps.

    The schema loader (YAML, JSON Schema) is imported here, where schemas are read, and not with
    this module: every process that imports archive_kit (extraction workers too) would load it."""
    from .criteria.loader import load_schema_text

    return TrackRegistry([load_schema_text(src, f"<{origin}: {track}>")
                          for track, src, origin in catalogue.schema_sources()])


def _open_index(paths: RepoPaths, config: Config) -> "SearchIndex":
    """The repository's existing search index (a missing one is an error: it was lost)."""
    from .search import open_index

    return open_index(paths.index, lock_timeout=config.lock_timeout_s, create=False)


class Archive:
    """An archive-kit repository. Create with ``Archive.init``, open with ``Archive.open``.

    The facade over the library: it builds the repository's collaborators (``repo``: config,
    catalogue, object store, tracks, search index), resolves arguments (track names to ids) and
    calls the services, which take those collaborators and never the ``Archive``.

    A repository that cannot be written (``read_only`` says why) opens all the same: searching,
    listing, showing and verifying work, and every write says the repository is read-only."""

    def __init__(self, root: Path, config: Config, catalogue: Catalogue, read_only: str | None = None) -> None:
        paths = RepoPaths(root)
        self.repo = Repo(paths, config, catalogue, ObjectStore(paths.objects),
                         registry_slot=Lazy(lambda: _load_registry(catalogue)),
                         index_slot=Lazy(lambda: _open_index(paths, config), close=lambda index: index.close()),
                         read_only=read_only)

    @property
    def root(self) -> Path:
        """The repository folder."""
        return self.repo.root

    @property
    def config(self) -> Config:
        """The repository's config (``config.json``)."""
        return self.repo.config

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue, the source of truth."""
        return self.repo.catalogue

    @property
    def store(self) -> ObjectStore:
        """The object store holding every original once."""
        return self.repo.store

    @property
    def read_only(self) -> str | None:
        """Why the repository cannot be written, or None when it can."""
        return self.repo.read_only

    @property
    def derived(self) -> Path:
        """The folder of derived data (caches, renditions)."""
        return self.repo.paths.derived

    @property
    def index_dir(self) -> Path:
        """The search index's folder."""
        return self.repo.paths.index

    @property
    def renditions_dir(self) -> Path:
        """The folder of cached PDF renditions."""
        return self.repo.paths.renditions

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path | str, *, fonds: str = "J001", unit: str = "") -> "Archive":
        """Create a repository at ``root`` (an empty or missing folder) with the built-in tracks."""
        from .criteria.loader import builtin_schemas
        from .search import open_index

        paths = RepoPaths(Path(root))
        root = paths.root
        if paths.config.exists():
            raise UsageError(f"{root}: already an archive-kit repository")
        if root.exists() and not root.is_dir():
            raise UsageError(f"{root}: exists and is not a folder")
        if root.is_dir() and any(root.iterdir()):
            raise UsageError(f"{root}: folder is not empty; choose a new or empty folder")
        if len(fonds) != 4:
            raise UsageError(f"fonds code {fonds!r} must have 4 characters (e.g. J001)")
        for folder in (paths.objects, paths.derived, paths.index):
            folder.mkdir(parents=True, exist_ok=True)
        catalogue = Catalogue(paths.catalogue, create=True)
        with catalogue.transaction():
            for schema in builtin_schemas():
                catalogue.put_schema(schema.id, schema.source, "built-in")
        open_index(paths.index, create=True).close()  # from now on a missing index means it was lost
        Config(fonds=fonds, unit=unit).save(paths.config)  # written last: marks the repository complete
        catalogue.close()
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str) -> "Archive":
        """Open an existing repository; exit-3 errors when missing, newer or damaged."""
        paths = RepoPaths(Path(root))
        if not paths.root.is_dir():
            raise RepositoryError(f"{paths.root}: no archive-kit repository here (run `archive-kit init` first)")
        config = Config.load(paths.config)
        read_only = read_only_reason(paths)
        catalogue = Catalogue(paths.catalogue, lock_timeout=config.lock_timeout_s, read_only=bool(read_only))
        return cls(paths.root, config, catalogue, read_only)

    def require_writable(self, what: str) -> None:
        """Raise ReadOnlyError (exit 3) before ``what`` writes anything to a read-only repository."""
        self.repo.require_writable(what)

    def close(self) -> None:
        """Release the catalogue and the index."""
        self.repo.index_slot.drop()
        self.catalogue.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schemas ---------------------------------------------------------------------------

    @property
    def registry(self) -> TrackRegistry:
        """The tracks registered in this repository."""
        return self.repo.registry

    def add_schema(self, path: Path) -> TrackSchema:
        """Register (or replace) a track's criteria schema from a YAML file; logged with what changed."""
        from .criteria.loader import load_schema_file
        from .schema_updates import register_schema

        self.require_writable("registering a schema")
        schema = load_schema_file(path)
        register_schema(self.catalogue, self.registry, schema, str(path))
        self.repo.registry_slot.drop()
        return schema

    def update_schemas(self, tracks: Sequence[str] = (), *, dry_run: bool = False) -> "list[SchemaUpdate]":
        """Bring the built-in tracks (all, or those named) up to the schemas this version of
        archive-kit ships; a repository keeps the text it was created with until then. A track the
        archivist replaced with a file of their own is left alone unless named. ``dry_run`` only
        reports what would change."""
        from .schema_updates import update_builtin_schemas

        if not dry_run:
            self.require_writable("updating schemas")
        updates = update_builtin_schemas(self.catalogue, self.registry, tracks, dry_run=dry_run)
        self.repo.registry_slot.drop()
        return updates

    def schema_updates(self) -> "dict[str, SchemaUpdate]":
        """Per registered track id, the built-in update waiting for it (tracks up to date are absent)."""
        from .schema_updates import pending_updates

        return pending_updates(self.catalogue, self.registry)

    # --- ingest and documents --------------------------------------------------------------

    def default_ocr_engine(self) -> str:
        """The OCR engine used when the config names none."""
        from .ocr import DEFAULT_ENGINE

        return DEFAULT_ENGINE

    def extract_options(self, ocr: bool) -> ExtractOptions:
        """How this repository extracts text: its OCR engine, its OCR page ceiling, its renditions."""
        return extract_options(self.config, self.repo.paths, ocr)

    def worker_limits(self) -> Limits:
        """The time and memory limits of one file's extraction, from the config."""
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
        return run_ingest(self.repo, [Path(p) for p in paths], manifest=Path(manifest) if manifest else None,
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
        track_id = self.registry.require(track).id if track else None
        return self.catalogue.documents(track=track_id, criterion=criterion, year=year, untagged=untagged)

    def get(self, doc_id: int) -> Document:
        """One document; a missing id is a ``NotFoundError`` (a usage error)."""
        doc = self.catalogue.get(doc_id)
        if doc is None:
            raise NotFoundError(f"no document with id {doc_id}")
        return doc

    def years(self, *, track: str | None = None) -> list[int]:
        """The years documents are filed under (for a track: filed there or linked to it), ascending."""
        return sorted({d.year for d in self.documents(track=track) if d.year is not None})

    def original_path(self, doc_id: int) -> Path:
        """Where a document's original is stored (a read-only file: read it, never change it)."""
        from .pages import original_file

        return original_file(self.store, self.get(doc_id))

    def text(self, doc_id: int) -> str:
        """A document's extracted text."""
        return self.catalogue.text(doc_id)

    # --- tagging and review ----------------------------------------------------------------

    def tag(self, ids: Iterable[int], *, track: str | None = None, criterion: str | None = None,
            year: int | None = None, link: Iterable[str] = (), unlink: Iterable[str] = (),
            force: bool = False, confirm: bool = False) -> list[Document]:
        """Set tags by hand (source ``manual``) and add or remove links ``TRACK:CODE``; any of them,
        or ``confirm`` alone, confirms the tags content proposed as they stand."""
        from .tagging import set_manual_tags

        self.require_writable("tagging")
        docs = [self.get(i) for i in ids]
        links = [self._parse_link(x) for x in link]
        unlinks = [self._parse_link(x) for x in unlink]
        changed = set_manual_tags(self.catalogue, self.registry, docs, track=track, criterion=criterion, year=year,
                                  links=links, unlinks=unlinks, force=force, confirm=confirm)
        self.sync_index()
        return [self.get(d) for d in changed]

    def edit(self, ids: Iterable[int], *, title: str | None = None, doc_number: str | None = None,
             author: str | None = None, date: str | None = None, secrecy: str | None = None,
             retention: str | None = None, remarks: str | None = None, force: bool = False,
             title_composed: bool | None = None, **photo: str | None) -> list[Document]:
        """Correct documents' metadata (None: unchanged; "": cleared, except the title); every change
        goes to the edit log. ``title_composed`` says whether the title is the archivist's own (自拟
        题名, listed in [ ]) or the document's; ``photo`` may set ``kind`` (photo or document) and the
        photo fields (``editing.PHOTO_FIELDS``). A numbered document needs ``force``. Returns the
        changed documents."""
        from .editing import edit_documents

        self.require_writable("editing")
        docs = [self.get(i) for i in dict.fromkeys(ids)]  # every id checked before anything changes
        changes = {"title": title, "doc_number": doc_number, "author": author, "date": date, "secrecy": secrecy,
                   "retention": retention, "remarks": remarks, **photo}
        changed = edit_documents(self.catalogue, self.config, docs, changes, force=force,
                                 title_composed=title_composed)
        self.sync_index()
        return self.catalogue.by_ids(changed)

    def check_edit(self, *, title_composed: bool | None = None, **changes: str | None) -> None:
        """Check metadata changes as ``edit`` takes them, changing nothing: a bad field or value is a
        UsageError (so a caller that also retags can refuse the whole request before either)."""
        from .editing import check_edits

        check_edits(self.config, changes, title_composed=title_composed)

    def history(self, doc_id: int) -> dict[str, list[dict[str, Any]]]:
        """A document's history, oldest first: ``edits`` (tags, links and metadata changed by hand:
        who, when, field, before, after) and ``numbering`` (its entries in the numbering log)."""
        self.get(doc_id)
        return {"edits": self.catalogue.edit_history(doc_id), "numbering": self.catalogue.number_log_of(doc_id)}

    def _parse_link(self, value: str) -> tuple[str, str]:
        """``TRACK:CODE`` → (track id, code), both checked against the schemas."""
        if ":" not in value:
            raise UsageError(f"link {value!r} must be TRACK:CODE, e.g. workers-home:4.1")
        t, code = value.rsplit(":", 1)
        schema = self.registry.require(t)
        if schema.criterion(code) is None:
            raise UsageError(f"unknown criterion {code!r} in track {schema.id}")
        return schema.id, code

    def review(self) -> list["ReviewEntry"]:
        """Documents whose track, criterion or year is missing, in conflict or no longer valid."""
        from .tagging import review

        return review(self.catalogue, self.registry)

    # --- search ----------------------------------------------------------------------------

    @property
    def index(self) -> "SearchIndex":
        """The full-text index, opened on first use."""
        return self.repo.index

    def sync_index(self, *, strict: bool = False) -> int:
        """Bring the index up to the catalogue (after a crash, a failed index write, a lost index);
        returns how many documents it updated. ``strict``: raise instead of warning when it cannot."""
        return sync_index(self.repo, strict=strict)

    def reindex(self) -> int:
        """Rebuild the whole index from the catalogue alone; returns the number of documents."""
        return rebuild_index(self.repo) or 0

    def search(self, query: str, *, track: str | None = None, criterion: str | None = None,
               year: int | None = None, limit: int = 20) -> "SearchResult":
        """Full-text search with the contract's semantics; hits carry catalogue fields."""
        from .search import SearchResult

        track_id = self.registry.require(track).id if track else None
        self.sync_index(strict=True)  # never answer from an index that is missing or behind the catalogue
        key = f"{track_id}:{criterion}" if (criterion and track_id) else criterion
        res = self.index.search(query, track=track_id, criterion=key, year=year, limit=limit)
        docs = {d.id: d for d in self.catalogue.by_ids(h.id for h in res.hits)}
        hits = []
        for h in res.hits:
            d = docs.get(h.id)
            if d is None:
                continue
            hits.append(h.described(sha256=d.sha256, title=d.title, track=d.track, criterion=d.criterion, year=d.year))
        return SearchResult(query, res.total, hits)

    # --- checks ----------------------------------------------------------------------------

    def verify(self, *, full: bool = True) -> "VerifyReport":
        """Fixity and consistency check of the whole repository; collects every problem."""
        from .verify import verify_repository

        return verify_repository(self.repo, full=full)

    def doctor(self) -> dict[str, Any]:
        """Which optional engines are present (OCR, office conversion, CJK fonts) and which this repository uses."""
        from .doctor import doctor_report

        return doctor_report(self.config, root=self.root, documents=self.catalogue.count())

    @classmethod
    def doctor_at(cls, root: Path | str) -> dict[str, Any]:
        """``doctor`` for the repository at ``root``; when none opens there, the machine's engines
        and why (doctor is what people run when nothing works, so it reports instead of raising)."""
        from .doctor import doctor_report

        try:
            with cls.open(root) as archive:
                return archive.doctor()
        except RepositoryError as e:
            return doctor_report(root=Path(root), problem=str(e))

    def repair(self, *, ocr: bool = True) -> "RepairReport":
        """Fix what a crash or damage left behind (never originals or numbers), then verify again."""
        from .repair import repair_repository

        return repair_repository(self.repo, ocr=ocr)

    # --- numbering, listings, coverage -----------------------------------------------------

    def number(self, *, track: str | None = None, year: int | None = None, box_pages: int | None = None,
               renumber: bool = False, freeze: bool = False) -> "NumberReport":
        """Give unnumbered documents item numbers, archival codes and boxes (stable once given)."""
        from .numbering import number_documents

        self.require_writable("numbering")
        return number_documents(self.catalogue, self.registry, self.config, track=track, year=year,
                                box_pages=box_pages, renumber=renumber, freeze=freeze)

    def number_log(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """The append-only log of numbering and retagging, oldest first."""
        return self.catalogue.number_log(limit=limit)

    def listing(self, out: Path | str, *, fmt: str, level: str = "item", track: str | None = None,
                year: int | None = None, columns: str | Sequence[str] | None = None) -> Path:
        """Write the item catalogue (``item``), box listing (``box``), spine labels or remarks sheets
        as csv, xlsx, docx or pdf; ``columns``: the item catalogue's columns (``output.listings.item_fields``)."""
        from .output.listings import write_listing

        return write_listing(self.repo, Path(out), fmt=fmt, level=level, track=track, year=year, columns=columns)

    def coverage(self, track: str, year: int, *, today: "datetime.date | None" = None) -> "CoverageReport":
        """Every criterion of a track with its documents and pages for a year; gaps flagged, missing
        periods (as of ``today``, default the real today), owners, due dates and points at risk."""
        from .coverage import coverage_report

        return coverage_report(self.catalogue, self.registry, self.root, track=track, year=year, today=today)

    def assign(self, target: str, *, owner: str, due: str | None = None) -> "AssignReport":
        """Set the owner and due date of a criterion ``TRACK:CODE`` (责任分解); a mistake is a usage
        error and changes nothing."""
        from .assignments import AssignReport, assign, assignment

        self.require_writable("assigning")
        report = AssignReport([assignment(self.registry, target, owner=owner, due=due)])
        assign(self.catalogue, report.assigned)
        return report

    def assign_csv(self, path: Path | str, *, track: str | None = None) -> "AssignReport":
        """Set owners and due dates from a CSV (UTF-8 or GB18030): good rows are stored, bad rows
        are reported by line in ``failed``; ``track`` serves rows that name no track."""
        from .assignments import assign, read_assignments_csv

        self.require_writable("assigning")
        report = read_assignments_csv(Path(path), self.registry, track=self.registry.require(track).id if track else None)
        assign(self.catalogue, report.assigned)
        return report

    # --- renditions and bundles ------------------------------------------------------------

    def rendition(self, doc: Document) -> Path | None:
        """The document's cached PDF rendition, made on first use; None when it cannot be made."""
        from .renditions import make_rendition

        return make_rendition(self.catalogue, self.store, self.renditions_dir, doc).path

    def bundle(self, out: Path | str, *, track: str, year: int, criterion: str | None = None,
               zip: bool = False, force: bool = False, site: bool = False,
               progress: Callable[[int, int, str], None] | None = None) -> "BundleReport":
        """Build an inspection bundle for a track's year (or one criterion) in folder ``out``;
        ``site`` adds the offline inspector site; ``progress(done, total, name)`` hears of each
        document's rendition and the final steps."""
        from .bundle.build import build_bundle

        return build_bundle(self.repo, Path(out), track=track, year=year, criterion=criterion, zip=zip, force=force,
                            site=site, progress=progress)

    def bundle_scope(self, track: str, criterion: str | None = None) -> TrackSchema:
        """The track a bundle would be made for; an unknown track or criterion is a usage error now."""
        from .bundle.plan import bundle_scope

        return bundle_scope(self.registry, track, criterion)

    def bundle_order(self, *, track: str, year: int, criterion: str | None = None) -> list[Document]:
        """The documents a bundle of the track's year (or of one criterion and its descendants) holds,
        in the bundle's order: criteria in tree order, inside each by item number, date and id."""
        from .bundle.plan import bundle_order

        return bundle_order(self.catalogue, self.registry, track=track, year=year, criterion=criterion)

    # --- pages (the console) ---------------------------------------------------------------

    def page_png(self, doc_id: int, page: int) -> bytes:
        """Page ``page`` (1-based) of a document as a PNG image, drawn from its PDF or rendition and
        cached by content hash under derived/pages/ (a read-only repository renders it every time)."""
        from .pages import document_page_png

        return document_page_png(self.repo, self.get(doc_id), page)

    def page_view(self, doc_id: int, query: str | None = None) -> "PageView":
        """A document's page count and sizes, and where ``query``'s terms are on its pages: text-layer
        positions, or the OCR line boxes the ingest kept for scans and photos."""
        from .pages import document_page_view
        from .search import parse_query

        doc = self.get(doc_id)
        terms = [t.folded for t in parse_query(query)] if query and query.strip() else []
        return document_page_view(self.repo, doc, terms, query)

    @staticmethod
    def highlight_parts(snippet: str, query: str) -> list[tuple[str, bool]]:
        """A search hit's snippet as (text, is_match) parts: a 【…】 pair is a match only where its text
        is one of ``query``'s terms, so a document's own brackets (渝工发【2023】35号) stay text."""
        from .search import parse_query
        from .search.snippet import split_marks

        return split_marks(snippet, parse_query(query))

    def verify_bundle(self, path: Path | str) -> "VerifyReport":
        """Check a bundle: BagIt validity, every original against the repository's SHA-256, and the
        四性 checks (DA/T 70-2018)."""
        from .bundle.verify import verify_bundle

        return verify_bundle(self.catalogue, Path(path))
