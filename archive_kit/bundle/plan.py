"""The bundle's plan: criteria sections in schema tree order, each with its documents, and the
order and page numbers of every document's pages in ``bundle.pdf``.

A document filed under one criterion and linked to others is placed once (under the first
section that lists it) and listed again, pointing to the same pages, under the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..catalogue import Catalogue, Document
from ..criteria.model import TrackSchema, code_within
from ..criteria.registry import TrackRegistry
from ..dates import compact_date
from ..errors import UsageError
from ..renditions import Rendition
from ..tagging import proposal_reason

MISSING = "缺少佐证材料"
UNFILED = "其他（未归入测评指标）"


@dataclass
class Entry:
    """One document placed in the bundle: its rendition and where its pages are."""

    doc: Document
    rendition: Rendition
    start: int = 0  # the evidence page number printed on its first page (1-based)
    pages: int = 0  # how many pages it takes in bundle.pdf
    index: int = 0  # 0-based index of its first page in bundle.pdf (after the front matter)

    @property
    def is_photo(self) -> bool:
        """Images go one per page with a caption."""
        return self.doc.format == "image"

    @property
    def code(self) -> str:
        """The archival code, or a marker when the document is not numbered."""
        return self.doc.archival_code or "（未编号）"

    @property
    def title(self) -> str:
        """The document's title (the file name when it has none)."""
        return (self.doc.title or self.doc.original_name or "").strip() or "（无题名）"

    @property
    def date8(self) -> str:
        """The date as 8 digits (YYYYMMDD), as archival listings write it."""
        return compact_date(self.doc.date)


@dataclass
class Section:
    """One criterion (or the unfiled group) with its documents; ``linked`` marks repeat listings."""

    code: str | None
    name: str
    depth: int
    rows: list[tuple[Entry, bool]] = field(default_factory=list)
    missing: bool = False

    @property
    def heading(self) -> str:
        """``code name`` as the contents and outline show it."""
        return f"{self.code} {self.name}" if self.code else self.name


@dataclass
class Plan:
    """Sections in tree order and the unique entries in the order their pages appear."""

    sections: list[Section]
    entries: list[Entry]

    @property
    def pages(self) -> int:
        """Evidence pages (without the cover and contents)."""
        return sum(e.pages for e in self.entries)


def _order(doc: Document) -> tuple:
    """Documents inside a criterion: by item number, then date, then id."""
    return (doc.item_number is None, doc.item_number or 0, doc.date or "9999", doc.id)


def bundle_scope(registry: TrackRegistry, track: str, criterion: str | None = None) -> TrackSchema:
    """The track a bundle is made for, with ``criterion`` (if any) checked to be one of its criteria."""
    schema = registry.require(track)
    if criterion is not None and schema.criterion(criterion) is None:
        raise UsageError(f"unknown criterion {criterion!r} in track {schema.id}")
    return schema


def bundle_order(catalogue: Catalogue, registry: TrackRegistry, *, track: str, year: int,
                 criterion: str | None = None) -> list[Document]:
    """The documents a bundle of the track's year (or of one criterion and its descendants) holds,
    in the bundle's order: criteria in tree order, inside each by item number, date and id (those
    whose filing content only proposed are left out, as the bundle leaves them out)."""
    schema = bundle_scope(registry, track, criterion)
    docs = [d for d in catalogue.documents(track=schema.id, criterion=criterion, year=year)
            if proposal_reason(d) is None]
    plan = make_plan(schema, docs, {d.id: Rendition(None) for d in docs}, criterion)
    return [entry.doc for entry in plan.entries]


def make_plan(schema: TrackSchema, docs: list[Document], renditions: dict[int, Rendition],
              criterion: str | None = None) -> Plan:
    """Group ``docs`` by criterion (filing or link) in schema tree order and assign page numbers."""
    crits = [c for c in schema.criteria if criterion is None or code_within(c.code, criterion)]
    known = {c.code for c in crits}
    by_code: dict[str | None, list[tuple[Document, bool]]] = {}
    for doc in docs:
        if doc.track == schema.id:
            filed = doc.criterion if doc.criterion in known else None
            if criterion is None or filed is not None:
                by_code.setdefault(filed, []).append((doc, False))
        for track, code in doc.links:
            if track == schema.id and code in known and not (doc.track == schema.id and doc.criterion == code):
                by_code.setdefault(code, []).append((doc, True))
    entries: dict[int, Entry] = {}
    order: list[Entry] = []
    sections: list[Section] = []

    def section(code: str | None, name: str, depth: int, rows: list[tuple[Document, bool]]) -> Section:
        sec = Section(code, name, depth)
        for doc, linked in sorted(rows, key=lambda r: _order(r[0])):
            entry = entries.get(doc.id)
            if entry is None:
                entry = entries[doc.id] = Entry(doc, renditions[doc.id])
                order.append(entry)
            sec.rows.append((entry, linked))
        return sec

    base_depth = min((c.depth for c in crits), default=1)
    for c in crits:
        sec = section(c.code, c.name, c.depth - base_depth + 1, by_code.get(c.code, []))
        # a veto condition (一票否决) is confirmed at the inspection, never evidence that is missing
        sec.missing = not schema.under_veto(c.code) and not any(by_code.get(k) for k in known
                                                                if code_within(k, c.code))
        sections.append(sec)
    if by_code.get(None):
        sections.append(section(None, UNFILED, 1, by_code[None]))
    page = 1
    for entry in order:
        entry.start = page
        entry.pages = max(1, entry.rendition.pages) if entry.rendition.path else 1
        page += entry.pages
    return Plan(sections, order)
