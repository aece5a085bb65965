"""Item numbers, archival codes and boxes after DA/T 22-2015, stable once given.

A classification unit is (track, year, retention period). Inside a unit, items are ordered by
criterion (natural code order), date and title, numbered 1, 2, 3 … with no gaps, and filled into
boxes of at most ``box_pages`` pages; box numbers restart in each unit, or, with the config's
``box_numbering: year``, run on across all units of a year (a year's box listing then has no
repeated box number; a box still holds one unit only). A later run appends new items after the last one; only
``renumber`` rebuilds a unit, and never once it is frozen. Where a number was given is kept in the
``numbered_items`` table (so a document retagged with ``--force`` stays in the box it is in),
and every assignment goes to the append-only ``number_log``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .catalogue import Catalogue, Document
from .catalogue.numbering import ItemNumber
from .config import Config
from .criteria.model import TrackSchema, natural_code_key
from .criteria.registry import TrackRegistry
from .errors import NumberingError, UsageError
from .stages import mark
from .tagging import proposal_reason, year_conflict

RETENTION_NAMES = {"Y": "永久", "D30": "30年", "D10": "10年"}
_LAST = (float("inf"),)


PHOTO = "photo"  # the unit kind of photo archive items; documents' is ""


class Unit(NamedTuple):
    """A classification unit: the items of one track, year and retention period; the photos of a
    class (``kind`` "photo") are a unit of their own, numbered apart from its documents."""

    track: str
    year: int
    retention: str
    kind: str = ""

    def label(self) -> str:
        """``civilized-unit/2023/D30`` (``…/D30/photo`` for its photos), as messages and the log name it."""
        return f"{self.track}/{self.year}/{self.retention}" + (f"/{self.kind}" if self.kind else "")

    @property
    def is_photo(self) -> bool:
        """True for the photos of a class."""
        return self.kind == PHOTO

    def category(self, cfg: Config) -> str:
        """The 门类 code of the unit's archival codes: the config's ``photo_category`` for photos
        (ZP), else its ``category`` (WS)."""
        return cfg.photo_category if self.is_photo else cfg.category


@dataclass
class NumberReport:
    """What a ``number`` run did: documents given a number, documents left out and why."""

    numbered: list[Document] = field(default_factory=list)
    skipped: list[tuple[Document, str]] = field(default_factory=list)
    renumbered_units: list[Unit] = field(default_factory=list)
    frozen_units: list[Unit] = field(default_factory=list)

    @property
    def estimated(self) -> list[Document]:
        """The documents numbered now whose page count is only an estimate (their boxes fill by it)."""
        return [d for d in self.numbered if d.pages_estimated]

    def to_json(self) -> dict[str, Any]:
        """``{"numbered": [record…], "skipped": [{"id", "reason"}], …}``."""
        return {
            "numbered": [d.to_json() for d in self.numbered],
            "skipped": [{"id": d.id, "title": d.title, "reason": r} for d, r in self.skipped],
            "renumbered_units": [u._asdict() for u in self.renumbered_units],
            "frozen_units": [u._asdict() for u in self.frozen_units],
            "estimated_pages": [d.id for d in self.estimated],
        }


@dataclass
class Box:
    """One box of a unit, with its spine data (first and last item, pages, criteria covered)."""

    fonds: str
    track: str
    track_name: str
    track_code: str
    year: int
    retention: str
    box: int
    first_item: int
    last_item: int
    items: int
    pages: int
    criteria: list[str]
    frozen: bool
    kind: str = ""  # "photo" for a box of photos (numbered apart from the class's documents)

    @property
    def unit(self) -> Unit:
        """The box's classification unit."""
        return Unit(self.track, self.year, self.retention, self.kind)

    @property
    def retention_name(self) -> str:
        """``30年``, ``永久``…"""
        return retention_name(self.retention)

    def to_json(self) -> dict[str, Any]:
        """All fields plus the retention's Chinese name."""
        return {**self.__dict__, "retention_name": self.retention_name}


def retention_name(code: str | None) -> str:
    """Chinese name of a retention code (``D30`` → ``30年``); unknown codes are shown as given."""
    return RETENTION_NAMES.get(code or "", code or "")


def track_code(schema: TrackSchema) -> str:
    """The schema's ``code`` (e.g. ``WM``), else initials of its id in capitals (``my-track`` → ``MT``)."""
    if schema.code:
        return schema.code
    parts = [p for p in re.split(r"[^a-z0-9]+", schema.id) if p]
    initials = "".join(p[0] for p in parts).upper()
    return initials if len(initials) >= 2 else schema.id[:2].upper()


