"""Numbering records: each unit's register of item numbers and boxes (``numbered_items``), the units
whose boxes are labelled (``frozen_units``) and the append-only log of numbering and retagging
(``number_log``, which triggers keep from being changed or shortened).

A unit is (track, year, retention, kind) as a plain tuple (kind '' for documents, 'photo' for photos,
which have their own item-number sequence in the same class); ``archive_kit.numbering`` gives it a
name. A class (track, year, retention) is frozen as a whole, documents and photos together.
"""
from __future__ import annotations

import json
import getpass
import os
from typing import Any, Iterable, Iterator, NamedTuple

from .connection import now_iso
from .documents import Document, Documents

UnitKey = tuple[str, int, str, str]  # (track, year, retention, kind)
_UNIT = "track = ? AND year = ? AND retention = ? AND kind = ?"


class UnitEnd(NamedTuple):
    """Where a unit's numbering stands: its last item number and last box, the pages already in
    that box, and whether that box is frozen (0, 0, 0, False for a unit with no items yet)."""

    last_item: int
    last_box: int
    box_pages: int
    box_frozen: bool


class ItemNumber(NamedTuple):
    """A number given to a document: its unit, item number, archival code, box and pages."""

    doc_id: int
    track: str
    year: int
    retention: str
    item_number: int
    archival_code: str
    box: int
    pages: int
    kind: str = ""


def actor() -> str:
    """Who is running archive-kit, for the logs and frozen units: ``$ARCHIVE_KIT_USER``, else the
    OS user (``$LOGNAME``, ``$USER``…, else the account's name)."""
    named = os.environ.get("ARCHIVE_KIT_USER")
    if named:
        return named
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):  # no such variables and no passwd entry (a bare container)
        return "unknown"


def _unit_filter(track: str | None, year: int | None, prefix: str = "") -> tuple[str, list[Any]]:
    """A ``WHERE`` clause (or nothing) for units of a track and a year, either optional."""
    conds, params = [], []
    if track:
        conds.append(f"{prefix}track = ?")
        params.append(track)
    if year is not None:
        conds.append(f"{prefix}year = ?")
        params.append(year)
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


