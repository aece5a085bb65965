"""The edit log: every change a person made to a document's metadata or tags (who, when, which
field, the value before and after), append-only (SQLite triggers refuse updates and deletes)."""
from __future__ import annotations

from typing import Any, Iterable

from .connection import CatalogueConnection, now_iso
from .numbering import actor


class EditLog(CatalogueConnection):
    """The ``edit_log`` table."""

    def log_edits(self, doc_id: int, changes: Iterable[tuple[str, str | None, str | None]]) -> None:
        """Append (field, before, after) changes of one document, stamped with who and when
        (inside the transaction that makes them)."""
        stamp, who = now_iso(), actor()
        self.db.executemany("INSERT INTO edit_log (doc_id, at, actor, field, before, after) VALUES (?, ?, ?, ?, ?, ?)",
                            [(doc_id, stamp, who, f, b, a) for f, b, a in changes])

    def edit_history(self, doc_id: int) -> list[dict[str, Any]]:
        """A document's edit log, oldest first: ``{"at", "actor", "field", "before", "after"}``."""
        return [{"at": r[0], "actor": r[1], "field": r[2], "before": r[3], "after": r[4]}
                for r in self.db.execute("SELECT at, actor, field, before, after FROM edit_log WHERE doc_id = ? "
                                         "ORDER BY id", (doc_id,))]