def archival_code(pattern: str, *, fonds: str, category: str, year: int, retention: str, track_code: str,
                  item: int) -> str:
    """Fill a code pattern, e.g. ``J001-WS·2023-D30-WM-0007``; a bad pattern is a usage error."""
    try:
        return pattern.format(fonds=fonds, category=category, year=year, retention=retention,
                              track_code=track_code, item=item)
    except (KeyError, IndexError, ValueError) as e:
        raise UsageError(f"archival code pattern {pattern!r} in config.json cannot be filled ({e}); "
                         "use fields {fonds} {category} {year} {retention} {track_code} {item:04d}") from None


def item_sort_key(doc: Document) -> tuple:
    """Order inside a unit: criterion (natural), then date, then title (missing values last), then id;
    photos by the time they were taken (DA/T 50-2014), then title."""
    crit = natural_code_key(doc.criterion) if doc.criterion and not doc.is_photo else _LAST
    return (crit, doc.date or "\uffff", doc.title or "\uffff", doc.id)


def resolve_retention(doc: Document, schema: TrackSchema, default: str) -> str:
    """The document's own retention, else its criterion's default, else the repository default."""
    if doc.retention:
        return doc.retention
    if doc.criterion:
        found = schema.default_retention(doc.criterion)
        if found:
            return found
    return default


# --------------------------------------------------------------------------- numbering


@dataclass
class _UnitState:
    """Where a unit stands before appending: last item number, last box, its pages and state."""

    last_item: int
    last_box: int
    box_used: int
    box_frozen: bool


def number_documents(cat: Catalogue, registry: TrackRegistry, cfg: Config, *, track: str | None = None,
                     year: int | None = None, box_pages: int | None = None, renumber: bool = False,
                     freeze: bool = False) -> NumberReport:
    """Number the unnumbered documents in scope (appending to their units), in one transaction.

    ``renumber`` first releases every number of the units in scope (refused if one is frozen);
    ``freeze`` afterwards marks the units in scope, and every box in them, as physically labelled.
    """
    track_id = registry.require(track).id if track else None
    limit = cfg.box_pages if box_pages is None else box_pages
    if limit < 1:
        raise UsageError(f"--box-pages must be at least 1 (got {limit})")
    report = NumberReport()
    with cat.transaction():
        released: dict[int, str | None] = {}
        if renumber:
            units = _units_in_scope(cat, track_id, year)
            frozen = [u for u in units if cat.is_frozen(u)]
            if frozen:
                names = ", ".join(u.label() for u in frozen)
                raise NumberingError(
                    f"unit(s) {names} are frozen (boxes are labelled): their numbers can no longer be rebuilt; "
                    "new documents can still be appended with `archive-kit number`")
            released = cat.release_units(units)
            report.renumbered_units = units
        by_unit: dict[Unit, list[tuple[Document, str]]] = {}
        for doc in cat.numbering_candidates(track_id, year, also=released):
            reason = _skip_reason(doc, registry)
            if reason:
                report.skipped.append((doc, reason))
                continue
            schema = registry.get(doc.track)
            ret = resolve_retention(doc, schema, cfg.default_retention)
            by_unit.setdefault(Unit(doc.track, doc.year, ret, PHOTO if doc.is_photo else ""), []).append((doc, ret))
        numbers: list[ItemNumber] = []
        numbered: list[Document] = []  # the documents of ``numbers``, in the same order
        entries: list[tuple[str, dict[str, Any], int | None]] = []  # the run's log, written at once
        year_boxes: dict[int, int] = {}  # box_numbering "year": the last box given in each year so far
        for unit in sorted(by_unit):
            state = _UnitState(*cat.unit_end(unit))
            code = track_code(registry.get(unit.track))
            for doc, ret in sorted(by_unit[unit], key=lambda dr: item_sort_key(dr[0])):
                pages = doc.pages if doc.pages and doc.pages > 0 else 1
                if state.last_box == 0 or state.box_frozen or (state.box_used > 0 and state.box_used + pages > limit):
                    if cfg.box_numbering == "year":
                        last = year_boxes.get(unit.year)
                        year_boxes[unit.year] = state.last_box = (
                            cat.year_last_box(unit.year) if last is None else last) + 1
                    else:
                        state.last_box += 1
                    state.box_used = 0
                    state.box_frozen = False
                state.box_used += pages
                state.last_item += 1
                number = state.last_item
                ac = archival_code(cfg.code_pattern, fonds=cfg.fonds, category=unit.category(cfg), year=unit.year,
                                   retention=unit.retention, track_code=code, item=number)
                numbers.append(ItemNumber(doc.id, unit.track, unit.year, unit.retention, number, ac,
                                          state.last_box, pages, unit.kind))
                detail = {"unit": unit.label(), "item_number": number, "archival_code": ac,
                          "box": state.last_box, "retention": ret}
                if doc.id in released:
                    detail["previous_code"] = released[doc.id]
                    entries.append(("renumber", detail, doc.id))
                else:
                    entries.append(("number", detail, doc.id))
                numbered.append(doc)
        given = {doc.id for doc in numbered}
        entries += [("unnumber", {"previous_code": old, "reason": "no longer in a numbered unit"}, doc_id)
                    for doc_id, old in released.items() if doc_id not in given]
        cat.log_many(entries)
        stamp = cat.record_numbers(numbers)
        if freeze:
            report.frozen_units = _freeze(cat, _units_in_scope(cat, track_id, year))
        if numbers:
            mark("number-catalogue")
    for doc, num in zip(numbered, numbers):  # what record_numbers wrote, without reading 20,000 rows back
        doc.item_number, doc.archival_code, doc.box = num.item_number, num.archival_code, num.box
        doc.retention, doc.updated_at = num.retention, stamp
    report.numbered = numbered
    return report


