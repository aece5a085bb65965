"""Owners and due dates of criteria (the plan's 责任分解): one row per track and criterion code."""
from __future__ import annotations

from typing import NamedTuple

from .connection import CatalogueConnection, now_iso
from .numbering import actor


class Assignment(NamedTuple):
    """Who answers for a criterion's evidence and by when (``due`` is YYYY-MM-DD or None)."""

    track: str
    criterion: str
    owner: str
    due: str | None


class Assignments(CatalogueConnection):
    """The ``assignments`` table."""

    def put_assignments(self, rows: list[Assignment]) -> None:
        """Set (or replace) the owner and due date of each criterion, all in one transaction."""
        stamp, who = now_iso(), actor()
        with self.transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO assignments (track, criterion, owner, due, at, actor) VALUES (?, ?, ?, ?, ?, ?)",
                [(a.track, a.criterion, a.owner, a.due, stamp, who) for a in rows],
            )

    def assignments_of(self, track: str) -> dict[str, Assignment]:
        """Every assignment of a track, by criterion code."""
        return {r[1]: Assignment(*r) for r in self.db.execute(
            "SELECT track, criterion, owner, due FROM assignments WHERE track = ?", (track,))}
