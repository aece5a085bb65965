"""Building an inspection bundle: renditions first, then numbering, the plan, bundle.pdf, the
editable contents and the originals, written as a bag in a hidden sibling folder and renamed into
place (``force`` replaces only a previous bundle, checked again just before the swap)."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..catalogue import Document
from ..errors import UsageError
from ..numbering import number_documents, track_code
from ..outpaths import check_output, output_errors, temp_dir, temp_prefix
from ..renditions import Rendition, make_rendition
from ..repo import Repo
from ..safenames import NameAllocator
from ..tagging import proposal_reason
from ..workers import Limits
from .bag import AGENT, ORIGINALS, ORIGINALS_JSON, bundle_problem, bundle_zip_problem, write_bag, zip_bag
from .fourprops import digests, four_property_checks, write_report
from .front import BundleMeta
from .pdf import build_pdf
from .plan import Plan, bundle_scope, make_plan
from .site import build_site
from .tables import write_docx, write_xlsx

PDF_NAME = "bundle.pdf"
EXTENSIONS = {"pdf": "pdf", "ofd": "ofd", "docx": "docx", "doc": "doc", "wps": "wps", "rtf": "rtf", "odt": "odt",
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
    unconfirmed: list[dict[str, Any]] = field(default_factory=list)  # left out: content only proposed their tags

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (``bundle --json``)."""
        return {"path": str(self.path), "zip": str(self.zip) if self.zip else None, "documents": self.documents,
                "pages": self.pages, "front_pages": self.front_pages, "numbered": self.numbered,
                "missing": self.missing, "notes": self.notes, "contents": self.contents,
                "unconfirmed": self.unconfirmed}


def build_bundle(repo: Repo, out: Path, *, track: str, year: int, criterion: str | None = None,
                 zip: bool = False, force: bool = False, site: bool = False,
                 progress: Callable[[int, int, str], None] | None = None) -> BundleReport:
    """Build the inspection bundle of a track's year (or one criterion and its descendants) in ``out``.

    ``site`` adds the offline inspector site (``index.html``, ``site/``).
    ``force`` replaces a previous bundle (and its zip) there, never anything else. ``progress(done,
    total, name)`` is told of each document's rendition, then of the PDF and bag being written.
    """
    schema = bundle_scope(repo.registry, track, criterion)
    out = check_output(out, repo.root, folder=True)
    zip_path = check_output(out.with_name(out.name + ".zip"), repo.root, parent_made=True) if zip else None
    _check_target(out, zip_path, force)
    report = BundleReport(out)
    renditions: dict[int, Rendition] = {}

    def render(doc: Document) -> Rendition:
        return make_rendition(repo.catalogue, repo.store, repo.paths.renditions, doc)

    # renditions first, so numbering (boxes fill by pages) sees the renditions' page counts
    in_scope = _decided(repo.catalogue.documents(track=schema.id, criterion=criterion, year=year), None)
    steps = len(in_scope) + 2
    for done, doc in enumerate(in_scope, 1):
        renditions[doc.id] = render(doc)
        if progress:
            progress(done, steps, doc.original_name)
    report.numbered = _number_first(repo, schema.id, year)
    docs = _decided(repo.catalogue.documents(track=schema.id, criterion=criterion, year=year), report)
    for doc in docs:
        if doc.id not in renditions:
            renditions[doc.id] = render(doc)
        if renditions[doc.id].note:
            report.notes.append(f"{doc.archival_code or doc.original_name}: {renditions[doc.id].note}")
    plan = make_plan(schema, docs, renditions, criterion)
    crit = schema.criterion(criterion) if criterion else None
    meta = BundleMeta(unit=repo.config.unit, fonds=repo.config.fonds, category=repo.config.category,
                      track_name=schema.name, track_code=track_code(schema), year=year,
                      criterion=crit.label if crit else None, made=dt.date.today(), class_name=schema.class_name)
    with output_errors(out):
        out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_dir(out)
    if progress:
        progress(steps - 1, steps, PDF_NAME)
    try:
        with output_errors(out, *([zip_path] if zip_path else [])):
            _build_into(repo, tmp, plan, meta, schema.id, report, site)
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