class Numbering(Documents):
    """The ``numbered_items``, ``frozen_units`` and ``number_log`` tables."""

    def numbered_units_in(self, track: str | None, year: int | None) -> list[UnitKey]:
        """Units that hold numbered items, under the filters, sorted."""
        where, params = _unit_filter(track, year)
        rows = self.db.execute(f"SELECT DISTINCT track, year, retention, kind FROM numbered_items {where} "
                               "ORDER BY track, year, retention, kind", params).fetchall()
        return [tuple(r) for r in rows]

    def is_frozen(self, unit: UnitKey) -> bool:
        """True when the unit's class is labelled: its numbers can no longer be rebuilt."""
        return self.db.execute("SELECT 1 FROM frozen_units WHERE track = ? AND year = ? AND retention = ?",
                               tuple(unit)[:3]).fetchone() is not None

    def release_units(self, units: Iterable[UnitKey]) -> dict[int, str | None]:
        """Take the numbers of every item of ``units`` away (inside a transaction); returns
        {doc id: its previous archival code}."""
        released: dict[int, str | None] = {}
        for unit in units:
            rows = self.db.execute(
                "SELECT id, archival_code FROM documents WHERE id IN "
                f"(SELECT doc_id FROM numbered_items WHERE {_UNIT})", tuple(unit)).fetchall()
            released.update({r[0]: r[1] for r in rows})
            self.db.execute(f"DELETE FROM numbered_items WHERE {_UNIT}", tuple(unit))
        self.db.executemany("UPDATE documents SET item_number = NULL, archival_code = NULL, box = NULL WHERE id = ?",
                            [(i,) for i in released])
        return released

    def numbering_candidates(self, track: str | None, year: int | None, also: Iterable[int] = ()) -> list[Document]:
        """Documents without a number whose track and year are the filters' or not set yet (so the
        caller can say why they are left out), plus the documents ``also`` names; in id order."""
        where = ["item_number IS NULL"]
        params: list[Any] = []
        if track:
            where.append("(track = ? OR track IS NULL)")
            params.append(track)
        if year is not None:
            where.append("(year = ? OR year IS NULL)")
            params.append(year)
        cond = " AND ".join(where)
        also = [int(i) for i in also]
        if also:
            cond = f"({cond}) OR id IN ({','.join(str(i) for i in also)})"
        return self._query(cond, params)

    def unit_end(self, unit: UnitKey) -> UnitEnd:
        """Last item and last box of a unit as numbered so far, with that box's pages and state."""
        row = self.db.execute(f"SELECT MAX(item_number), MAX(box) FROM numbered_items WHERE {_UNIT}",
                              tuple(unit)).fetchone()
        last_item, last_box = row[0] or 0, row[1] or 0
        if not last_box:
            return UnitEnd(last_item, 0, 0, False)
        used, frozen = self.db.execute(
            f"SELECT SUM(pages), MAX(frozen_at IS NOT NULL) FROM numbered_items WHERE {_UNIT} AND box = ?",
            (*unit, last_box)).fetchone()
        return UnitEnd(last_item, last_box, used or 0, bool(frozen))

    def year_last_box(self, year: int) -> int:
        """The highest box number given in a year, over all its classes (0 when none)."""
        row = self.db.execute("SELECT MAX(box) FROM numbered_items WHERE year = ?", (year,)).fetchone()
        return row[0] or 0

    def record_numbers(self, items: Iterable[ItemNumber]) -> str:
        """Give documents their numbers: on the documents and in their units' registers (inside a
        transaction). Returns the time written as the documents' ``updated_at``."""
        items = list(items)
        stamp = now_iso()
        self.db.executemany("UPDATE documents SET item_number = ?, archival_code = ?, box = ?, retention = ?, "
                            "updated_at = ? WHERE id = ?",
                            [(i.item_number, i.archival_code, i.box, i.retention, stamp, i.doc_id) for i in items])
        self.db.executemany("INSERT INTO numbered_items (doc_id, track, year, retention, item_number, box, pages, "
                            "kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            [(i.doc_id, i.track, i.year, i.retention, i.item_number, i.box, i.pages, i.kind)
                             for i in items])
        return stamp

    def recount(self, doc_id: int, pages: int) -> int | None:
        """Set a document's page count from its rendition (inside a transaction): the estimate mark is
        cleared, a numbered item's register entry (its box's page total) follows, and a changed count
        is logged (``recount``). Returns the count before."""
        row = self.db.execute("SELECT pages, pages_estimated FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        before, estimated = row
        if before == pages and estimated is None:
            return before
        self.update_document(doc_id, {"pages": pages, "pages_estimated": None})
        self.db.execute("UPDATE numbered_items SET pages = ? WHERE doc_id = ?", (pages, doc_id))
        self.log("recount", {"before": before, "pages": pages, "was_estimated": estimated}, doc_id)
        return before

    def freeze_unit(self, unit: UnitKey) -> int:
        """Mark a unit's class (documents and photos) and every box in it as labelled (inside a
        transaction); returns how many items were frozen now."""
        stamp = now_iso()
        cls = tuple(unit)[:3]
        self.db.execute("INSERT OR IGNORE INTO frozen_units (track, year, retention, at, actor) VALUES (?, ?, ?, ?, ?)",
                        (*cls, stamp, actor()))
        cur = self.db.execute("UPDATE numbered_items SET frozen_at = ? WHERE track = ? AND year = ? AND retention = ? "
                              "AND frozen_at IS NULL", (stamp, *cls))
        return cur.rowcount

    def numbered_items_in(self, track: str | None, year: int | None) -> list[tuple[int, str, int, str, str]]:
        """(doc_id, track, year, retention, kind) of every numbered item under the filters, in unit and item order."""
        where, params = _unit_filter(track, year, "n.")
        return [tuple(r) for r in self.db.execute(
            f"SELECT n.doc_id, n.track, n.year, n.retention, n.kind FROM numbered_items n {where} "
            "ORDER BY n.track, n.year, n.retention, n.kind, n.item_number", params)]

    def box_items_in(self, track: str | None, year: int | None) -> list[tuple[str, int, str, int, int, int, str | None,
                                                                              str | None, str]]:
        """(track, year, retention, box, item number, pages, frozen_at, criterion, kind) of every
        numbered item under the filters, in unit (documents before photos), box and item order."""
        where, params = _unit_filter(track, year, "n.")
        return [tuple(r) for r in self.db.execute(
            f"SELECT n.track, n.year, n.retention, n.box, n.item_number, n.pages, n.frozen_at, d.criterion, n.kind "
            f"FROM numbered_items n JOIN documents d ON d.id = n.doc_id {where} "
            "ORDER BY n.track, n.year, n.retention, n.kind, n.box, n.item_number", params)]

    def register_items(self) -> Iterator[tuple[int, str, int, str, str, int]]:
        """(doc_id, track, year, retention, kind, item number) of every register entry, in unit and number order."""
        for row in self.db.execute("SELECT doc_id, track, year, retention, kind, item_number FROM numbered_items "
                                   "ORDER BY track, year, retention, kind, item_number"):
            yield tuple(row)

    def register_disagreements(self) -> Iterator[tuple[int, int | None, int | None]]:
        """(doc_id, the document's item number, the register's) wherever the two differ, in id order."""
        for doc_id, mine, registered in self.db.execute(
                "SELECT d.id, d.item_number, n.item_number FROM documents d LEFT JOIN numbered_items n "
                "ON n.doc_id = d.id WHERE d.item_number IS NOT NULL OR n.doc_id IS NOT NULL ORDER BY d.id"):
            if mine != registered:
                yield doc_id, mine, registered

    def log(self, action: str, detail: dict[str, Any], doc_id: int | None = None) -> None:
        """Append to the numbering/tagging log (inside a transaction)."""
        self.log_many([(action, detail, doc_id)])

    def log_many(self, entries: Iterable[tuple[str, dict[str, Any], int | None]]) -> None:
        """Append (action, detail, doc_id) entries to the numbering/tagging log in their order, with
        one time and actor for them all (inside a transaction): a run that numbers 20,000 documents
        writes its log in one statement instead of asking the OS for the user 20,000 times."""
        at, who = now_iso(), actor()
        self.db.executemany(
            "INSERT INTO number_log (at, actor, doc_id, action, detail) VALUES (?, ?, ?, ?, ?)",
            [(at, who, doc_id, action, json.dumps(detail, ensure_ascii=False, sort_keys=True))
             for action, detail, doc_id in entries],
        )

    def number_log_of(self, doc_id: int) -> list[dict[str, Any]]:
        """The numbering log's entries about one document, oldest first."""
        return [{"at": r[0], "actor": r[1], "action": r[2], "detail": json.loads(r[3])}
                for r in self.db.execute("SELECT at, actor, action, detail FROM number_log WHERE doc_id = ? ORDER BY id",
                                         (doc_id,))]

    def number_log(self, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Entries of the append-only numbering log, oldest first (the last ``limit`` if given)."""
        sql = "SELECT id, at, actor, doc_id, action, detail FROM number_log ORDER BY id"
        if limit is not None:
            sql = f"SELECT * FROM ({sql} DESC LIMIT {int(limit)}) ORDER BY id"
        return [{"id": r[0], "at": r[1], "actor": r[2], "doc_id": r[3], "action": r[4], "detail": json.loads(r[5])}
                for r in self.db.execute(sql)]
