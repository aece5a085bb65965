"""Inspection bundles (迎检资料汇编): one folder, a BagIt bag, holding

    bundle.pdf             cover, contents by criterion, every document stamped and page-numbered
    目录.docx, 目录.xlsx    the same contents, editable
    bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt
    data/originals/        each original as ``<item number>_<title>.<ext>`` (the bag's payload)
    data/originals.json    file name -> sha256 and archival code, for ``verify_bundle``

What inspectors open (bundle.pdf and the contents) sits at the top of the folder as BagIt tag
files, covered by the tag manifest; the originals, whose fixity is the point, are the payload.

Unnumbered documents in scope are numbered first (``archive.number``). The bundle is built in
a hidden sibling folder and renamed into place at the end, so a killed build leaves no half bundle.

Where a bundle may go is checked first (``outpaths.check_output``: never inside, onto or above
the repository, never a system folder). An existing non-empty folder is replaced only with
``force`` and only when it is a previous bundle: its ``bag-info.txt`` says
``Bag-Software-Agent: archive-kit`` beside a ``bagit.txt``, and every file in it is one its
manifests list (``bundle_bag.bundle_problem``); a folder archive-kit did not make, or one to which
someone added a file, is never removed. The same holds for ``DIR.zip``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .bundle_bag import AGENT, bundle_problem, bundle_zip_problem, validate_bag, write_bag, zip_bag
from .bundle_front import BundleMeta
from .bundle_plan import Plan, make_plan
from .errors import ArchiveKitError, UsageError
from .outpaths import check_output, output_errors, temp_dir, temp_prefix
from .renditions import Rendition, make_rendition
from .safenames import NameAllocator
from .store import hash_file

if TYPE_CHECKING:
    from .archive import Archive
    from .verify import VerifyReport

PDF_NAME = "bundle.pdf"
ORIGINALS = "originals"
ORIGINALS_JSON = "originals.json"
EXTENSIONS = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "rtf": "rtf", "odt": "odt",
              "xls": "xls", "xlsx": "xlsx"}


@dataclass
class BundleReport:
    """What a bundle build made: where, how many documents and pages, gaps and notes."""

    path: Path
    documents: int = 0
    pages: int = 0
    front_pages: int = 0
    missing: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    numbered: int = 0
    zip: Path | None = None
    contents: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (``bundle --json``)."""
        return {"path": str(self.path), "zip": str(self.zip) if self.zip else None, "documents": self.documents,
                "pages": self.pages, "front_pages": self.front_pages, "numbered": self.numbered,
                "missing": self.missing, "notes": self.notes, "contents": self.contents}