def _decided(docs: list[Document], report: BundleReport | None) -> list[Document]:
    """The documents whose filing a person decided; those content only proposed are left out of
    the bundle, and named in ``report`` (its ``unconfirmed`` and a note) when one is given."""
    kept = []
    for doc in docs:
        reason = proposal_reason(doc)
        if reason is None:
            kept.append(doc)
        elif report is not None:
            report.unconfirmed.append({"id": doc.id, "title": doc.title, "proposed": doc.proposed_tags})
            report.notes.append(f"left out: #{doc.id} {doc.title or doc.original_name}: {reason}")
    return kept


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


def _number_first(repo: Repo, track: str, year: int) -> int:
    """Give unnumbered documents of the track's year their numbers before they are stamped;
    returns how many were numbered."""
    repo.require_writable("numbering")
    return len(number_documents(repo.catalogue, repo.registry, repo.config, track=track, year=year).numbered)


def _build_into(repo: Repo, bag: Path, plan: Plan, meta: BundleMeta, track: str,
                report: BundleReport, site: bool) -> None:
    """Write the payload, the 四性 report, the inspector site (``site``) and the bag files into the
    (temporary) folder ``bag``; the report and the site are tag files, so the tag manifest covers them."""
    data = bag / "data"
    (data / ORIGINALS).mkdir(parents=True)
    known: dict[str, str] = {}
    originals: dict[str, dict[str, Any]] = {}
    names = NameAllocator()
    names_of: dict[int, str] = {}
    for entry in sorted(plan.entries, key=lambda e: (e.doc.item_number is None, e.doc.item_number or 0, e.doc.id)):
        doc = entry.doc
        ext = EXTENSIONS.get(doc.format) or _image_ext(doc.original_name)
        prefix = f"{doc.item_number:04d}" if doc.item_number else f"id{doc.id}"
        name = names.name(f"{prefix}_{entry.title}", ext)
        repo.store.copy_to(doc.sha256, data / ORIGINALS / name)
        known[f"data/{ORIGINALS}/{name}"] = doc.sha256
        names_of[doc.id] = name
        originals[name] = {"sha256": doc.sha256, "sm3": digests(data / ORIGINALS / name)[1],
                           "archival_code": doc.archival_code, "id": doc.id, "original_name": doc.original_name,
                           "item_number": doc.item_number, "title": doc.title, "title_source": doc.title_source,
                           "date": doc.date,
                           "doc_number": doc.doc_number, "author": doc.author, "retention": doc.retention,
                           "pages": doc.pages, "format": doc.format, "track": doc.track, "year": doc.year,
                           "kind": doc.kind, "rendition": entry.rendition.path is not None}
    seed = json.dumps([[e.doc.sha256, e.doc.archival_code, e.title, e.start, e.pages] for e in plan.entries]
                      + [meta.track_name, meta.year, meta.criterion or "", meta.made.isoformat()],
                      ensure_ascii=False).encode("utf-8")
    report.notes += build_pdf(plan, meta, bag / PDF_NAME, seed, Limits.from_config(repo.config))
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
    write_report(bag, four_property_checks(bag, len(plan.entries)))
    if site:
        build_site(bag, plan, meta, names_of, repo.catalogue.text)
    info = [("Source-Organization", meta.unit or meta.fonds), ("Bagging-Date", meta.made.isoformat()),
            ("External-Identifier", "-".join(x for x in (meta.fonds, track, str(meta.year),
                                                         (meta.criterion or "").split(" ")[0]) if x)),
            ("External-Description", f"{meta.track_name} {meta.year}年度 迎检资料汇编"),
            ("Bag-Software-Agent", AGENT), ("Fonds-Code", meta.fonds), ("Track", track),
            ("Track-Name", meta.track_name), ("Year", str(meta.year)),
            ("Item-Count", str(len(plan.entries)))]
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