def _skip_reason(doc: Document, registry: TrackRegistry) -> str | None:
    """Why a document in scope cannot be numbered, or None."""
    missing = [name for name in ("track", "year") if getattr(doc, name) is None]
    if missing:
        return f"{' and '.join(missing)} missing: set with `archive-kit tag {doc.id} …` (see `archive-kit review`)"
    if registry.get(doc.track) is None:
        return f"track {doc.track!r} has no registered schema (see `archive-kit review`)"
    return proposal_reason(doc) or year_conflict(doc)


def _units_in_scope(cat: Catalogue, track_id: str | None, year: int | None) -> list[Unit]:
    """Units that hold numbered items under the filters."""
    return [Unit(*key) for key in cat.numbered_units_in(track_id, year)]


def _freeze(cat: Catalogue, units: list[Unit]) -> list[Unit]:
    """Mark units and all their boxes frozen; logged per unit."""
    for unit in units:
        frozen = cat.freeze_unit(unit)
        cat.log("freeze", {"unit": unit.label(), "items_frozen": frozen})
    return units


# --------------------------------------------------------------------------- reading back


def numbered_units(cat: Catalogue, registry: TrackRegistry, *, track: str | None = None,
                   year: int | None = None) -> dict[Unit, list[Document]]:
    """Numbered documents per unit (units sorted, items in number order), under the filters."""
    track_id = registry.require(track).id if track else None
    rows = cat.numbered_items_in(track_id, year)
    docs = {d.id: d for d in cat.by_ids(r[0] for r in rows)}
    out: dict[Unit, list[Document]] = {}
    for doc_id, t, y, r, kind in rows:
        out.setdefault(Unit(t, y, r, kind), []).append(docs[doc_id])
    return out


def list_boxes(cat: Catalogue, registry: TrackRegistry, cfg: Config, *, track: str | None = None,
               year: int | None = None) -> list[Box]:
    """Every box under the filters with its spine data, in unit and box order."""
    track_id = registry.require(track).id if track else None
    boxes: list[Box] = []
    crit_sets: list[set[str]] = []
    for t, y, r, b, item, pages, frozen_at, crit, kind in cat.box_items_in(track_id, year):
        if not boxes or (*boxes[-1].unit, boxes[-1].box) != (t, y, r, kind, b):
            schema = registry.get(t)
            boxes.append(Box(cfg.fonds, t, schema.name if schema else t,
                             track_code(schema) if schema else t, y, r, b, item, item, 0, 0, [], False, kind))
            crit_sets.append(set())
        box = boxes[-1]
        box.last_item = item
        box.items += 1
        box.pages += pages
        box.frozen = box.frozen or frozen_at is not None
        if crit:
            crit_sets[-1].add(crit)
    for box, crits in zip(boxes, crit_sets):
        box.criteria = sorted(crits, key=natural_code_key)
    if cfg.box_numbering == "year":  # a year's boxes in their number order, whatever their class
        boxes.sort(key=lambda b: (b.year, b.box, b.track, b.retention))
    return boxes