def build_bundle(archive: "Archive", out: Path, *, track: str, year: int, criterion: str | None = None,
                 zip: bool = False, force: bool = False,
                 progress: Callable[[int, int, str], None] | None = None) -> BundleReport:
    """Build the inspection bundle of a track's year (or one criterion and its descendants) in ``out``.

    ``force`` replaces a previous bundle (and its zip) there, never anything else. ``progress(done,
    total, name)`` is told of each document's rendition, then of the PDF and bag being written.
    """
    schema = archive.registry.require(track)
    if criterion is not None and schema.criterion(criterion) is None:
        raise UsageError(f"unknown criterion {criterion!r} in track {schema.id}")
    out = check_output(out, archive.root, folder=True)
    zip_path = check_output(out.with_name(out.name + ".zip"), archive.root, parent_made=True) if zip else None
    _check_target(out, zip_path, force)
    report = BundleReport(out)
    renditions: dict[int, Rendition] = {}
    # renditions first, so numbering (boxes fill by pages) sees the renditions' page counts
    in_scope = archive.documents(track=schema.id, criterion=criterion, year=year)
    steps = len(in_scope) + 2
    for done, doc in enumerate(in_scope, 1):
        renditions[doc.id] = make_rendition(archive, doc)
        if progress:
            progress(done, steps, doc.original_name)
    report.numbered = _number_first(archive, schema.id, year, report)
    docs = archive.documents(track=schema.id, criterion=criterion, year=year)
    for doc in docs:
        if doc.id not in renditions:
            renditions[doc.id] = make_rendition(archive, doc)
        if renditions[doc.id].note:
            report.notes.append(f"{doc.archival_code or doc.original_name}: {renditions[doc.id].note}")
    plan = make_plan(schema, docs, renditions, criterion)
    crit = schema.criterion(criterion) if criterion else None
    meta = BundleMeta(unit=archive.config.unit, fonds=archive.config.fonds, category=archive.config.category,
                      track_name=schema.name, track_code=schema.code, year=year,
                      criterion=crit.label if crit else None, made=dt.date.today())
    with output_errors(out):
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(out)
    if progress:
        progress(steps - 1, steps, PDF_NAME)
    try:
        with output_errors(out, *([zip_path] if zip_path else [])):
            _build_into(archive, tmp, plan, meta, schema.id, report)
            if zip_path is not None:
                _check_target(out, zip_path, force)  # checked again: it may have appeared meanwhile
                zip_bag(tmp, zip_path, out.name)
                report.zip = zip_path
            _move_into_place(tmp, out, force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.documents = len(plan.entries)
    report.pages = plan.pages
    report.missing = [{"criterion": s.code or "", "name": s.name} for s in plan.sections if s.missing]
    if progress:
        progress(steps, steps, "")
    return report


def _check_target(out: Path, zip_path: Path | None, force: bool) -> None:
    """Refuse a non-empty folder (or an existing zip) unless ``force`` and it is a previous bundle."""
    with output_errors(out, *([zip_path] if zip_path else [])):
        if out.is_dir() and any(out.iterdir()):
            if not force:
                raise UsageError(f"{out}: folder is not empty; choose a new folder, or pass --force to replace "
                                 "a previous bundle")
            problem = bundle_problem(out)
            if problem:
                raise UsageError(f"{out}: not a bundle archive-kit made ({problem}); --force only replaces "
                                 "a previous bundle")
        if zip_path is not None and zip_path.exists():
            if not force:
                raise UsageError(f"{zip_path}: already exists; pass --force to replace a previous bundle's zip")
            problem = bundle_zip_problem(zip_path)
            if problem:
                raise UsageError(f"{zip_path}: not a bundle zip archive-kit made ({problem}); --force only "
                                 "replaces a previous bundle's zip")


def _number_first(archive: "Archive", track: str, year: int, report: BundleReport) -> int:
    """Give unnumbered documents of the track's year their numbers before they are stamped."""
    try:
        result = archive.number(track=track, year=year)
    except ModuleNotFoundError as e:
        if "numbering" not in str(e):
            raise
        report.notes.append("numbering is not available: unnumbered documents carry no archival code")
        return 0
    numbered = getattr(result, "numbered", None)
    return len(numbered) if isinstance(numbered, list) else 0


def _build_into(archive: "Archive", bag: Path, plan: Plan, meta: BundleMeta, track: str,
                report: BundleReport) -> None:
    """Write the payload and the bag files into the (temporary) folder ``bag``."""
    from .bundle_pdf import build_pdf
    from .bundle_tables import write_docx, write_xlsx

    data = bag / "data"
    (data / ORIGINALS).mkdir(parents=True)
    known: dict[str, str] = {}
    originals: dict[str, dict[str, Any]] = {}
    names = NameAllocator()
    for entry in sorted(plan.entries, key=lambda e: (e.doc.item_number is None, e.doc.item_number or 0, e.doc.id)):
        doc = entry.doc
        ext = EXTENSIONS.get(doc.format) or _image_ext(doc.original_name)
        prefix = f"{doc.item_number:04d}" if doc.item_number else f"id{doc.id}"
        name = names.name(f"{prefix}_{entry.title}", ext)
        archive.store.copy_to(doc.sha256, data / ORIGINALS / name)
        known[f"data/{ORIGINALS}/{name}"] = doc.sha256
        originals[name] = {"sha256": doc.sha256, "archival_code": doc.archival_code, "id": doc.id,
                           "original_name": doc.original_name}
    seed = json.dumps([[e.doc.sha256, e.doc.archival_code, e.title, e.start, e.pages] for e in plan.entries]
                      + [meta.track_name, meta.year, meta.criterion or "", meta.made.isoformat()],
                      ensure_ascii=False).encode("utf-8")
    report.notes += build_pdf(plan, meta, bag / PDF_NAME, seed)
    report.front_pages = _front_pages(plan)
    write_docx(plan, meta, bag / "目录.docx")
    write_xlsx(plan, meta, bag / "目录.xlsx")
    (data / ORIGINALS_JSON).write_text(json.dumps(dict(sorted(originals.items())), ensure_ascii=False, indent=1,
                                                  sort_keys=True) + "\n", encoding="utf-8")
    report.contents = [{"criterion": s.code, "name": s.name, "missing": s.missing,
                        "documents": [{"id": e.doc.id, "archival_code": e.doc.archival_code, "title": e.title,
                                       "start_page": e.start, "pdf_page": e.index + 1, "pages": e.pages,
                                       "linked": linked, "rendition": e.rendition.path is not None}
                                      for e, linked in s.rows]} for s in plan.sections]
    info = [("Source-Organization", meta.unit or meta.fonds), ("Bagging-Date", meta.made.isoformat()),
            ("External-Identifier", "-".join(x for x in (meta.fonds, track, str(meta.year),
                                                         (meta.criterion or "").split(" ")[0]) if x)),
            ("External-Description", f"{meta.track_name} {meta.year}年度 迎检资料汇编"),
            ("Bag-Software-Agent", AGENT), ("Fonds-Code", meta.fonds), ("Track", track),
            ("Track-Name", meta.track_name), ("Year", str(meta.year))]
    if meta.criterion:
        info.append(("Criterion", meta.criterion))
    info = [(k, v) for k, v in info if v]
    write_bag(bag, info, known)


def _front_pages(plan: Plan) -> int:
    """Pages before the first document (0-based index of the first evidence page)."""
    return plan.entries[0].index if plan.entries else 0


def _image_ext(name: str) -> str:
    """An image original keeps its own extension (jpg, png, tif…)."""
    ext = Path(name).suffix.lower().lstrip(".")
    return ext if ext.isascii() and ext.isalnum() and len(ext) <= 5 else "img"


def _move_into_place(tmp: Path, out: Path, force: bool) -> None:
    """Rename the finished bag to ``out``; an old bundle (``--force``) is removed only afterwards.

    ``out`` is checked again first: it may have been filled while the bundle was built. The old
    folder is set aside under a temp name of ``out``, so a kill before it is removed leaves
    something the next build cleans up.
    """
    os.chmod(tmp, 0o755)
    _check_target(out, None, force)
    old = None
    if out.exists():
        old = out.with_name(f"{temp_prefix(out)}{os.getpid()}-old")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def verify_bundle(archive: "Archive", path: Path) -> "VerifyReport":
    """Bag validity (every problem) and every original's SHA-256 against the repository."""
    from .verify import VerifyReport

    report = VerifyReport()
    if not path.is_dir():
        report.problem("no bundle folder here", kind="bundle_missing", path=str(path))
        return report
    for problem in validate_bag(path):
        report.problem(f"bag: {problem}", kind="bundle_bag", path=str(path))
    listing = path / "data" / ORIGINALS_JSON
    try:
        recorded = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        report.problem(f"{ORIGINALS_JSON} cannot be read ({e})", kind="bundle_bag", path=str(listing))
        return report
    folder = path / "data" / ORIGINALS
    present = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    for name, rec in sorted(recorded.items()):
        report.checked += 1
        where = f"data/{ORIGINALS}/{name}"
        sha = rec.get("sha256") if isinstance(rec, dict) else None
        doc_id = archive.catalogue.by_sha(sha) if sha else None
        if doc_id is None:
            report.problem(f"{where}: the repository has no document with SHA-256 {str(sha)[:12]}…", kind="bundle_unknown_original",
                           path=where)
        if name not in present:
            report.problem(f"{where}: original is missing from the bundle", kind="bundle_original_missing", path=where)
            continue
        try:
            actual = hash_file(folder / name)
        except ArchiveKitError as e:
            report.problem(f"{where}: cannot be read ({e})", kind="bundle_original_damaged", path=where)
            continue
        if actual != sha:
            code = rec.get("archival_code") or ""
            report.problem(f"{where}: differs from the repository's original {code} "
                           f"(SHA-256 {actual[:12]}…, expected {str(sha)[:12]}…)", kind="bundle_original_damaged", path=where)
    for name in sorted(present - set(recorded)):
        report.problem(f"data/{ORIGINALS}/{name}: not an original of this bundle", kind="bundle_unexpected_file",
                       path=f"data/{ORIGINALS}/{name}")
    return report


def content_digest(path: Path) -> str:
    """SHA-256 over a bundle's payload manifest (handy to compare two builds)."""
    return hashlib.sha256((path / "manifest-sha256.txt").read_bytes()).hexdigest()
